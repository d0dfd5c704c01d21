"""Throughput and latency of the real server on the district data set, beside /healthz.

Starts `inspect-app serve --workers N` on a free loopback port against the data set from
generate_district.py (made first when the database is empty), signs in as a subdistrict
supervisor, a city-wide supervisor, an inspector and the owner with the most open items, and
drives each endpoint at 1, 8 and 32 concurrent keep-alive clients. Before every endpoint and
client count, /healthz (no login, one SELECT 1) is measured at the same client count, and the
endpoint's throughput is printed as a ratio of it. Non-2xx answers are counted separately.

Targets (default scale, SQLite): every read endpoint at 8 clients reaches 25% of /healthz's
throughput and a p95 under 50 ms.

The campaign endpoints read the data set's campaign: the enterprise checklist over every site of
subdistrict 1 (5,200 sites at scale 1.0 or 0.1), its running round partly covered: the round's
coverage, the first page of its uncovered sites, inspector1's to do; and the coverage page,
skipped with a note while it answers 404. `--one-subdistrict` uses a data set with every site
in one subdistrict, so that round covers the whole district (52,000 sites at scale 1.0).

    .venv/bin/python benchmarks/http_load.py        # SQLite, var/bench/district-1.db (--scale)
    .venv/bin/python benchmarks/http_load.py --postgres           # a throwaway PostgreSQL cluster
    .venv/bin/python benchmarks/http_load.py --database-url postgresql+psycopg://...
    .venv/bin/python benchmarks/http_load.py --one-subdistrict --only "coverage,uncovered,to do"

BENCH_SERVE_CMD in the environment replaces `inspect-app serve` (to compare a server variant).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _load
import generate_district
from _photos import jpeg
from _servers import app_server, cpu_seconds, postgres_cluster

from inspect_app.demo import INDUSTRIES, NAME_WORDS

PASSWORD = generate_district.PASSWORD
LEVELS = (1, 8, 32)
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "zh-CN,zh;q=0.9",
           "User-Agent": "Mozilla/5.0 (Linux; Android 14) inspect-bench"}  # fmt: skip
SEARCH = [zh for zh, _en in NAME_WORDS] + [zh for zh, _en in INDUSTRIES[:6]] + ["Tech", "路"]


@dataclass
class Endpoint:
    name: str
    make: _load.RequestFactory
    read: bool = True
    check: str = ""  # text the first answer must contain (a sanity check of the set-up)
    target: bool = True  # judged against the targets (read endpoints only)
    may_be_missing: bool = False  # a page still to be built: skipped with a note on 404


@dataclass
class Fixture:
    """Who signs in and what they work on, chosen from the data set."""

    supervisor: str
    city_supervisor: str
    inspector: str
    owner: str
    owner_items: int
    site_ids: list[int]
    round_id: int | None  # the running round of the supervisor's campaign (its last round)
    round_sites: int


def choose(url: str) -> Fixture:
    engine = create_engine(url)
    with engine.connect() as conn:
        owner, items = conn.execute(
            text(
                "SELECT u.username, count(*) FROM site_owner so "
                'JOIN "user" u ON u.id = so.user_id '
                "JOIN rectification r ON r.site_id = so.site_id "
                "WHERE r.status IN ('open', 'fix_reported') "
                "GROUP BY u.username ORDER BY count(*) DESC, u.username LIMIT 1"
            )
        ).one()
        sites = conn.execute(
            text(
                "SELECT s.id FROM site s JOIN team_member tm ON tm.team_id = s.team_id "
                'JOIN "user" u ON u.id = tm.user_id '
                "WHERE u.username = 'inspector1' AND s.kind = 'enterprise' ORDER BY s.id"
            )
        ).scalars()
        site_ids = list(sites)
        found = (
            conn.execute(
                text(
                    "SELECT r.id FROM campaign_round r JOIN campaign c ON c.id = r.campaign_id "
                    "WHERE c.subdistrict_id = 1 ORDER BY r.number DESC LIMIT 1"
                )
            ).scalar()
            if "campaign_round" in inspect(engine).get_table_names()
            else None
        )
        in_scope = conn.execute(text("SELECT count(*) FROM site WHERE subdistrict_id = 1")).scalar()
    engine.dispose()
    return Fixture(
        "supervisor1", "citysupervisor", "inspector1", owner, items, site_ids, found, in_scope or 0
    )


def has_data(url: str) -> bool:
    engine = create_engine(url)
    try:
        if "site" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM site")).scalar())
    finally:
        engine.dispose()


# --- signing in ------------------------------------------------------------------------------


def cookie_for(base: str, username: str) -> str:
    """Sign in through the real login form; returns the Cookie header of that session."""
    with httpx.Client(base_url=base, headers=BROWSER) as client:
        page = client.get("/login")
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        reply = client.post(
            "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}
        )
        if "sid" not in client.cookies:
            raise RuntimeError(f"sign-in as {username} failed: {reply.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def token_for(base: str, username: str) -> str:
    reply = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD, "name": "bench"},
    )
    reply.raise_for_status()
    return reply.json()["token"]


# --- the endpoints ---------------------------------------------------------------------------


def endpoints(base: str, fx: Fixture) -> list[Endpoint]:
    sup = {**BROWSER, "Cookie": cookie_for(base, fx.supervisor), "Accept": "text/html"}
    city = {**BROWSER, "Cookie": cookie_for(base, fx.city_supervisor), "Accept": "text/html"}
    owner = {**BROWSER, "Cookie": cookie_for(base, fx.owner), "Accept": "text/html"}
    insp = {**BROWSER, "Cookie": cookie_for(base, fx.inspector), "Accept": "text/html"}
    sup_api = {**BROWSER, "Authorization": f"Bearer {token_for(base, fx.supervisor)}"}
    insp_api = {**BROWSER, "Authorization": f"Bearer {token_for(base, fx.inspector)}"}
    htmx = {**insp, "HX-Request": "true"}
    overdue = "overdue=true&status=active"

    def get(path: str, headers: dict):
        return lambda _n, _i: ("GET", path, headers, None)

    def search(headers: dict, prefix: str):
        def make(n: int, i: int):
            q = httpx.QueryParams({"q": SEARCH[(n * 7 + i) % len(SEARCH)]})
            return "GET", f"{prefix}?{q}", headers, None

        return make

    drafts = [_draft(base, insp_api, fx.site_ids[n % len(fx.site_ids)]) for n in range(max(LEVELS))]
    photos = [jpeg(1000 + n) for n in range(16)]

    def submit(n: int, i: int):
        body = {
            "site_id": fx.site_ids[(n * 1009 + i) % len(fx.site_ids)],
            "template_code": "enterprise-12",
            "template_version": 1,
            "started_at": datetime.now(UTC).isoformat(),
            "answers": [{"item_code": f"E{k:02d}", "result": "pass"} for k in range(1, 13)],
            "submit": True,
        }
        headers = {**insp_api, "Content-Type": "application/json"}
        return "PUT", f"/api/v1/inspections/{uuid.uuid4()}", headers, json.dumps(body).encode()

    def upload(n: int, i: int):
        body, content_type = _multipart({"item_code": "E01"}, photos[(n + i) % len(photos)])
        path = f"/api/v1/inspections/{drafts[n]}/photos/{uuid.uuid4()}"
        return "PUT", path, {**insp_api, "Content-Type": content_type}, body

    board, listed = '"by-team"', 'id="result-count"'
    sup_htmx = {**sup, "HX-Request": "true"}
    return [
        Endpoint("/api/v1/me (sign-in check only)", get("/api/v1/me", sup_api), check="username",
                 target=False),
        Endpoint("board page (supervisor)", get("/dashboard", sup), check=board),
        Endpoint("board page (city-wide)", get("/dashboard", city), check=board),
        Endpoint("board API (supervisor)", get("/api/v1/dashboard/overdue", sup_api),
                 check="by_item"),
        Endpoint("overdue list API, page 1", get(f"/api/v1/rectifications?{overdue}", sup_api),
                 check='"total"'),
        Endpoint("overdue list page 1", get(f"/rectifications?{overdue}", sup), check=listed),
        Endpoint("owner's list page", get("/", owner), check="card rect"),
        Endpoint("site search htmx (inspector)", search(htmx, "/sites/"), check="/sites/"),
        Endpoint("site search htmx (supervisor)", search(sup_htmx, "/sites/"), check="/sites/"),
        Endpoint("site search API (inspector)", search(insp_api, "/api/v1/sites/"), check="items"),
        Endpoint("inspection submit (PUT)", submit, read=False, check='"submitted"'),
        Endpoint("photo upload (PUT)", upload, read=False, check='"thumb"'),
        *campaign_endpoints(fx, sup, sup_api, insp_api),
    ]  # fmt: skip


def campaign_endpoints(fx: Fixture, sup: dict, sup_api: dict, insp_api: dict) -> list[Endpoint]:
    """A round over the whole of subdistrict 1 (every site in it), partly covered: its coverage,
    the first page of what is left, and an inspector's to do. The page may not exist yet."""
    if fx.round_id is None:
        print("no campaign in the data set (made before campaigns): regenerate it with "
              "generate_district.py --replace to measure the campaign endpoints")  # fmt: skip
        return []
    rounds = f"/api/v1/rounds/{fx.round_id}"

    def get(path: str, headers: dict):
        return lambda _n, _i: ("GET", path, headers, None)

    return [
        Endpoint("coverage API (round)", get(f"{rounds}/coverage", sup_api), check='"by_team"'),
        Endpoint("uncovered list API, page 1", get(f"{rounds}/sites?status=uncovered", sup_api),
                 check='"total"'),
        Endpoint("to do API (inspector)", get("/api/v1/me/todo", insp_api), check='"items"'),
        Endpoint("coverage page (supervisor)", get(f"/campaigns/rounds/{fx.round_id}", sup),
                 check="</html>", may_be_missing=True),
    ]  # fmt: skip


