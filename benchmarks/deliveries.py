"""Reminders and channels: how long the reminder rules take over the demo's history, and how fast
deliveries go out to each kind of channel, against a local receiver standing in for the WeCom
and DingTalk robots and a webhook's system.

Builds a fresh demo database (with its ~60 days of history) in a temporary directory, runs the
rules twice (the second run finds everything sent: the steady state of a server running them
every few minutes), then queues `--count` deliveries per channel and lets workers send them.
The robots are held to 20 messages a minute, so the clock the workers are given moves a minute
per round: the figure for them is messages per minute and reminders per message.

    .venv/bin/python benchmarks/deliveries.py [--count 1000] [--workers 2]
        [--district var/bench/district-1.db]

`--district` also times the rules over a copy of the district data set (generate_district.py:
~300,000 items, 19,000 of them overdue): the first run writes the backlog of what is due in the
catch-up window, the second is the steady state.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlmodel import func, select

from inspect_app import migrate
from inspect_app.db import Database
from inspect_app.demo import load_demo
from inspect_app.models import Channel, ChannelKind, Delivery, DeliveryState, Site, User
from inspect_app.notifications import deliveries
from inspect_app.notifications.rules import Message, Place, due_messages, unsent, write
from inspect_app.notifications.worker import WRITE_CHUNK
from inspect_app.settings import Settings


def start_receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    received: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(1)
            body = json.dumps({"errcode": 0}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def rules_figures(db: Database, where: str) -> None:
    """As a worker runs them: read what is due, then write it in short transactions; the
    longest write transaction is what other writers may wait for (SQLite's writer lock)."""
    now = datetime.now(UTC)
    for label in ("first run", "second run (all sent)"):
        started = time.perf_counter()
        with db.session() as s:
            fresh = unsent(s, due_messages(s, db.settings, now))
        read_ms, longest, written = (time.perf_counter() - started) * 1000, 0.0, 0
        for at in range(0, len(fresh), WRITE_CHUNK):
            began = time.perf_counter()
            with db.session(write=True) as s:
                written += sum(write(s, fresh[at : at + WRITE_CHUNK], now).values())
            longest = max(longest, (time.perf_counter() - began) * 1000)
        total = (time.perf_counter() - started) * 1000
        print(f"rules over {where}, {label}: {total:.0f} ms ({read_ms:.0f} ms reading), "
              f"{written} rows written, longest write transaction {longest:.0f} ms")  # fmt: skip


def district_figures(path: Path, tmp: Path) -> None:
    copy = tmp / "district.db"
    shutil.copyfile(path, copy)
    settings = Settings(database_url=f"sqlite:///{copy}", var_dir=tmp / "district",
                        reminders_every_minutes=0)  # fmt: skip
    db = Database(settings)
    try:
        migrate.upgrade(db.engine)
        rules_figures(db, "the district")
    finally:
        db.dispose()


def channel_figures(db: Database, url: str, received: list[int], count: int, workers: int) -> None:
    with db.session(write=True) as s:
        site = s.exec(select(Site).where(Site.team_id.is_not(None))).first()
        admin = s.exec(select(User).where(User.username == "admin")).one()
        assert site is not None
        channels = {}
        for kind, path in (
            (ChannelKind.webhook, "/hook"),
            (ChannelKind.wecom, "/cgi-bin/webhook/send?key=bench"),
            (ChannelKind.dingtalk, "/robot/send?access_token=bench"),
        ):
            channel = Channel(subdistrict_id=site.subdistrict_id, team_id=site.team_id, kind=kind,
                              name=kind.value, url=url + path, secret="bench-secret",  # noqa: S106
                              created_by=admin.id)  # fmt: skip
            s.add(channel)
            s.flush()
            channels[kind] = channel.id
    for kind, channel_id in channels.items():
        with db.session(write=True) as s:  # only this channel is on while it is measured
            for other in s.exec(select(Channel)):
                other.active = other.id == channel_id
                s.add(other)
        now = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=list(channels).index(kind))
        place = Place(site.subdistrict_id, site.team_id)
        params = {"site": "梧桐", "measure": "M", "deadline": "2031-01-01"}
        messages = [
            Message(0, "overdue", f"bench:{kind.value}:{n}", params, f"/rectifications/{n}", place)
            for n in range(count)
        ]
        with db.session(write=True) as s:
            deliveries.enqueue(s, messages, now)
        before, rounds = len(received), 0
        started = time.perf_counter()
        while True:
            threads = [
                threading.Thread(target=deliveries.deliver_all, args=(db, now))
                for _ in range(workers)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rounds += 1
            with db.session() as s:
                left = s.exec(
                    select(func.count()).select_from(Delivery).where(
                        Delivery.channel_id == channel_id, Delivery.state != DeliveryState.sent
                    )
                ).one()
            if not left or rounds > 1000:
                break
            now += timedelta(minutes=1)  # a robot's next minute
        seconds = time.perf_counter() - started
        sent = len(received) - before
        if kind == ChannelKind.webhook:
            print(f"{kind.value}: {count} deliveries in {seconds:.2f} s "
                  f"({count / seconds:.0f}/s, {workers} workers), {sent} requests")  # fmt: skip
        else:
            print(f"{kind.value}: {count} deliveries in {sent} messages over {rounds} minute(s) "
                  f"({count / rounds:.0f} reminders, {sent / rounds:.0f} messages a minute, "
                  f"{count / sent:.1f} a message; {seconds:.2f} s of work)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--district", type=Path, help="a SQLite file from generate_district.py")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="bench-deliveries-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", var_dir=Path(tmp),
                            reminders_every_minutes=0)  # fmt: skip
        db = Database(settings)
        migrate.upgrade(db.engine)
        started = time.perf_counter()
        with db.session(write=True) as s:
            load_demo(session=s, settings=settings, history=True)
        print(f"demo with history loaded in {time.perf_counter() - started:.0f} s")
        rules_figures(db, "the demo")
        if args.district and not args.district.exists():
            print(f"no district data set at {args.district}: run benchmarks/generate_district.py")
        elif args.district:
            district_figures(args.district, Path(tmp))
        server, received = start_receiver()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            channel_figures(db, url, received, args.count, args.workers)
        finally:
            server.shutdown()
            db.dispose()


if __name__ == "__main__":
    main()
