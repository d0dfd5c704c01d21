"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
the app from create_app(settings), and clients signed in through the real login form."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime, time, timedelta
from pathlib import Path
from time import localtime
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from inspect_app import migrate
from inspect_app.app import create_app
from inspect_app.cli import main as cli_main
from inspect_app.db import Database
from inspect_app.demo import load_demo
from inspect_app.models import Site, SiteOwner, User
from inspect_app.settings import Settings
from tests.helpers.app import (
    DEMO_PASSWORD,
    IN_CI,
    PG_URL,
    make_settings,
    office_today,
    require_shared_photos,
    sign_in,
)
from tests.helpers.demo import Demo, loaded_demo


@pytest.fixture
def real_photos() -> Path:
    return require_shared_photos()


# INSPECT_TEST_CLOCK=HH:MM starts every test at that time of the office's today; `make test`
# runs the date-sensitive tests at 23:30 in Shanghai on a machine whose zone is already tomorrow.
TEST_CLOCK = os.environ.get("INSPECT_TEST_CLOCK", "")


def pytest_configure(config) -> None:
    """Set the clock INSPECT_TEST_CLOCK asks for before any test module is imported (module
    constants such as TODAY see it too); it keeps ticking from there."""
    if not TEST_CLOCK:
        return
    import time_machine

    _check_machine_zone()

    start = datetime.combine(
        office_today(), time.fromisoformat(TEST_CLOCK), ZoneInfo(Settings.time_zone)
    )
    # A timestamp: a datetime destination would also set the process's zone (TZ), and the
    # point is to keep the machine's own zone.
    config._office_clock = time_machine.travel(start.timestamp(), tick=True)
    config._office_clock.start()


def pytest_collection_modifyitems(config, items) -> None:
    """With pytest-xdist (`make test` runs two workers), the browser and load tests take turns
    on one worker (each starts servers and Chromium, and their timings assume a core of their
    own), and the tests of the whole demo share the worker that loads it once."""
    for item in items:
        if "browser" in item.keywords or "reliability" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("servers"))
        elif "demo" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("demo"))


def _check_machine_zone() -> None:
    """A TZ the C library does not know silently means UTC, and the clock run would then
    test nothing: refuse it."""
    zone = os.environ.get("TZ", "")
    if not zone:
        return
    expected = datetime.now(ZoneInfo(zone)).utcoffset()
    if expected != timedelta(seconds=localtime().tm_gmtoff):
        raise pytest.UsageError(f"TZ={zone} is unknown to this machine (install tzdata)")


def pytest_unconfigure(config) -> None:
    clock = getattr(config, "_office_clock", None)
    if clock is not None:
        clock.stop()


def _migrated_with_demo(settings: Settings) -> None:
    db = Database(settings)
    migrate.upgrade(db.engine)
    with db.session(write=True) as session:
        load_demo(session=session, settings=settings)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrated once, with demo data; each test gets a copy of the file."""
    var_dir = tmp_path_factory.mktemp("template")
    path = var_dir / "template.db"
    _migrated_with_demo(make_settings(var_dir, f"sqlite:///{path}"))
    return path


def _pg_admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory) -> Iterator[str]:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI requires the PostgreSQL tests: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (make test starts a cluster)")
    name = f"inspect_tpl_{os.getpid()}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _migrated_with_demo(make_settings(tmp_path_factory.mktemp("pgtpl"), url))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh database with demo data, on each engine."""
    if request.param == "sqlite":
        target = tmp_path / "inspect.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    with _pg_database("t_", f'TEMPLATE "{template}"') as url:
        yield url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request, tmp_path_factory) -> Iterator[Demo]:
    """The whole demo (people, history, campaigns) as `make run` loads it, once per engine for
    the session: slow to load, so the tests that use it only read."""
    with loaded_demo(request.param, tmp_path_factory.mktemp("demo")) as loaded:
        yield loaded


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path) -> Iterator[str]:
    """An empty database (no tables), on each engine, for the migrations to build."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI requires the PostgreSQL tests: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (make test starts a cluster)")
    with _pg_database("m_") as url:
        yield url


@contextmanager
def _pg_database(prefix: str, options: str = "") -> Iterator[str]:
    """A throwaway PostgreSQL database (CREATE DATABASE ... `options`), dropped afterwards."""
    name = prefix + uuid.uuid4().hex[:12]
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" {options}'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[Litestar]:
    application = create_app(settings)
    yield application
    application.state.db.dispose()  # close pooled connections before the database is dropped


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def cli(monkeypatch, settings, tmp_path):
    """Run `inspect-app ...` against this test's database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "cli-var"))
    monkeypatch.delenv("INSPECT_PASSWORD", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = cli_main(list(args))
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def login_as(app: Litestar) -> Callable[[str], TestClient]:
    """login_as('inspector1') -> a TestClient signed in through the real login form."""

    def _login(username: str, password: str = DEMO_PASSWORD) -> TestClient:
        c = TestClient(app)  # no lifespan: the `client` fixture may already run the app's
        response = sign_in(c, username, password)
        assert response.status_code in (302, 303), response.text
        return c

    return _login


@pytest.fixture
def api_token(client: TestClient) -> Callable[[str], dict[str, str]]:
    """api_token('owner1') -> headers with a bearer token for that demo account."""

    def _token(username: str) -> dict[str, str]:
        r = client.post(
            "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return _token


class World:
    """Looks things up in the demo data so tests name people, not ids."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def user(self, username: str) -> User:
        with self.db.session() as s:
            return s.exec(select(User).where(User.username == username)).one()

    def sites(self, *where) -> list[Site]:
        with self.db.session() as s:
            return list(s.exec(select(Site).where(*where).order_by(Site.id)))

    def site_named(self, name_zh: str) -> Site:
        return self.sites(Site.name_zh == name_zh)[0]

    def owned_by(self, username: str) -> list[Site]:
        user = self.user(username)
        with self.db.session() as s:
            return list(
                s.exec(
                    select(Site)
                    .join(SiteOwner)
                    .where(SiteOwner.user_id == user.id)
                    .order_by(Site.id)
                )
            )

    def session(self) -> Session:
        return self.db.session()


@pytest.fixture
def world(db: Database) -> World:
    return World(db)
