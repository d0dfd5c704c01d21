"""Results read from rectification items, kept until the next rectification event.

Every change of an item appends an event (created, reported fixed, verified, extended,
cancelled), so a result computed when the newest event id was N stays right while it is N.
Kept per database, in this process, for at most MAX_AGE seconds: edits made outside events
(a site moved to another team, renamed) and, on PostgreSQL, an event committed after one with
a higher id show by then."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from time import monotonic
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from inspect_app.models import RectificationEvent

MAX_AGE = 60.0
T = TypeVar("T")


class Recent:
    """A bounded map of results by (database, key, newest event id); one computation per key
    at a time (others asking meanwhile wait for it rather than repeat it)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.found: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()
        self.computing = [threading.Lock() for _ in range(32)]  # striped by key

    def get(
        self,
        session: Session,
        key: Hashable,
        compute: Callable[[], T],
        version: Hashable | None = None,
    ) -> T:
        """The result kept for `key`, else `compute()` (kept unless it returns None). It is
        kept while `version` is the same (by default the newest rectification event's id): a
        caller reading other tables passes what changes whenever they do."""
        latest = (
            session.exec(select(func.max(RectificationEvent.id))).one()
            if version is None
            else version
        )
        base = (str(session.get_bind().engine.url), key)
        found = self._fresh((*base, latest))
        if found is not None:
            return found
        with self.computing[hash(base) % len(self.computing)]:
            found = self._fresh((*base, latest))
            if found is not None:
                return found
            value = compute()
            if value is not None:
                self._put(base, latest, value)
            return value

    def _fresh(self, full: tuple):
        with self.lock:
            found = self.found.get(full)
            if found is None or monotonic() - found[0] >= MAX_AGE:
                return None
            self.found.move_to_end(full)
            return found[1]

    def _put(self, base: tuple, latest: Hashable, value: object) -> None:
        with self.lock:
            for old in [k for k in self.found if k[:2] == base]:
                del self.found[old]  # the same result as it was before the latest event
            self.found[(*base, latest)] = (monotonic(), value)
            while len(self.found) > self.size:
                self.found.popitem(last=False)
