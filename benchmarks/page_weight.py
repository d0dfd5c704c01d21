"""Page weight in real Chromium: bytes transferred per page on a first load with an empty cache,
split by type, on a 390x844 phone.

Starts `inspect-app serve` on a fresh demo database in a temporary directory, adds findings with
real photos (some overdue), a draft inspection and a follow-up visit through the JSON API, then
signs in as each role and loads the main pages. Bytes are what crossed the wire (CDP
Network.loadingFinished encodedDataLength: compressed body plus response headers). The service
worker is blocked, so its one-time offline copy (benchmarks/offline_sync.py) is not counted.

Targets: under 60 KB per page without photos, under 25 KB of JavaScript in all (every distinct
script any page loads, compressed), photos shown as lazy-loaded thumbnails.

    .venv/bin/python benchmarks/page_weight.py [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin" / "inspect-app"
PHOTOS = sorted((ROOT.parent / "shared" / "photos" / "jpg" / "mobile").glob("*.jp*g"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {
    "viewport": PHONE,
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "en-US",
    "service_workers": "block",
}
PASSWORD = "demo1234"  # noqa: S105 - every demo account's password
PAGE_LIMIT = 60 * 1024
JS_LIMIT = 25 * 1024
KINDS = ("html", "css", "js", "img", "data", "other", "photo")


@dataclass
class Page:
    name: str
    user: str | None  # None: signed out
    path: str


@dataclass
class Weight:
    page: Page
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    requests: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    scripts: dict[str, int] = field(default_factory=dict)
    photo_problems: list[str] = field(default_factory=list)

    @property
    def without_photos(self) -> int:
        return sum(v for k, v in self.bytes.items() if k != "photo")


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_server() -> Iterator[tuple[str, Path]]:
    """`inspect-app serve` on a fresh demo database; yields (base URL, database file)."""
    var = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    database = var / "inspect.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "VAR_DIR": str(var),
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8"}  # fmt: skip
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "COOKIE_SECURE", "WORKERS"):
        env.pop(name, None)
    subprocess.run([BIN, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run([BIN, "demo"], env=env, check=True, capture_output=True)  # noqa: S603
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (var / "server.log").open("wb")
    server = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port)],  # noqa: S603
                              env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise SystemExit(f"the server did not start; see {var / 'server.log'}")
        yield base, database
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


# --- demo activity through the API --------------------------------------------------------


def api(base: str, username: str) -> httpx.Client:
    """An API client signed in with a bearer token."""
    r = httpx.post(base + "/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


def inspection(client: httpx.Client, site_id: int, failed: dict[str, int], *, submit: bool) -> str:
    """A fire-safety inspection failing the items in `failed` (code -> photos); returns its UUID."""
    key = str(uuid.uuid4())
    deadline = (date.today() + timedelta(days=7)).isoformat()
    answers = [{"item_code": f"F{n:02d}", "result": "pass"} for n in range(1, 9)]
    for a in answers:
        if a["item_code"] in failed:
            a.update(result="fail", deadline=deadline, note="Extinguisher missing by the stairs")
    body = {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": f"{date.today().isoformat()}T09:00:00+08:00",
        "answers": answers,
    }
    client.put(f"/api/v1/inspections/{key}", json=body).raise_for_status()
    shot = 0
    for code, count in failed.items():
        for _ in range(count):
            photo = PHOTOS[shot % len(PHOTOS)]
            shot += 1
            client.put(
                f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
                data={"item_code": code},
                files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
            ).raise_for_status()
    if submit:
        client.put(f"/api/v1/inspections/{key}", json={**body, "submit": True}).raise_for_status()
    return key


def seed(base: str, database: Path) -> dict[str, str]:
    """On top of the demo's own history: findings with photos at owner1's business and at five
    other teams' sites (half of them overdue), a draft inspection with photos and a follow-up
    visit; returns the names and ids the pages need."""
    with sqlite3.connect(database) as conn:
        before = conn.execute("SELECT coalesce(max(id), 0) FROM rectification").fetchone()[0]
    owner = api(base, "owner1")
    site_id = owner.get("/api/v1/me").json()["site_ids"][0]
    team_id = owner.get(f"/api/v1/sites/{site_id}").json()["team_id"]
    inspector = f"inspector{team_id}"  # demo data: inspectorN is the one member of Team N
    staff = api(base, inspector)
    inspection(staff, site_id, {"F03": 2, "F05": 1}, submit=True)
    inspection(staff, site_id, {"F07": 1}, submit=True)
    for n in range(1, 7):
        if n != team_id:
            other = api(base, f"inspector{n}")
            sites = other.get("/api/v1/sites", params={"limit": 3}).json()["items"]
            for site in sites[:2]:
                inspection(other, site["id"], {"F02": 1, "F06": 1}, submit=True)
    with sqlite3.connect(database) as conn:  # no API sets a past deadline: age half of ours
        conn.execute(
            "UPDATE rectification SET deadline = ? WHERE id > ? AND id % 2 = 0",
            ((date.today() - timedelta(days=12)).isoformat(), before),
        )
    others = [s["id"] for s in staff.get("/api/v1/sites", params={"limit": 5}).json()["items"]]
    draft_site = next(s for s in others if s != site_id)
    draft = inspection(staff, draft_site, {"F01": 2, "F04": 1}, submit=False)
    visit = str(uuid.uuid4())
    staff.put(f"/api/v1/visits/{visit}", json={"site_id": site_id}).raise_for_status()
    return {"inspector": inspector, "site": str(site_id), "draft": draft, "visit": visit}


def pages(seeded: dict[str, str]) -> list[Page]:
    inspector = seeded["inspector"]
    return [
        Page("login", None, "/login"),
        Page("inspector home", inspector, "/"),
        Page("site search", inspector, "/sites?q=" + quote("梧桐路")),
        Page("site detail", inspector, f"/sites/{seeded['site']}"),
        Page("walkthrough", inspector, f"/inspections/{seeded['draft']}"),
        Page("follow-up visit", inspector, f"/visits/{seeded['visit']}"),
        Page("owner list", "owner1", "/"),
        Page("overdue board", "supervisor", "/dashboard"),
        Page("overdue list", "supervisor", "/rectifications?overdue=1"),
        Page("admin users", "admin", "/admin/users"),
    ]


# --- the browser --------------------------------------------------------------------------


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_phone(browser, base: str):
    """A fresh phone-sized context (empty cache, no service worker) and its page."""
    context = browser.new_context(base_url=base, **PHONE_CONTEXT)
    return context, context.new_page()


def sign_in(page, username: str, base: str = "") -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def kind_of(resource_type: str, url: str, mime: str) -> str:
    if "/api/v1/photos/" in url:
        return "photo"
    kinds = {"Document": "html", "Stylesheet": "css", "Script": "js", "Image": "img",
             "Fetch": "data", "XHR": "data"}  # fmt: skip
    if resource_type in kinds:
        return kinds[resource_type]
    return "img" if mime.startswith("image/") else "other"


PHOTO_CHECK = """() => [...document.querySelectorAll('img')]
  .filter(i => i.getAttribute('src').includes('/api/v1/photos/'))
  .map(i => ({src: i.getAttribute('src'), lazy: i.loading === 'lazy',
              w: i.getAttribute('width'), h: i.getAttribute('height')}))"""


@contextlib.contextmanager
def recording(page, weight: Weight) -> Iterator[None]:
    """Adds up what every request finished while inside the block transferred, by kind."""
    cdp = page.context.new_cdp_session(page)
    seen: dict[str, tuple[str, str]] = {}

    def on_response(event) -> None:
        r = event["response"]
        seen[event["requestId"]] = (kind_of(event["type"], r["url"], r["mimeType"]), r["url"])

    def on_finished(event) -> None:
        if event["requestId"] in seen:
            kind, url = seen[event["requestId"]]
            size = int(event["encodedDataLength"])
            weight.bytes[kind] += size
            weight.requests += 1
            weight.log.append((kind, url, size))
            if kind == "js":
                weight.scripts[urlsplit(url).path] = size

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    try:
        yield
        page.wait_for_load_state("networkidle")
    finally:
        cdp.detach()


def check_photos(page, weight: Weight) -> None:
    for img in page.evaluate(PHOTO_CHECK):
        if not img["lazy"]:
            weight.photo_problems.append(f"not lazy: {img['src']}")
        if not img["src"].endswith("/thumb"):
            weight.photo_problems.append(f"not a thumbnail: {img['src']}")
        if not (img["w"] and img["h"]):
            weight.photo_problems.append(f"no width/height: {img['src']}")


def measure_all(browser, base: str, targets: list[Page]) -> tuple[list[Weight], list[Weight]]:
    """Per user: one phone signs in (what the offline copy then fetches is recorded apart), then
    each of that user's pages is loaded with an empty HTTP cache. Returns (pages, sign-ins)."""
    results: dict[str, Weight] = {}
    sign_ins = []
    for user in dict.fromkeys(t.user for t in targets):
        context, page = new_phone(browser, base)
        if user:
            weight = Weight(Page(f"sign-in {user}", user, "/"))
            with recording(page, weight):
                sign_in(page, user)
            sign_ins.append(weight)
        for target in (t for t in targets if t.user == user):
            weight = results[target.name] = Weight(target)
            with recording(page, weight):
                page.goto(target.path)
            check_photos(page, weight)
        context.close()
    return [results[t.name] for t in targets], sign_ins


