"""Offline figures in real Chromium: what a phone downloads to be ready for offline work, and
how long the outbox takes to send 10 inspections with 30 photos over a throttled connection.

Starts `inspect-app serve` on a fresh demo database in a temporary directory, signs in as
inspector1 with the service worker allowed, and
1. sums the bytes of everything the service worker precaches plus the data the offline page
   keeps (the user, the team's sites, every checklist, the active rectification items and their
   thumbnails): transferred with brotli, and as plain bodies;
2. fills the outbox in the page with 10 fire-safety inspections (one failed item with 3 photos
   each, real photos from ../shared/photos shrunk by photo-shrink.js), then turns on Chromium's
   network emulation (CDP Network.emulateNetworkConditions, default 1.6 Mbps both ways, 150 ms)
   and times InspectOutbox.syncNow() until the outbox is empty; checks the server has them all.

    .venv/bin/python benchmarks/offline_sync.py [--mbps 1.6] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin" / "inspect-app"
PHOTOS = ROOT.parent / "shared" / "photos" / "jpg"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

FILL_OUTBOX = """async ([photos, n]) => {
  const data = await InspectOutbox.getMeta("data");
  const t = data.templates.find(t => t.code === "fire-safety");
  const site = data.sites[0];
  const blobs = [];
  for (const p of photos) {
    const bin = atob(p), bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    const raw = new Blob([bytes], {type: "image/jpeg"});
    blobs.push(await InspectPhotos.shrink(new File([raw], "p.jpg", {type: "image/jpeg"})));
  }
  const deadline = new Date(Date.now() + 7 * 864e5).toISOString().slice(0, 10);
  const uuids = [];
  for (let i = 0; i < n; i++) {
    const uuid = crypto.randomUUID();
    uuids.push(uuid);
    const answers = t.items.map((it, k) => k === 0
      ? {item_code: it.code, result: "fail", note: "benchmark", deadline: deadline}
      : {item_code: it.code, result: "pass", note: "", deadline: null});
    await InspectOutbox.put("records", {uuid, kind: "inspection", label: "bench " + i,
      body: {site_id: site.id, template_code: t.code, template_version: t.version,
             started_at: new Date().toISOString(), answers},
      submit: true, dirty: true, state: "waiting", error: null});
    for (let j = 0; j < 3; j++) {
      const id = crypto.randomUUID();
      await InspectOutbox.put("photos", {uuid: id, record: uuid, item_code: t.items[0].code,
        blob: blobs[(i * 3 + j) % blobs.length], name: "p.jpg", sent: false, state: "waiting",
        url: "/api/v1/inspections/" + uuid + "/photos/" + id});
    }
  }
  return {uuids, bytes: blobs.reduce((s, b) => s + b.size, 0) / blobs.length};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mbps", type=float, default=1.6)
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--inspections", type=int, default=10)
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    var = Path(tempfile.mkdtemp(prefix="offline-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{var}/inspect.db", "VAR_DIR": str(var),
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8"}  # fmt: skip
    subprocess.run([BIN, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run([BIN, "demo"], env=env, check=True, capture_output=True)  # noqa: S603
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([BIN, "serve", "--port", str(port)], env=env,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        photos = sorted(PHOTOS.glob("*.jp*g"))[:3]
        encoded = [__import__("base64").b64encode(p.read_bytes()).decode() for p in photos]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            context = browser.new_context(base_url=base, viewport={"width": 390, "height": 844},
                                          service_workers="allow")  # fmt: skip
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", "inspector1")
            page.fill("#password", "demo1234")
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_url(base + "/")
            page.goto("/offline")
            page.wait_for_function("navigator.serviceWorker.controller !== null")
            page.wait_for_selector("#offline-sites li.card")

            # 1. Bytes to be ready offline: the precached shell and the data, on the wire
            # (brotli, as Chromium asks for it) and as plain bodies.
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())

            def wire(url: str) -> tuple[int, int]:
                """(bytes transferred with brotli, bytes of the plain body)."""
                sizes = []
                for encoding in ("br", "identity"):
                    request = urllib.request.Request(  # noqa: S310
                        base + url, headers={"Cookie": cookie, "Accept-Encoding": encoding}
                    )
                    with urllib.request.urlopen(request) as response:  # noqa: S310
                        sizes.append(len(response.read()))
                return sizes[0], sizes[1]

            sw = page.request.get("/sw.js").text()
            shell = ["/sw.js", *json.loads(re.search(r"var PRECACHE = (\[.*?\]);", sw).group(1))]
            data_urls = ["/api/v1/me", "/api/v1/sites?limit=200&offset=0", "/api/v1/templates"]
            data_urls += [f"/api/v1/templates/{c}" for c in ("fire-safety", "enterprise-12")]
            items = page.request.get("/api/v1/rectifications?status=active&limit=200").json()
            data_urls.append("/api/v1/rectifications?status=active&limit=200")
            thumbs = []
            for item in items["items"]:
                data_urls.append(f"/api/v1/rectifications/{item['id']}")
                detail = page.request.get(f"/api/v1/rectifications/{item['id']}").json()
                thumbs += [p["urls"]["thumb"] for p in detail["finding_photos"]]
            rows = {
                "shell": [wire(u) for u in shell],
                "data": [wire(u) for u in data_urls],
                "thumbnails": [wire(u) for u in thumbs],
            }
            sites = page.evaluate("InspectOutbox.getMeta('data').then(d => d.sites.length)")
            print(f"inspector1's team: {sites} sites, 2 checklists, {len(items['items'])} "
                  f"active rectification items with {len(thumbs)} thumbnails")  # fmt: skip
            for name, sizes in rows.items():
                print(f"  {name:<11} {len(sizes):>3} files: {sum(w for w, _ in sizes):>9,} bytes "
                      f"transferred ({sum(b for _, b in sizes):,} uncompressed)")  # fmt: skip
            total = sum(w for sizes in rows.values() for w, _ in sizes)
            plain = sum(b for sizes in rows.values() for _, b in sizes)
            print(f"ready for offline work: {total:,} bytes transferred ({plain:,} uncompressed)")

            # 2. Sync time for the outbox over an emulated slow link.
            page.context.set_offline(True)
            filled = page.evaluate(FILL_OUTBOX, [encoded, opts.inspections])
            outbox = page.evaluate("InspectOutbox.all('photos').then(p => p.length)")
            print(f"outbox: {opts.inspections} inspections, {outbox} photos, "
                  f"photos ~{filled['bytes'] / 1024:.0f} KiB each after shrinking")  # fmt: skip
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            rate = opts.mbps * 1_000_000 / 8
            cdp.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": opts.latency_ms,
                "downloadThroughput": rate, "uploadThroughput": rate})  # fmt: skip
            page.context.set_offline(False)
            started = time.perf_counter()
            outcome = page.evaluate("InspectOutbox.syncNow()")
            while page.evaluate("InspectOutbox.summary().then(s => s.records + s.photos)"):
                outcome = page.evaluate("InspectOutbox.syncNow()")
            elapsed = time.perf_counter() - started
            print(f"sync at {opts.mbps} Mbps / {opts.latency_ms:.0f} ms: {elapsed:.1f} s "
                  f"(last round: {outcome})")  # fmt: skip
            for uuid in filled["uuids"]:
                got = page.request.get(f"/api/v1/inspections/{uuid}").json()
                assert got["status"] == "submitted", got
                assert sum(len(a["photos"]) for a in got["answers"]) == 3, got
            print("server: every inspection submitted with its 3 photos")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
