"""Photo processing off the event loop: a bounded pool of threads, a short wait for a free one,
and a time budget per photo.

Threads, not processes: Pillow, libjpeg, libheif and zlib release the GIL while they decode,
resize and encode, so two threads use two cores; what holds the GIL (the structure checks,
Pillow's header parsers) is linear and capped in the pipeline, so the event loop keeps its turns.
A thread cannot be killed, so the budget is enforced twice: the pipeline checks its `Deadline`
between stages and stops there, and the request stops waiting when the budget is over. Either
way the slot stays taken until the work has really ended, so at most `workers` photos are ever
being processed, whatever the clients do. (A process pool could kill a runaway decode, but
costs a process start or a warm pool per server worker, pickling 20 MB uploads, and a broken
pool to rebuild after each kill; with every stage bounded there is nothing left to kill.)
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from inspect_app.errors import Busy
from inspect_app.i18n import gettext as _
from inspect_app.photos.pipeline import Deadline, too_slow

T = TypeVar("T")
POLL_SECONDS = 0.02  # how often a waiting upload looks for a free worker
GRACE_SECONDS = 0.5  # the pipeline notices its deadline at its next stage; wait that long for it


class PhotoBusy(Busy):
    """Every worker is busy and stayed busy while the upload waited. Nothing was saved; the
    phone's outbox keeps the photo and sends it again (a 5xx means "retry" to it)."""

    code = "photo_busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _(
                "The server is busy with other photos. This one was not saved: "
                "please send it again in a moment."
            ),
            headers={"Retry-After": str(retry_after)},
        )


class PhotoPool:
    """At most `workers` photos in processing at once in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.busy = 0  # photos being processed, including ones whose request stopped waiting
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="photo")

    async def run(self, work: Callable[[Deadline], T], *, wait: float, budget: float) -> T:
        """work(deadline) in a worker thread. PhotoBusy (503) when no worker frees up within
        `wait` seconds; PhotoTooSlow (422) when the work takes longer than `budget` seconds."""
        if not await self._admit(wait):
            raise PhotoBusy(retry_after=max(1, math.ceil(wait)))
        try:
            future = self._executor.submit(_timed, work, budget)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)  # when the work ends, not when we stop waiting
        result = asyncio.wrap_future(future)
        result.add_done_callback(_consume)
        try:
            return await asyncio.wait_for(asyncio.shield(result), budget + GRACE_SECONDS)
        except TimeoutError:
            raise too_slow(budget) from None

    async def _admit(self, wait: float) -> bool:
        give_up = time.monotonic() + wait
        while not self._take():
            if time.monotonic() >= give_up:
                return False
            await asyncio.sleep(POLL_SECONDS)
        return True

    def _take(self) -> bool:
        with self._lock:
            if self.busy >= self.workers:
                return False
            self.busy += 1
            return True

    def _release(self, _future: object = None) -> None:
        with self._lock:
            self.busy -= 1


def _consume(result: asyncio.Future) -> None:
    """Retrieve the outcome of work nobody waits for any more (asyncio would log it)."""
    if not result.cancelled():
        result.exception()


def _timed(work: Callable[[Deadline], T], budget: float) -> T:
    return work(Deadline.start(budget))


_pools: dict[int, PhotoPool] = {}
_pools_lock = threading.Lock()


def photo_pool(workers: int) -> PhotoPool:
    """The process's pool of that size: CPU is per process, so apps in one process share it."""
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = PhotoPool(workers)
        return _pools[workers]
