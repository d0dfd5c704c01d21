"""inspect-app serve | worker | db | demo | create-user | import-sites | subdistricts |
notice-settings | check | backup | restore | routes."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlmodel import select

from inspect_app import migrate
from inspect_app.db import Database
from inspect_app.errors import Invalid
from inspect_app.settings import Settings

CLI_ACTOR_ID = 0


@contextmanager
def _database() -> Iterator[Database]:
    """The configured database, its connections closed when the command ends."""
    db = Database(Settings.from_env())
    try:
        yield db
    finally:
        db.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env()
    print(f"inspect-app serving on http://{args.host}:{args.port}  ({args.workers} worker(s))")
    print(f"database: {settings.database_url.split('@')[-1]}")
    uvicorn.run(
        "inspect_app.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=False,
        log_level=settings.log_level.lower(),
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The reminder rules (README "Reminders"): once, or every `--every` minutes until stopped.
    Any number of workers and servers may run them at once."""
    from inspect_app.notifications.worker import ReminderLoop, turn

    with _database() as db:
        if args.once:
            written = turn(db)
            print(f"reminders written: {sum(written.values())} {dict(sorted(written.items()))}")
            return 0
        loop = ReminderLoop(db, args.every)
        print(f"inspect-app worker: the reminder rules every {args.every:g} minutes (Ctrl+C stops)")
        with suppress(KeyboardInterrupt):
            loop.run_forever()
    return 0


