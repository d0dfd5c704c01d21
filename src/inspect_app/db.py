"""Engines per settings, SQLite pragmas, and one session + transaction per request."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from inspect_app.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


WRITER_KEY = "inspect_writer_lock"
BUSY_TIMEOUT_S = 15
# Connections kept open: as many as the threads that run handlers (anyio's default 40), so
# under load no request waits for one and none is opened and closed again (on SQLite that
# repeats the pragmas and starts with a cold page cache). PostgreSQL keeps fewer per worker
# (each is a server process); more are opened when needed.
SQLITE_POOL, PG_POOL, PG_OVERFLOW = 40, 20, 20
SQLITE_MMAP_BYTES = 1 << 30  # reads come from the OS page cache without a copy per page


class WriterQueue:
    """Writers to one SQLite file wait their turn on a lock file, in the kernel, before they say
    BEGIN IMMEDIATE.

    SQLite's own busy wait polls with growing sleeps, so under a burst of writes from several
    processes a writer that has waited long polls rarely and loses to newcomers, again and again,
    until its busy timeout ends in "database is locked" (50 phones syncing at once against four
    workers did that). Waiters blocked on a flock are woken alike when it is released. A writer
    that has not had its turn after `timeout_s` goes on to SQLite's busy wait as before, and the
    event loop's thread never queues: it must keep running to finish what it started."""

    def __init__(self, path: Path, timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def acquire(self, info: dict) -> None:
        if info.get(WRITER_KEY) is not None or _on_event_loop():
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _Turn(fd).wait(self.timeout_s):
                return  # the waiting thread closes fd once the turn comes
        except BaseException:
            os.close(fd)
            raise
        info[WRITER_KEY] = fd

    @staticmethod
    def release(info: dict) -> None:
        fd = info.pop(WRITER_KEY, None)
        if fd is not None:
            os.close(fd)  # closing the only descriptor of the open file releases its flock


class _Turn:
    """A blocking flock in a thread of its own, so that the writer can stop waiting for it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.granted = False
        self.abandoned = False

    def wait(self, timeout_s: float) -> bool:
        threading.Thread(target=self._block, name="sqlite-writer-turn", daemon=True).start()
        self.done.wait(timeout_s)
        with self.lock:
            self.abandoned = not self.granted
            return self.granted

    def _block(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            os.close(self.fd)
            self.done.set()
            return
        with self.lock:
            if self.abandoned:
                os.close(self.fd)
            else:
                self.granted = True
        self.done.set()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _install_sqlite_hooks(engine: Engine, queue: WriterQueue | None) -> None:
    """Pragmas per connection; transactions begun by us so writers can say BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        if immediate and queue is not None:
            queue.acquire(conn.connection.info)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if queue is not None:  # the turn ends when the connection goes back to the pool (or away)
        for name in ("checkin", "close", "detach", "invalidate"):
            event.listen(engine.pool, name, _release_turn)


def _release_turn(_dbapi_conn, record, *_exception) -> None:
    WriterQueue.release(record.info)


SETTINGS_KEY = "inspect_settings"


def settings_of(session: Session) -> Settings:
    """The settings of the database this session belongs to (see `Database.session`)."""
    found = session.info.get(SETTINGS_KEY)
    if not isinstance(found, Settings):
        raise RuntimeError("a session made outside Database.session() has no settings")
    return found


def make_engine(settings: Settings) -> Engine:
    """One engine per app; nothing connects until first use."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        queue = None
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            queue = WriterQueue(Path(path + ".writers"))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            pool_size=SQLITE_POOL,
            max_overflow=SQLITE_POOL,
        )
        _install_sqlite_hooks(engine, queue)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=PG_POOL, max_overflow=PG_OVERFLOW)
    event.listen(engine, "connect", _utc_session)
    return engine


def _utc_session(dbapi_conn, _record) -> None:
    """Timestamps reach Python in UTC whatever the server's TimeZone: east of UTC a stored
    9999-12-31T23:59:59Z is in year 10000, which psycopg cannot load (every read a 500)."""
    with dbapi_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


class Database:
    """Hands out sessions: read sessions plain, write sessions with BEGIN IMMEDIATE on SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self._write_engine = (
            self.engine.execution_options(sqlite_immediate=True)
            if settings.is_sqlite
            else self.engine
        )

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction, ended by `end_transaction`."""
        engine = self._write_engine if write else self.engine
        # The settings ride along (`settings_of`): work started deep inside another (a notice
        # issued on submit makes the business's link, which needs SECRET_KEY) finds them here.
        with Session(engine, expire_on_commit=False, info={SETTINGS_KEY: self.settings}) as session:
            try:
                yield session
            except BaseException as error:
                end_transaction(session, error)
                raise
            end_transaction(session, None)

    def dispose(self) -> None:
        self.engine.dispose()


def keeps_changes(error: BaseException | None) -> bool:
    """Whether the work done before this error stands (see `errors.AppError.keeps_changes`)."""
    return error is None or bool(getattr(error, "keeps_changes", False))


def end_transaction(session: Session, error: BaseException | None) -> None:
    """The one place a transaction ends: committed on success, or when the error says the work
    before it stands (a failed sign-in is counted; answers stay when only a deadline is
    refused); rolled back otherwise. Handlers and services never commit on their own."""
    if keeps_changes(error):
        session.commit()
    else:
        session.rollback()


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """Try a change that may be refused, inside the request's transaction (a SAVEPOINT): when it
    is refused, this change alone is undone, so the page can show the form again from what is
    stored, and the refusal still reaches the caller."""
    savepoint = session.begin_nested()
    try:
        yield
        session.flush()  # a refusal by the database (a unique key) lands here, not at the commit
    except BaseException as error:
        if keeps_changes(error):
            savepoint.commit()
        else:
            savepoint.rollback()
        raise
    savepoint.commit()


def ends_in_worker_thread(handler: Callable[P, T]) -> Callable[P, T]:
    """For a sync write handler: end the request's transaction in the handler's own worker
    thread (the `db` argument), not in the request's cleanup.

    The cleanup runs after the event loop gets to it, and on SQLite the write lock stays taken
    until then: a query on the loop that waits for that lock (the token check) would stall the
    very loop that should release it. The request's own cleanup then finds nothing to do."""

    @functools.wraps(handler)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        session = kwargs["db"]
        assert isinstance(session, Session)
        try:
            result = handler(*args, **kwargs)
        except BaseException as error:
            end_transaction(session, error)
            raise
        end_transaction(session, None)
        return result

    return run