def _draft(base: str, headers: dict, site_id: int) -> str:
    """A draft inspection to upload photos into (one per client)."""
    draft = str(uuid.uuid4())
    body = {"site_id": site_id, "template_code": "enterprise-12", "template_version": 1,
            "started_at": datetime.now(UTC).isoformat(),
            "answers": [{"item_code": "E01", "result": "fail"}]}  # fmt: skip
    httpx.put(f"{base}/api/v1/inspections/{draft}", json=body, headers=headers).raise_for_status()
    return draft


def _multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- measuring and printing ------------------------------------------------------------------

HEALTHZ = Endpoint("/healthz", lambda _n, _i: ("GET", "/healthz", BROWSER, None))


def sanity(base: str, ep: Endpoint) -> bool:
    """Does the endpoint answer as expected? False for a page not built yet (404)."""
    method, path, headers, body = ep.make(0, 0)
    reply = httpx.request(method, base + path, headers=headers, content=body, timeout=120)
    if reply.status_code == 404 and ep.may_be_missing:
        print(f"{ep.name}: skipped, {path} answers 404 (not built yet)")
        return False
    if reply.status_code >= 300 or ep.check not in reply.text:
        raise RuntimeError(f"{ep.name}: {reply.status_code} {reply.text[:300]}")
    return True