def _minutes(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 1440:  # NaN fails too
        raise argparse.ArgumentTypeError("give minutes between 0.1 and 1440")
    return value


def _install_defaults(db: Database) -> None:
    """A fresh install gets the two default checklists; existing ones are left alone."""
    from inspect_app.checklists.service import ensure_default_templates

    with db.session(write=True) as session:
        added = ensure_default_templates(session=session)
    if added:
        print(f"installed {added} default checklist(s)")


def cmd_db(args: argparse.Namespace) -> int:
    with _database() as db:
        if args.action == "upgrade":
            migrate.upgrade(db.engine, args.revision or "head")
            if (args.revision or "head") == "head":
                _install_defaults(db)
            print("database is at", ", ".join(sorted(migrate.current_heads(db.engine))) or "base")
        elif args.action == "downgrade":
            migrate.downgrade(db.engine, args.revision or "base")
        elif args.action == "revision":
            migrate.revision(db.engine, args.message or "change")
        return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from inspect_app.demo import DEMO_PASSWORD, DemoRefused, load_demo
    from inspect_app.demo_campaigns import describe as describe_campaigns
    from inspect_app.demo_history import describe
    from inspect_app.notices import service as notices

    notices.register()  # the history's inspections with findings get their numbered notices

    with _database() as db:
        try:
            with db.session(write=True) as session:
                created = load_demo(
                    session=session,
                    settings=db.settings,
                    if_empty=args.if_empty,
                    history=not args.no_history,
                )
        except DemoRefused as refused:  # run twice: nothing changed, and no traceback
            print(f"{refused}; nothing changed (--if-empty skips quietly)", file=sys.stderr)
            return 1
        if created:
            if not args.no_history:
                with db.session() as session:
                    print("history:", describe(session=session, time_zone=db.settings.time_zone))
                    print("campaigns:", describe_campaigns(session=session))
            print(f"demo data loaded; every demo account has the password {DEMO_PASSWORD!r}:")
            print("  admin, supervisor, inspector1..inspector11, owner1..owner5")
            print("  second subdistrict: supervisor2, inspector12")
        else:
            print("demo data already present; nothing changed")
        return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from inspect_app.accounts.schemas import AccountFields
    from inspect_app.accounts.service import create_user
    from inspect_app.models import Subdistrict

    with _database() as db:
        password = args.password or os.environ.get("INSPECT_PASSWORD") or ""
        if not password and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
        with db.session(write=True) as session:
            subdistrict_id = None
            if args.subdistrict:
                found = session.exec(
                    select(Subdistrict).where(Subdistrict.code == args.subdistrict)
                ).first()
                if found is None:
                    print(f"no subdistrict with code {args.subdistrict!r}", file=sys.stderr)
                    return 2
                subdistrict_id = found.id
            data = AccountFields(
                username=args.username.strip(),
                password=password,
                role=args.role,
                display_name=(args.display_name or "").strip(),
                subdistrict_id=str(subdistrict_id or ""),
                city_wide=bool(args.city_wide),
            )
            try:
                user = create_user(session=session, settings=db.settings, actor=None, data=data)
            except Invalid as exc:
                for name, message in exc.fields.items():
                    print(f"{name}: {message}", file=sys.stderr)
                return 2
            print(f"created {user.role} {user.username}")
        return 0


def cmd_import_sites(args: argparse.Namespace) -> int:
    from inspect_app.auth.service import CurrentUser
    from inspect_app.models import Role
    from inspect_app.sites.importer import decode_csv, import_sites

    with _database() as db:
        text = decode_csv(Path(args.file).read_bytes())
        actor = CurrentUser(
            id=CLI_ACTOR_ID,
            username="cli",
            display_name="",
            role=Role.admin,
            subdistrict_id=None,
            city_wide=True,
        )
        with db.session(write=True) as session:
            result = import_sites(
                session=session, user=actor, text=text, subdistrict_code=args.subdistrict
            )
        if result.errors:
            for line, message in result.errors:
                print(f"line {line}: {message}", file=sys.stderr)
            print("nothing was imported", file=sys.stderr)
            return 1
        print(f"imported {result.created} sites")
        return 0


def cmd_subdistricts(_args: argparse.Namespace) -> int:
    """The subdistrict codes that import-sites and create-user take, with their names."""
    from inspect_app.models import Subdistrict

    with _database() as db, db.session() as session:
        rows = [
            (s.code, s.name_zh, s.name_en)
            for s in session.exec(select(Subdistrict).order_by(Subdistrict.code))
        ]
    if not rows:
        print("no subdistricts yet (`inspect-app demo` loads wutong and yinxing)", file=sys.stderr)
        return 1
    width = max(len(code) for code, _zh, _en in rows)
    for code, name_zh, name_en in rows:
        print(f"{code:<{width}}  {name_zh}  {name_en}")
    return 0


def cmd_notice_settings(args: argparse.Namespace) -> int:
    """Show, or set, a subdistrict's notice number prefix and re-check wording."""
    from inspect_app.errors import AppError
    from inspect_app.notices import content, service
    from inspect_app.timezone import today_in

    try:
        with _database() as db, db.session(write=True) as session:
            sub = service.configure(
                session=session,
                code=args.code,
                prefix=args.prefix,
                recheck_zh=args.recheck_zh,
                recheck_en=args.recheck_en,
            )
            wording = content.recheck_wording(sub)
            prefix = content.prefix_of(sub)
    except AppError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    year = today_in(Settings.from_env().time_zone).year
    print(f"format:       {content.format_number(prefix, year, 1)}")
    print(f"re-check zh:  {wording['zh']}")
    print(f"re-check en:  {wording['en']}")
    return 0


def _name(guard: object) -> str:
    guard = getattr(guard, "func", guard)  # Litestar wraps guards to await them
    return getattr(guard, "__qualname__", type(guard).__name__)


def cmd_routes(_args: argparse.Namespace) -> int:
    """Every route the app serves: its methods, full path, handler and guards."""
    from litestar.routes import HTTPRoute

    from inspect_app.app import create_app

    rows = []
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute):
            rows.append(("*", route.path, "static files", ""))
            continue
        for handler in route.route_handlers:
            methods = ",".join(sorted(m for m in handler.http_methods if m != "HEAD"))
            if methods in ("", "OPTIONS"):  # answered by Litestar for every path
                continue
            fn = getattr(handler.fn, "func", handler.fn)  # sync handlers run in a thread
            guards = ", ".join(_name(g) for g in handler.resolve_guards()) or "public"
            rows.append((methods, route.path, f"{fn.__module__}.{fn.__qualname__}", guards))
    rows.sort(key=lambda row: (row[1], row[0]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3])
    return 0


