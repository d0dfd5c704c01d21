"""`inspect-app check`, `backup` and `restore`: a round trip on each engine, and the checker
finding missing and orphaned photo files."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from inspect_app.cli import main
from inspect_app.db import Database
from inspect_app.ops import RestoreRefused, backup, check, restore
from tests.helpers.app import IN_CI, PG_URL, make_settings
from tests.helpers.data import findings


@pytest.fixture
def with_photos(client, api_token, world):
    """Real records with photos: an inspection failing two items, each with its photo."""
    return findings(client, api_token, world, world.owned_by("owner1")[0], failed=("F02", "F04"))


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def empty_target(request, tmp_path, database_url):
    """An empty database of the same engine as the source, with its own photo directory."""
    if database_url.startswith("sqlite"):
        yield make_settings(tmp_path / "restored", f"sqlite:///{tmp_path / 'restored.db'}")
        return
    if not PG_URL:
        pytest.fail("PostgreSQL URL missing") if IN_CI else pytest.skip("no PostgreSQL")
    name = "r_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield make_settings(tmp_path / "restored", url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_and_restore_round_trip(db, settings, with_photos, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(db, archive)
    assert manifest["photos"] == 2 and manifest["rows"]["rectification"] == 2
    target = Database(empty_target)
    try:
        restore(target, archive)
        assert counts(target.engine) == counts(db.engine)
        assert check(target).ok and check(target).blobs == 2
        with target.engine.connect() as conn:
            deadline = conn.execute(text("SELECT deadline FROM rectification ORDER BY id")).first()
        with db.engine.connect() as conn:
            original = conn.execute(text("SELECT deadline FROM rectification ORDER BY id")).first()
        assert deadline == original
        with pytest.raises(RestoreRefused):
            restore(target, archive)  # never over existing data
        with target.session(write=True) as s:  # new rows get fresh ids after a restore
            s.exec(
                text("INSERT INTO subdistrict (code, name_zh, name_en) VALUES ('new', '新', 'New')")
            )
    finally:
        target.dispose()


def test_check_reports_missing_and_orphaned_files(db, settings, with_photos):
    report = check(db)
    assert report.ok and report.blobs == 2 and report.files == 6
    stored = sorted(p for p in settings.photo_dir.rglob("*") if p.is_file())
    stored[0].unlink()
    orphan = settings.photo_dir / "thumb" / "ff" / ("f" * 64 + ".jpg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x")
    report = check(db)
    assert not report.ok and len(report.missing) == 1
    assert report.orphans == ["thumb/ff/" + "f" * 64 + ".jpg"]


def test_cli_commands(db, settings, with_photos, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    assert main(["check"]) == 0 and "ok" in capsys.readouterr().out
    assert main(["backup", str(tmp_path / "b.tar.gz")]) == 0
    assert "2 photos" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.tar.gz")]) == 2  # this database is not empty
    next(settings.photo_dir.rglob("*.jpg")).unlink()
    assert main(["check"]) == 1 and "missing file" in capsys.readouterr().out