def measure(
    server, eps: list[Endpoint], seconds: float, warmup: float, db_pid: int | None = None
) -> list[dict]:
    """Each endpoint at each client count, right after /healthz at the same count. Besides
    throughput, CPU time per answer of the app server (and of PostgreSQL, when its pid is
    known): steadier than req/s on a busy machine."""
    port = server.port

    def db_cpu() -> float:
        return cpu_seconds(db_pid) if db_pid else 0.0

    rows = []
    for ep in eps:
        for clients in LEVELS:
            if rows and rows[-1]["endpoint"] == ep.name and rows[-1]["ok"] < 3:
                rows.append({**rows[-1], "clients": clients, "skipped": True})
                print(f"{ep.name:<32} {clients:>7}  skipped: under 3 answers at fewer clients")
                continue
            cpu0 = server.cpu()
            base = _load.run("127.0.0.1", port, HEALTHZ.make, clients=clients,
                             seconds=seconds / 2, warmup=warmup / 2)  # fmt: skip
            cpu1, db1 = server.cpu(), db_cpu()
            got = _load.run("127.0.0.1", port, ep.make, clients=clients, seconds=seconds,
                            warmup=warmup)  # fmt: skip
            cpu2, db2 = server.cpu(), db_cpu()
            row = {
                "endpoint": ep.name, "read": ep.read, "target": ep.target, "clients": clients,
                "rps": got.rps,
                "healthz_rps": base.rps, "ratio": got.rps / base.rps if base.rps else math.nan,
                "p50": got.pct(50), "p95": got.pct(95), "p99": got.pct(99),
                "healthz_p95": base.pct(95), "ok": got.ok, "non_2xx": got.errors,
                "bytes": got.body_bytes // max(1, got.ok),
                "cpu_ms": 1000 * (cpu2 - cpu1) / max(1, got.sent),
                "healthz_cpu_ms": 1000 * (cpu1 - cpu0) / max(1, base.sent),
                "db_cpu_ms": 1000 * (db2 - db1) / max(1, got.sent) if db_pid else None,
            }  # fmt: skip
            rows.append(row)
            print(_line(row), flush=True)
    return rows


