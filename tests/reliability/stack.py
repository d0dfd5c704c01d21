"""A live inspect-app for load and fault tests: a database made by the real `inspect-app db
upgrade` and `inspect-app demo`, extra inspector accounts, and `inspect-app serve --workers N`
as its own process group on a free loopback port, so that kill -9 takes master and workers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select
from tests.helpers.app import make_settings
from tests.reliability.load import Figures, Inspector, run_inspectors

from inspect_app.accounts.schemas import AccountFields
from inspect_app.accounts.service import create_user
from inspect_app.db import Database
from inspect_app.demo import DEMO_PASSWORD
from inspect_app.models import Site, Subdistrict, Team, TeamMember

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_BIN = PROJECT_ROOT / ".venv" / "bin" / "inspect-app"
WORKERS = 4
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
TROUBLE = re.compile(r"database is locked|Traceback|\bERROR\b|\s5\d\d user=")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


class LiveServer:
    """`inspect-app serve --workers N` in a new session: its pid names the group of the master
    and its workers."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = WORKERS) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = ["--host", "127.0.0.1", "--port", str(self.port)]
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [APP_BIN, "serve", *self.address, "--workers", str(self.workers)],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start; its log:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def _signal_group(self, sig: int, wait_s: float) -> bool:
        """Signal the whole group; True once the master is reaped and no member is left."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        deadline = time.monotonic() + wait_s
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=wait_s)
        while not _group_gone(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.process.poll() is not None and _group_gone(self.process.pid)

    def kill_9(self) -> None:
        """SIGKILL to master and workers at once: no shutdown code runs anywhere."""
        assert self._signal_group(signal.SIGKILL, STOP_TIMEOUT_S), "server group survived kill -9"

    def stop(self) -> None:
        if self.process is not None and not self._signal_group(signal.SIGTERM, STOP_TIMEOUT_S):
            self._signal_group(signal.SIGKILL, STOP_TIMEOUT_S)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def trouble(self) -> list[str]:
        """Log lines of 5xx answers, lock errors and stack traces, from every start."""
        return [line for line in self.log().splitlines() if TROUBLE.search(line)]


@dataclass
class Stack:
    """One fresh database, its photo directory, the server on it, and the inspectors."""

    engine: str
    database_url: str
    var_dir: Path
    env: dict[str, str]
    server: LiveServer
    inspectors: list[Inspector]
    before: dict[str, int] = field(default_factory=dict)  # row counts before the load

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [APP_BIN, *args],
            env={**self.env, **env},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def database(self) -> Database:
        return Database(make_settings(self.var_dir, self.database_url))


def server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "COOKIE_SECURE", "WORKERS", "PHOTO_DIR"):
        env.pop(name, None)
    return env


def add_inspectors(db: Database, count: int) -> list[Inspector]:
    """`count` inspector accounts spread over the main subdistrict's teams, with their sites."""
    inspectors = []
    with db.session(write=True) as s:
        wutong = s.exec(select(Subdistrict).where(Subdistrict.code == "wutong")).one()
        teams = s.exec(select(Team.id).where(Team.subdistrict_id == wutong.id).order_by(Team.id))
        teams = list(teams)
        for n in range(count):
            team_id = teams[n % len(teams)]
            user = create_user(
                session=s,
                settings=db.settings,
                actor=None,
                data=AccountFields(
                    username=f"load{n + 1:02d}",
                    password=DEMO_PASSWORD,
                    role="inspector",
                    subdistrict_id=str(wutong.id),
                ),
            )
            s.add(TeamMember(team_id=team_id, user_id=user.id))
            sites = s.exec(select(Site.id).where(Site.team_id == team_id, Site.active))
            inspectors.append(Inspector(username=user.username, site_ids=list(sites)))
    return inspectors


def new_stack(
    engine: str, database_url: str, var_dir: Path, inspectors: int, workers: int
) -> Stack:
    """Migrate and fill an empty database with the CLI, add inspectors, start the server."""
    env = server_env(database_url, var_dir)
    server = LiveServer(env, var_dir / "server.log", workers)
    stack = Stack(engine, database_url, var_dir, env, server, [])
    for args in (("db", "upgrade"), ("demo",)):
        done = stack.cli(*args)
        if done.returncode != 0:
            raise RuntimeError(f"inspect-app {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    db = stack.database()
    try:
        stack.inspectors = add_inspectors(db, inspectors)
    finally:
        db.dispose()
    server.start()
    return stack


def count_rows(db: Database, model, *where) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


@dataclass
class CrashRun:
    stack: Stack
    figures: Figures
    answered_before: int  # requests the server had answered when it died
    down_s: float  # from kill -9 until the restarted server answered

    def line(self) -> str:
        label = f"{self.stack.engine}, {self.stack.server.workers} workers, kill -9"
        return (
            self.figures.line(f"{label} after {self.answered_before} answered requests")
            + f"; down {self.down_s:.1f} s"
        )


def run_with_kill(stack: Stack, *, kill_at: float, down_s: float) -> CrashRun:
    """Run the inspectors' plans; once `kill_at` of the inspections are in, kill -9 the server's
    process group, leave it dead for `down_s`, start it again, and let the phones finish."""
    total = sum(len(i.plan) for i in stack.inspectors)
    reached = threading.Event()

    def on_progress(figures: Figures) -> None:
        if figures.inspections_done >= kill_at * total:
            reached.set()

    with ThreadPoolExecutor(max_workers=1) as runner:
        load = runner.submit(
            run_inspectors, stack.server.url, stack.inspectors, on_progress=on_progress
        )
        if not reached.wait(timeout=600):
            raise RuntimeError(f"the load never got far enough to kill the server: {load}")
        started = time.monotonic()
        stack.server.kill_9()
        answered = sum(1 for line in stack.server.log().splitlines() if " user=" in line)
        time.sleep(down_s)
        stack.server.start()
        down = time.monotonic() - started
        figures = load.result()
    return CrashRun(stack, figures, answered, down)
