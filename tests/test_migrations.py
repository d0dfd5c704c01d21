"""Migrations are the only way the schema changes: they build exactly the models, both ways."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from inspect_app import migrate
from inspect_app.cli import main
from tests.conftest import IN_CI, PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI requires the PostgreSQL tests: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (make test starts a cluster)")
    name = "m_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


def test_upgrade_builds_the_models_and_downgrade_removes_them(empty_database):
    engine = create_engine(empty_database)
    try:
        migrate.upgrade(engine)
        assert _schema_diff(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert {"user", "site", "team", "auth_session", "api_token"} <= tables
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)  # and back again
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_cli_upgrade_and_demo_are_safe_to_run_twice(empty_database, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_database)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "8")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "--if-empty"]) == 0
    assert "demo data loaded" in capsys.readouterr().out
    assert main(["demo", "--if-empty"]) == 0
    assert "already present" in capsys.readouterr().out
    engine = create_engine(empty_database)
    try:
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM subdistrict")).scalar()
            sites = conn.execute(
                text("SELECT count(*) FROM site WHERE kind = 'enterprise'")
            ).scalar()
            buildings = conn.execute(
                text("SELECT count(*) FROM site WHERE kind = 'building'")
            ).scalar()
            teams = conn.execute(text("SELECT count(*) FROM team")).scalar()
        assert count == 2
        assert buildings == 38 and teams == 12  # 36 + 2 buildings, 11 + 1 teams
        assert sites >= 300  # several hundred enterprises
    finally:
        engine.dispose()