HEADER = (
    f"{'endpoint':<32} {'clients':>7} {'req/s':>8} {'/healthz':>9} {'ratio':>6} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'non-2xx':>8} {'bytes':>7} "
    f"{'cpu ms':>7} {'cpu x':>6} {'db ms':>6}  target"
)


def _line(r: dict) -> str:
    verdict = ""
    if r["read"] and r["target"] and r["clients"] == 8:
        met = r["ratio"] >= 0.25 and r["p95"] < 50 and not r["non_2xx"] and not r.get("skipped")
        verdict = "ok" if met else "MISSED"
    errors = sum(r["non_2xx"].values())
    db = "-" if r["db_cpu_ms"] is None else f"{r['db_cpu_ms']:.2f}"
    return (
        f"{r['endpoint']:<32} {r['clients']:>7} {r['rps']:>8.1f} {r['healthz_rps']:>9.1f} "
        f"{r['ratio']:>6.2f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
        f"{errors:>8} {r['bytes']:>7} {r['cpu_ms']:>7.2f} "
        f"{r['cpu_ms'] / max(r['healthz_cpu_ms'], 1e-9):>6.1f} {db:>6}  {verdict}"
    )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway cluster")
    parser.add_argument("--scale", type=float, default=1.0, help="when the data set is made")
    parser.add_argument("--one-subdistrict", action="store_true",
                        help="the data set with every site in one subdistrict (the campaign "
                        "round then covers the whole district)")  # fmt: skip
    parser.add_argument("--var-dir", type=Path, default=None, help="photo files of the data set")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4.0, help="per endpoint and level")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--only", default="", help="comma-separated parts of endpoint names")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--db-pid", type=int, help="PostgreSQL postmaster pid, for its CPU time")
    opts = parser.parse_args()
    with ExitStack() as stack:
        url, db_pid = opts.database_url, opts.db_pid
        if opts.postgres:
            cluster = stack.enter_context(postgres_cluster())
            url, db_pid = cluster.url, cluster.pid
        url = url or generate_district.default_url(opts.scale, opts.one_subdistrict)
        var_dir = opts.var_dir or generate_district.default_var_dir(url)
        var_dir.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/bench yet
        if not has_data(url):
            print(f"no data set yet: generating one at scale {opts.scale:g} ...", flush=True)
            generate_district.generate(url, opts.scale, replace=True, var_dir=var_dir,
                                       one_subdistrict=opts.one_subdistrict)  # fmt: skip
        fx = choose(url)
        print(f"database: {make_url(url).render_as_string(hide_password=True)}")
        print(f"owner {fx.owner} has {fx.owner_items} open items; inspector1 has "
              f"{len(fx.site_ids)} enterprises; {opts.workers} worker(s)")  # fmt: skip
        if fx.round_id is not None:
            print(f"campaign round {fx.round_id} covers subdistrict 1: {fx.round_sites} sites")
        log = Path(tempfile.mkdtemp(prefix="inspect-bench.")) / "server.log"
        env = {"DATABASE_URL": url, "VAR_DIR": str(var_dir), "SECRET_KEY": "bench-" + "x" * 40,
               "LOG_LEVEL": "INFO"}  # fmt: skip
        server = stack.enter_context(app_server(env=env, workers=opts.workers, log=log))
        base = f"http://127.0.0.1:{server.port}"
        eps = endpoints(base, fx)
        if opts.only:
            wanted = [w.strip() for w in opts.only.split(",")]
            eps = [e for e in eps if any(w in e.name for w in wanted)]
        eps = [ep for ep in eps if sanity(base, ep)]
        print(HEADER)
        started = time.perf_counter()
        rows = measure(server, eps, opts.seconds, opts.warmup, db_pid)
        print(f"measured in {time.perf_counter() - started:.0f} s; server log: {log}")
        missed = [r["endpoint"] for r in rows if _line(r).endswith("MISSED")]
        print("targets met" if not missed else "targets missed: " + ", ".join(missed))
        if opts.json:
            opts.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
