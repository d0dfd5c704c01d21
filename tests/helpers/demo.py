"""The demo with its history and campaigns, loaded the way `make run` does it (`inspect-app db
upgrade`, then `inspect-app demo --if-empty`) into an empty database, and read as its users read
it. Loading takes a while, so the `demo` fixture (conftest) loads it once per engine and
session; the tests that use it only read."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inspect_app.app import create_app
from inspect_app.cli import main as cli_main
from inspect_app.db import Database
from inspect_app.settings import Settings
from tests.helpers.app import DEMO_PASSWORD, IN_CI, PG_URL, make_settings, sign_in

ENV = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8"}


def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    """`inspect-app ...` with this environment, as a user at a shell would run it."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        with redirect_stdout(out):
            code = cli_main(list(args))
    return code, out.getvalue()


@dataclass
class Demo:
    settings: Settings
    env: dict[str, str]
    output: str
    client: TestClient
    db: Database
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    details: dict[int, dict] = field(default_factory=dict)

    def token(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            body = {"username": username, "password": DEMO_PASSWORD}
            r = self.client.post("/api/v1/auth/token", json=body)
            assert r.status_code == 201, r.text
            self.tokens[username] = {"Authorization": f"Bearer {r.json()['token']}"}
        return self.tokens[username]

    def get(self, username: str, url: str) -> dict:
        r = self.client.get(url, headers=self.token(username))
        assert r.status_code == 200, r.text
        return r.json()

    def events(self, item: dict) -> list[dict]:
        """An item's history as the supervisor's API shows it (read once per session)."""
        if item["id"] not in self.details:
            url = f"/api/v1/rectifications/{item['id']}"
            self.details[item["id"]] = self.get("supervisor", url)
        return self.details[item["id"]]["events"]

    def items(self, username: str, **query) -> list[dict]:
        params = {"limit": 200, **query}
        return self.get(username, "/api/v1/rectifications?" + _qs(params))["items"]

    def page(self, username: str, url: str) -> str:
        c = TestClient(self.client.app)
        assert sign_in(c, username).status_code in (302, 303)
        r = c.get(url)
        assert r.status_code == 200, r.text
        return r.text


def _qs(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


@contextmanager
def _database_url(engine: str, var_dir: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{var_dir / 'inspect.db'}"
        return
    if not PG_URL:
        pytest.fail("PostgreSQL URL missing") if IN_CI else pytest.skip("no PostgreSQL")
    name = "demo_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def loaded_demo(engine: str, var_dir: Path) -> Iterator[Demo]:
    """A database of this engine with the whole demo, as `make run` leaves it, and a client."""
    with _database_url(engine, var_dir) as url:
        env = {**ENV, "DATABASE_URL": url, "VAR_DIR": str(var_dir)}
        assert run_cli(env, "db", "upgrade")[0] == 0
        code, output = run_cli(env, "demo", "--if-empty")
        assert code == 0, output
        settings = make_settings(var_dir, url)
        app = create_app(settings)
        try:
            with TestClient(app) as client:
                yield Demo(settings, env, output, client, app.state.db)
        finally:
            app.state.db.dispose()
