"""SQLite writers take turns on a lock file (inspect_app.db.WriterQueue): a waiting writer gets
the turn once it is free, gives up after its timeout (and then never holds the turn late), and
the event loop's thread never waits in the queue."""

from __future__ import annotations

import asyncio
import threading
import time

from inspect_app.db import WRITER_KEY, WriterQueue


def holds_turn(info: dict) -> bool:
    return info.get(WRITER_KEY) is not None


def acquire_in_thread(queue: WriterQueue, info: dict) -> threading.Thread:
    thread = threading.Thread(target=queue.acquire, args=(info,))
    thread.start()
    return thread


def in_plain_thread(test):
    """Run the test's body in a thread with no event loop: the main thread may have one
    running already (Playwright's sync API, in the same pytest session), and the queue
    rightly never waits on a loop's thread."""

    def run(tmp_path):
        failures = []

        def body():
            try:
                test(tmp_path)
            except BaseException as exc:
                failures.append(exc)

        thread = threading.Thread(target=body)
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


@in_plain_thread
def test_a_waiting_writer_gets_the_turn_once_it_is_released(tmp_path):
    queue = WriterQueue(tmp_path / "db.writers", timeout_s=10)
    first, second = {}, {}
    queue.acquire(first)
    waiting = acquire_in_thread(queue, second)
    time.sleep(0.2)
    assert holds_turn(first) and waiting.is_alive() and not holds_turn(second)
    queue.release(first)
    waiting.join(timeout=5)
    assert holds_turn(second) and not holds_turn(first)
    queue.release(second)


@in_plain_thread
def test_a_writer_gives_up_waiting_and_never_takes_the_turn_late(tmp_path):
    queue = WriterQueue(tmp_path / "db.writers", timeout_s=0.3)
    first, second, third = {}, {}, {}
    queue.acquire(first)
    started = time.monotonic()
    queue.acquire(second)  # goes on without a turn: SQLite's busy wait takes over
    assert 0.25 < time.monotonic() - started < 3 and not holds_turn(second)
    queue.release(first)
    queue.acquire(third)  # the abandoned wait got the lock and let it go at once
    assert holds_turn(third)
    queue.release(third)


@in_plain_thread
def test_the_event_loop_never_waits_in_the_queue(tmp_path):
    queue = WriterQueue(tmp_path / "db.writers", timeout_s=10)
    held, on_loop = {}, {}
    queue.acquire(held)

    async def write_on_the_loop() -> float:
        started = time.monotonic()
        queue.acquire(on_loop)
        return time.monotonic() - started

    assert asyncio.run(write_on_the_loop()) < 1 and not holds_turn(on_loop)
    queue.release(held)
