"""A district-scale data set for load tests, in SQLite or PostgreSQL, built fast with bulk inserts.

At --scale 1.0: 10 subdistricts, 100 teams (2 inspectors each), 2,000 buildings, 50,000
enterprises (most with their own owner account), 200,000 inspections over the past year
(~2.3 million answers: 12 per enterprise inspection, 8 per fire-safety one), ~300,000
rectification items (open, reported fixed, closed, cancelled; some overdue by days to months)
with ~800,000 events and a photo per finding and per fix. The schema comes from the app's own
migrations; rows go in through SQLAlchemy Core executemany (SQLite) or COPY (PostgreSQL).

Accounts, all with the password `bench1234` (one cheap argon2 hash shared by every account):
cityadmin, citysupervisor (city-wide), admin<k> and supervisor<k> for subdistrict k,
inspector<n> (two per team n: inspector<2n-1>, inspector<2n>), owner<n>.

    .venv/bin/python benchmarks/generate_district.py               # var/bench/district-1.db
    .venv/bin/python benchmarks/generate_district.py --database-url postgresql+psycopg://... \\
        --var-dir var/bench-pg --scale 0.1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bulk import BulkWriter
from _district import Item, Scale, Template, World
from _photos import jpeg, sha256

from inspect_app import migrate
from inspect_app.checklists.service import ensure_default_templates
from inspect_app.models import ChecklistTemplate, TemplateItem, TemplateVersion
from inspect_app.photos.pipeline import process_photo
from inspect_app.photos.service import save_files
from inspect_app.photos.storage import DirectoryStorage

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench1234"  # noqa: S105 (benchmark accounts only)
BLOBS = 24
TIME_ZONE = "Asia/Shanghai"


def cheap_hash() -> str:
    """One argon2id hash for every account: cheap to verify, so sign-in is not what we measure."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def prepare(url: str, replace: bool) -> None:
    """An empty database to load into: refuse one with data unless --replace."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if path.exists():
            if not replace:
                sys.exit(f"{path} exists; pass --replace to start it again")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        ).scalar()
        if tables and not replace:
            sys.exit("the database has tables; pass --replace to drop its public schema")
        if tables:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def templates(session: Session) -> dict[str, Template]:
    out = {}
    rows = session.execute(
        select(ChecklistTemplate.code, TemplateVersion.id)
        .join(TemplateVersion, TemplateVersion.template_id == ChecklistTemplate.id)
        .where(TemplateVersion.status == "published")
    ).all()
    for code, version_id in rows:
        template_id = session.execute(
            select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)
        ).scalar_one()
        items = session.execute(
            select(TemplateItem.code, TemplateItem.severity, TemplateItem.period_days)
            .where(TemplateItem.version_id == version_id)
            .order_by(TemplateItem.position)
        ).all()
        out[code] = Template(version_id, code, [Item(c, str(s), p) for c, s, p in items])
        out[code].template_id = template_id
    return out


def photo_blobs(writer: BulkWriter, var_dir: Path) -> list[str]:
    """A few real photos through the app's pipeline into storage; every photo row uses one."""
    storage = DirectoryStorage(var_dir / "photos", fsync=False)
    rows, hashes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(BLOBS):
            data = jpeg(n)
            path = Path(tmp) / f"{n}.jpg"
            path.write_bytes(data)
            p = process_photo(path, sha256=sha256(data), byte_size=len(data), time_zone=TIME_ZONE)
            save_files(storage=storage, processed=p, original=path)
            hashes.append(p.sha256)
            rows.append((p.sha256, p.content_type, p.byte_size, p.width, p.height, None, None,
                         None, datetime.now(UTC)))  # fmt: skip
    columns = ("sha256", "content_type", "byte_size", "width", "height", "taken_at",
               "gps_latitude", "gps_longitude", "created_at")  # fmt: skip
    writer.write(SQLModel.metadata.tables["photo_blob"], columns, rows)
    return hashes


def load(url: str, scale: Scale, seed: int, var_dir: Path) -> dict[str, int]:
    engine = create_engine(url)
    is_sqlite = engine.dialect.name == "sqlite"
    if is_sqlite:
        with engine.connect() as conn:  # the app runs in WAL mode; the file keeps it
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    migrate.upgrade(engine)
    with Session(engine) as session:
        ensure_default_templates(session=session)
        session.commit()
        found = templates(session)
    with engine.begin() as conn:
        if is_sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-200000")
        else:  # skip foreign-key triggers while loading (superuser only; else they run)
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            except Exception:  # noqa: S110
                pass
        writer = BulkWriter(conn)
        world = World(writer=writer, scale=scale, seed=seed, password_hash=cheap_hash(),
                      now=datetime.now(UTC), time_zone=TIME_ZONE, templates=found,
                      blobs=photo_blobs(writer, var_dir))  # fmt: skip
        world.people_and_places()
        world.plan_campaign()
        world.inspections()
        writer.reset_sequences(SQLModel.metadata.sorted_tables)
    if not is_sqlite:  # what autovacuum does soon after a load (SQLite has no such thing);
        # committed, or the statistics vanish with the transaction
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in SQLModel.metadata.sorted_tables
        }
        counts["overdue items"] = conn.execute(
            text(
                "SELECT count(*) FROM rectification WHERE status IN ('open', 'fix_reported') "
                "AND deadline < :today"
            ),
            {"today": world.today.isoformat() if is_sqlite else world.today},
        ).scalar()
    engine.dispose()
    return counts


def default_url(scale: float, one_subdistrict: bool = False) -> str:
    """SQLite file per scale, so a quick pass never reuses (or replaces) the full data set."""
    name = f"district-{scale:g}{'-one' if one_subdistrict else ''}.db"
    return f"sqlite:///{ROOT / 'var' / 'bench' / name}"


def default_var_dir(url: str) -> Path:
    """Photo files live beside a SQLite file, else in var/bench."""
    path = make_url(url).database if url.startswith("sqlite") else None
    return Path(path).parent if path else ROOT / "var" / "bench"


def generate(
    url: str,
    scale: float,
    *,
    replace: bool,
    var_dir: Path,
    seed: int = 2020,
    one_subdistrict: bool = False,
) -> None:
    """Make the data set and print its row counts and how long it took."""
    started = time.perf_counter()
    prepare(url, replace)
    counts = load(url, Scale(scale, one_subdistrict), seed, var_dir)
    took = time.perf_counter() - started
    print(f"database: {make_url(url).render_as_string(hide_password=True)}")
    print(f"photos:   {var_dir / 'photos'}")
    width = max(len(k) for k in counts)
    for name, n in counts.items():
        if n:
            print(f"  {name:<{width}}  {n:>10,}")
    print(f"generated at scale {scale:g} in {took:.1f} s; every account's password: {PASSWORD}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: var/bench/district-<scale>.db")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--var-dir", type=Path, help="photo files (default: beside a SQLite file, else var/bench)"
    )
    parser.add_argument("--replace", action="store_true", help="drop what the database holds")
    parser.add_argument(
        "--one-subdistrict",
        action="store_true",
        help="every site in one subdistrict, so the campaign round covers the whole district "
        "(default file: district-<scale>-one.db)",
    )
    opts = parser.parse_args()
    url = opts.database_url or default_url(opts.scale, opts.one_subdistrict)
    var_dir = opts.var_dir or default_var_dir(url)
    generate(url, opts.scale, replace=opts.replace, var_dir=var_dir, seed=opts.seed,
             one_subdistrict=opts.one_subdistrict)  # fmt: skip


if __name__ == "__main__":
    main()
