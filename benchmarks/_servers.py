"""Processes the HTTP benchmark needs: the app (`inspect-app serve`) and, on request, a
throwaway PostgreSQL 15 cluster started the way scripts/with-postgres.sh starts one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, and the same of children already reaped (server processes exit)
        total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        todo += children.get(current, [])
    return total


@dataclass
class Server:
    port: int
    pid: int

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


@contextmanager
def app_server(*, env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    """`inspect-app serve` on a free loopback port; yields it once /healthz answers."""
    port = free_port()
    serve = os.environ.get("BENCH_SERVE_CMD", str(ROOT / ".venv/bin/inspect-app") + " serve")
    cmd = [*serve.split(), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=out)  # noqa: S603
        try:
            _wait_healthy(port, proc)
            yield Server(port, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app server did not become healthy within 60 s")


@dataclass
class Cluster:
    url: str
    pid: int  # the postmaster: its CPU time includes every backend's


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """initdb + pg_ctl in a temporary directory on a free port (as `postgres` when root);
    yields its URL and postmaster pid; stopped and deleted afterwards. Durable (fsync on)."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"no PostgreSQL binaries in {PG_BIN}")
    tmp = Path(tempfile.mkdtemp(prefix="inspect-bench-pg."))
    port = free_port()
    as_pg: list[str] = []
    if os.getuid() == 0:
        shutil.chown(tmp, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    data = tmp / "data"
    try:
        subprocess.run([*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust",  # noqa: S603
                        "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c max_connections=300"
        subprocess.run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l",  # noqa: S603
                        str(tmp / "log"), "-o", options, "-w", "start"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        pid = int((data / "postmaster.pid").read_text().split()[0])
        yield Cluster(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", pid)
    finally:
        subprocess.run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast",  # noqa: S603
                        "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)
