"""Reliability fixtures: a fresh database per run on each engine, with the demo data and 50 more
inspectors, served by `inspect-app serve --workers 4` (see stack.py); figures for the summary."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.helpers.app import IN_CI, PG_URL
from tests.reliability.stack import WORKERS, Stack, new_stack

INSPECTORS = 50
FIGURES = pytest.StashKey[list[str]]()


@contextlib.contextmanager
def _fresh_database(engine: str, var_dir: Path) -> Iterator[str]:
    """An empty database of this engine, dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{var_dir / 'inspect.db'}"
        return
    if not PG_URL:
        message = "PostgreSQL reliability tests need TEST_DATABASE_URL (scripts/with-postgres.sh)"
        pytest.fail("CI requires them: " + message) if IN_CI else pytest.skip(message)
    name = "load_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def stack_factory(engine, tmp_path_factory) -> Iterator[Callable[[], Stack]]:
    """stack_factory() -> a fresh stack on this module's engine; stopped and dropped afterwards."""
    with contextlib.ExitStack() as cleanup:

        def _new() -> Stack:
            var_dir = tmp_path_factory.mktemp(f"load-{engine}")
            url = cleanup.enter_context(_fresh_database(engine, var_dir))
            stack = new_stack(engine, url, var_dir, INSPECTORS, WORKERS)
            cleanup.callback(stack.server.stop)
            return stack

        yield _new


@pytest.fixture(scope="session")
def record_figures(pytestconfig) -> Callable[[str], None]:
    """Keep a figures line for the end-of-run summary (and print it for -s / -rA)."""

    def _record(line: str) -> None:
        print(line)
        pytestconfig.stash.setdefault(FIGURES, []).append(line)

    return _record


def pytest_terminal_summary(terminalreporter, config) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
