"""Requests through business links, counted per link and per client address in this process's
memory (each server process counts on its own: with N processes the effective limit is up to N
times the setting). A sliding minute; the memory is bounded."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

WINDOW_SECONDS = 60.0
MAX_KEYS = 20_000  # the oldest keys are forgotten beyond this


class LinkLimits:
    def __init__(self, per_token: int, per_address: int) -> None:
        self.per_token = per_token
        self.per_address = per_address
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _take(self, key: str, limit: int, now: float) -> float:
        """Seconds to wait (0: allowed, and counted)."""
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > MAX_KEYS:
                self._hits.popitem(last=False)
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + WINDOW_SECONDS - now
        hits.append(now)
        return 0.0

    def forget(self) -> None:
        """Start counting afresh (tests that walk many links at once)."""
        with self._lock:
            self._hits.clear()

    def check(self, token_hash: str, address: str, now: float | None = None) -> int:
        """0 when this request may go on; else the whole seconds to wait (Retry-After)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            wait = max(
                self._take("a:" + address, self.per_address, now),
                self._take("t:" + token_hash, self.per_token, now),
            )
        return int(wait) + 1 if wait > 0 else 0
