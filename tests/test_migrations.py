"""Migrations are the only way the schema changes: they build exactly the models, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from inspect_app import migrate
from inspect_app.cli import main


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
