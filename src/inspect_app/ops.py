"""Operations: `check` (photo records vs stored files), `backup` and `restore` (database and photos,
consistent while the app runs; a portable archive that restores into SQLite or PostgreSQL)."""

from __future__ import annotations

import io
import json
import tarfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, select, text
from sqlmodel import SQLModel

import inspect_app.models  # noqa: F401  (registers every table)
from inspect_app import migrate
from inspect_app.db import Database
from inspect_app.models import PhotoBlob
from inspect_app.photos.storage import DirectoryStorage, photo_keys

FORMAT = "inspect-app-backup/1"


@dataclass
class CheckReport:
    """Photo records without their files, and stored files without a record."""

    blobs: int = 0
    files: int = 0
    missing: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.orphans


def check(db: Database) -> CheckReport:
    assert db.settings.photo_dir is not None  # set by Settings
    storage = DirectoryStorage(db.settings.photo_dir)
    with db.session() as session:
        # A Core select (as for the tables below): sqlmodel types exec() for its own selects only.
        hashes = list(session.exec(select(PhotoBlob.sha256)).scalars())  # type: ignore[call-overload]
    expected: set[str] = set()
    for sha in hashes:
        expected.update(photo_keys(sha).values())
    stored = set(storage.keys())
    return CheckReport(
        blobs=len(hashes),
        files=len(stored),
        missing=sorted(expected - stored),
        orphans=sorted(stored - expected),
    )


def _tables():
    return [t for t in SQLModel.metadata.sorted_tables]


def _encode(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


def backup(db: Database, destination: Path) -> dict:
    """One snapshot of every table (one read transaction) plus the photo files it refers to."""
    counts: dict[str, int] = {}
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_suffix(destination.suffix + ".part")
    assert db.settings.photo_dir is not None  # set by Settings
    storage = DirectoryStorage(db.settings.photo_dir)
    with tarfile.open(tmp, "w:gz") as tar, db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for every table
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            hashes: list[str] = []
            for table in _tables():
                lines = []
                for row in conn.execute(table.select().order_by(*table.primary_key.columns)):
                    record = {k: _encode(v) for k, v in row._mapping.items()}
                    lines.append(json.dumps(record, ensure_ascii=False))
                    if table.name == "photo_blob":
                        hashes.append(record["sha256"])
                _add(tar, f"db/{table.name}.jsonl", "\n".join(lines).encode())
                counts[table.name] = len(lines)
            version = sorted(migrate.current_heads(db.engine))
        for sha in hashes:  # files are immutable and written before their records
            for key in photo_keys(sha).values():
                path = storage.get_path(key)
                if path is not None:
                    tar.add(path, arcname=f"photos/{key}")
        manifest = {
            "format": FORMAT,
            "created": time.time(),
            "migration": version,
            "rows": counts,
            "photos": len(hashes),
        }
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    tmp.replace(destination)
    return manifest


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _read(tar: tarfile.TarFile, member: str | tarfile.TarInfo) -> bytes:
    """A file of the archive; a directory or a link in its place is not an inspect-app backup."""
    found = tar.extractfile(member)
    if found is None:
        raise RestoreRefused(f"{member} is not a file")
    return found.read()


class RestoreRefused(Exception):
    pass


def restore(db: Database, source: Path) -> dict:
    """Into an empty database: migrate, insert every table in dependency order, copy photos."""
    migrate.upgrade(db.engine)
    assert db.settings.photo_dir is not None  # set by Settings
    storage = DirectoryStorage(db.settings.photo_dir)
    with tarfile.open(source, "r:gz") as tar:
        manifest = json.loads(_read(tar, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise RestoreRefused("not an inspect-app backup")
        with db.engine.begin() as conn:
            for table in _tables():
                if conn.execute(select(table).limit(1)).first() is not None:
                    raise RestoreRefused(f"the database is not empty (table {table.name})")
            for table in _tables():
                jsonl = _read(tar, f"db/{table.name}.jsonl").decode()
                rows = [json.loads(line) for line in jsonl.splitlines() if line]
                for row in rows:
                    for column in table.columns:
                        value, kind = (
                            row.get(column.name),
                            getattr(column.type, "impl", column.type),
                        )
                        if value is not None and isinstance(kind, DateTime):
                            row[column.name] = datetime.fromisoformat(value)
                        elif value is not None and isinstance(kind, Date):
                            row[column.name] = date.fromisoformat(value)
                if rows:
                    conn.execute(table.insert(), rows)
            if conn.dialect.name == "postgresql":
                for table in _tables():
                    if "id" in table.columns:
                        _reset_sequence(conn, table.name)
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("photos/"):
                storage.put(member.name.removeprefix("photos/"), _read(tar, member))
    return manifest


def _reset_sequence(conn, table_name: str) -> None:
    """PostgreSQL: the next id after the restored rows (names are our own tables, not input)."""
    sql = (
        f"SELECT setval(pg_get_serial_sequence('\"{table_name}\"', 'id'), "  # noqa: S608  # nosec B608
        f'COALESCE((SELECT MAX(id) FROM "{table_name}"), 0) + 1, false)'
    )
    if conn.execute(text(f"SELECT pg_get_serial_sequence('\"{table_name}\"', 'id')")).scalar():
        conn.execute(text(sql))