# --- the report ---------------------------------------------------------------------------


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(weights: list[Weight], verdicts: bool) -> None:
    head = ["", "HTML", "CSS", "JS", "img", "data", "other", "total*", "photos", "req"]
    print(f"{'':<20}" + "".join(f"{h:>7}" for h in head[1:]) + ("  <60KB" if verdicts else ""))
    for w in weights:
        cells = [*(w.bytes[k] for k in KINDS[:-1]), w.without_photos, w.bytes["photo"]]
        mark = f"{verdict(w.without_photos < PAGE_LIMIT):>7}" if verdicts else ""
        print(f"{w.page.name:<20}" + "".join(f"{kb(c):>7}" for c in cells)
              + f"{w.requests:>7}" + mark)  # fmt: skip


def brotli_bytes(base: str, paths: list[str]) -> dict[str, int]:
    """Body bytes of each file as served with brotli: what a phone gets over HTTPS (Chromium
    asks plain-HTTP servers for gzip only, so the table above shows gzip)."""
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "br"}) as client:
        return {path: client.get(path).num_bytes_downloaded for path in paths}


def report(weights: list[Weight], sign_ins: list[Weight], brotli: dict[str, int]) -> bool:
    print("KB transferred (compressed, incl. headers) on a 390x844 phone, empty HTTP cache")
    table(weights, verdicts=True)
    print("* total without photos; data = fetch/XHR (session check, offline copy)")
    print()
    print("Signing in (login page, POST, home page, then the offline copy kept in IndexedDB):")
    table(sign_ins, verdicts=False)
    scripts: dict[str, int] = {}
    for w in weights:
        scripts.update(w.scripts)
    js_total = sum(scripts.values())
    br_total = sum(brotli.values())
    heaviest = max(weights, key=lambda w: w.without_photos)
    js_page = max(weights, key=lambda w: w.bytes["js"])
    problems = [f"{w.page.name}: {p}" for w in weights for p in w.photo_problems]
    print()
    print("Scripts: KB transferred (gzip, headers) / KB body with brotli (HTTPS)")
    for path, size in sorted(scripts.items(), key=lambda kv: -kv[1]):
        print(f"  {kb(size):>6} {kb(brotli[path]):>6}  {path}")
    print(f"  {kb(js_total):>6} {kb(br_total):>6}  in all")
    checks = [
        (
            f"every page under 60 KB without photos (heaviest: {heaviest.page.name}, "
            f"{kb(heaviest.without_photos)} KB)",
            heaviest.without_photos < PAGE_LIMIT,
        ),
        (
            f"JavaScript on any one page under 25 KB (most: {js_page.page.name}, "
            f"{kb(js_page.bytes['js'])} KB)",
            js_page.bytes["js"] < JS_LIMIT,
        ),
        (
            f"JavaScript in all under 25 KB ({len(scripts)} files, {kb(js_total)} KB; "
            f"{kb(br_total)} KB with brotli)",
            js_total < JS_LIMIT,
        ),
        (f"photos lazy-loaded thumbnails with sizes ({len(problems)} problems)", not problems),
    ]
    print()
    for label, ok in checks:
        print(f"{verdict(ok)}  {label}")
    for p in problems:
        print(f"      {p}")
    return all(ok for _label, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every request")
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with demo_server() as (base, database):
        targets = pages(seed(base, database))
        with sync_playwright() as pw:
            browser = launch(pw)
            weights, sign_ins = measure_all(browser, base, targets)
            browser.close()
        scripts = sorted({path for w in weights for path in w.scripts})
        brotli = brotli_bytes(base, scripts)
    if opts.verbose:
        for w in weights + sign_ins:
            print(f"== {w.page.name} {w.page.path}")
            for kind, url, size in w.log:
                print(f"  {kind:<6}{size:>8}  {url.removeprefix(base)}")
    ok = report(weights, sign_ins, brotli)
    if opts.json:
        rows = [{"page": w.page.name, "path": w.page.path, "bytes": w.bytes,
                 "requests": w.requests, "scripts": w.scripts} for w in weights]  # fmt: skip
        opts.json.write_text(json.dumps(rows, indent=2))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