def cmd_check(_args: argparse.Namespace) -> int:
    from inspect_app.ops import check

    with _database() as db:
        report = check(db)
    print(f"{report.blobs} photos in the database, {report.files} files in storage")
    for key in report.missing:
        print(f"missing file: {key}")
    for key in report.orphans:
        print(f"file without a record: {key}")
    print("ok" if report.ok else f"{len(report.missing)} missing, {len(report.orphans)} orphaned")
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from inspect_app.ops import backup

    with _database() as db:
        manifest = backup(db, Path(args.file))
    print(
        f"backed up {sum(manifest['rows'].values())} rows and {manifest['photos']} photos "
        f"to {args.file}"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from inspect_app.ops import RestoreRefused, restore

    with _database() as db:
        try:
            manifest = restore(db, Path(args.file))
        except RestoreRefused as exc:
            print(f"restore refused: {exc}", file=sys.stderr)
            return 2
    print(f"restored {sum(manifest['rows'].values())} rows and {manifest['photos']} photos")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inspect-app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app with uvicorn")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="run the reminder rules and send to channels (also done inside serve)"
    )
    worker.add_argument("--once", action="store_true", help="run them once and stop")
    worker.add_argument("--every", type=_minutes, default=5.0, help="minutes between runs")
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "revision"])
    db.add_argument("revision", nargs="?")
    db.add_argument("-m", "--message")
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="load the fictional demo subdistricts and accounts")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    demo.add_argument(
        "--no-history",
        action="store_true",
        help="people and sites only: no inspections, photos or rectification items",
    )
    demo.set_defaults(func=cmd_demo)

    cu = sub.add_parser("create-user", help="create an account")
    cu.add_argument("username")
    cu.add_argument("--role", required=True, choices=["admin", "supervisor", "inspector", "owner"])
    cu.add_argument("--subdistrict", help="subdistrict code")
    cu.add_argument("--city-wide", action="store_true")
    cu.add_argument("--display-name")
    cu.add_argument("--password", help="else $INSPECT_PASSWORD, else asked for")
    cu.set_defaults(func=cmd_create_user)

    imp = sub.add_parser("import-sites", help="import sites from a CSV file (all or nothing)")
    imp.add_argument("file")
    imp.add_argument("--subdistrict", help="subdistrict code for rows without one")
    imp.set_defaults(func=cmd_import_sites)
    sub.add_parser(
        "subdistricts", help="list the subdistrict codes (for import-sites, create-user)"
    ).set_defaults(func=cmd_subdistricts)
    ns = sub.add_parser(
        "notice-settings", help="a subdistrict's notice number prefix and re-check wording"
    )
    ns.add_argument("code", help="subdistrict code")
    ns.add_argument("--prefix", help="e.g. 梧桐 (empty: the Chinese name without 街道)")
    ns.add_argument("--recheck-zh", help="the re-check wording in Chinese (empty: the default)")
    ns.add_argument("--recheck-en", help="the re-check wording in English (empty: the default)")
    ns.set_defaults(func=cmd_notice_settings)
    sub.add_parser("check", help="photo records vs stored files").set_defaults(func=cmd_check)
    sub.add_parser("routes", help="every route: methods, path, handler and guards").set_defaults(
        func=cmd_routes
    )
    bk = sub.add_parser("backup", help="database and photos into one archive (app may run)")
    bk.add_argument("file")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="an archive from `backup` into an empty database")
    rs.add_argument("file")
    rs.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
