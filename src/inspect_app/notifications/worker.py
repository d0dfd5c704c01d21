"""Running the reminder rules: once (`inspect-app worker --once`, tests), in a loop
(`inspect-app worker`), or in a thread of each `inspect-app serve` process (the default).
Each run is one short write transaction; the rules' keys make runs on several servers at once
safe (notifications.rules)."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from datetime import UTC, datetime

from inspect_app.db import Database
from inspect_app.notifications.deliveries import deliver_all
from inspect_app.notifications.rules import due_messages, unsent, write

log = logging.getLogger(__name__)


WRITE_CHUNK = 500  # messages per write transaction: the writer lock is held briefly


def run_once(db: Database, now: datetime | None = None) -> Counter[str]:
    """Run the rules at `now` (default: this moment): what is due is read without the writer
    lock, then written in short transactions (a server running them too writes nothing twice:
    each message's key is unique)."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        fresh = unsent(session, due_messages(session, db.settings, now))
    written: Counter[str] = Counter()
    for start in range(0, len(fresh), WRITE_CHUNK):
        with db.session(write=True) as session:
            written += write(session, fresh[start : start + WRITE_CHUNK], now)
    if written:
        log.info("reminders written: %s", dict(written))
    return written


def turn(db: Database, now: datetime | None = None) -> Counter[str]:
    """One turn of a worker: the rules, then the deliveries that are due."""
    written = run_once(db, now)
    sent = deliver_all(db, now or datetime.now(UTC))
    if any(sent.values()):
        log.info("deliveries: %s", sent)
    return written + Counter({f"deliveries_{k}": v for k, v in sent.items()})


class ReminderLoop:
    """Runs the rules every `minutes` (with a little jitter, so servers started together do
    not all run at the same second) until stopped. A failed run is logged and tried again at
    the next turn: a reminder is late, never lost."""

    def __init__(self, db: Database, minutes: float) -> None:
        self.db, self.seconds = db, minutes * 60
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def turn(self) -> None:
        try:
            turn(self.db)
        except Exception:  # the next turn tries again
            log.exception("the reminder rules failed; they run again in %.0f s", self.seconds)

    def start(self) -> None:
        if self.seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run_forever, name="reminders", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        wait = random.uniform(5, 30)  # noqa: S311 - jitter, not a secret
        while not self._stop.wait(wait):
            self.turn()
            wait = self.seconds

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
