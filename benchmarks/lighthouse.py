"""Lighthouse (mobile) and axe-core on the main pages, signed in as each role.

Starts `inspect-app serve` on a fresh demo database with the same activity as page_weight.py
(findings with photos, some overdue, a draft inspection, a follow-up visit), signs in with
Playwright and
1. runs Lighthouse 12 (mobile form factor, simulated slow 4G) on login, inspector home,
   walkthrough, owner list and overdue board, with the session cookie sent through
   `--extra-headers`; prints the four category scores and every failing audit;
2. injects axe-core into every page of page_weight.py (390x844 phone) and prints its violations.

Lighthouse and axe-core come from npm into benchmarks/node_modules (`npm ci`, only when missing).
Node 20 and /usr/bin/chromium are needed.

    .venv/bin/python benchmarks/lighthouse.py [--only NAME ...] [--no-lighthouse] [--no-axe]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from page_weight import (
    CHROMIUM,
    PHONE_CONTEXT,
    Page,
    demo_server,
    free_port,
    pages,
    seed,
    sign_in,
    verdict,
)

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
LIGHTHOUSE = MODULES / "lighthouse" / "cli" / "index.js"
AXE = MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE_PAGES = ("login", "inspector home", "walkthrough", "owner list", "overdue board")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95}
QUIET_MODES = {"informative", "notApplicable", "manual"}


@dataclass
class Result:
    page: Page
    scores: dict[str, float | None] = field(default_factory=dict)
    failing: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def node_modules() -> None:
    """npm ci (or npm install without a lock file) into benchmarks/node_modules, once."""
    if LIGHTHOUSE.exists() and AXE.exists():
        return
    npm = shutil.which("npm") or sys.exit("npm is needed (Node 20): apt-get install -y nodejs npm")
    lock = (HERE / "package-lock.json").exists()
    command = [npm, "ci" if lock else "install", "--no-audit", "--no-fund"]
    subprocess.run(command, cwd=HERE, check=True)  # noqa: S603


def lighthouse_run(url: str, port: int, save: Path | None) -> dict:
    """One Lighthouse run (mobile) in the browser on `port`; returns its JSON report."""
    with tempfile.TemporaryDirectory(prefix="lh-") as tmp:
        out = Path(tmp) / "report.json"
        command = ["node", str(LIGHTHOUSE), url, f"--port={port}", "--quiet", "--output=json",
                   f"--output-path={out}", f"--only-categories={','.join(CATEGORIES)}",
                   "--form-factor=mobile"]  # fmt: skip
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        run = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
        if not out.exists():
            sys.exit(f"lighthouse failed on {url}:\n{run.stderr[-3000:]}")
        if save:
            save.mkdir(parents=True, exist_ok=True)
            name = urlsplit(url).path.strip("/").replace("/", "_") or "home"
            shutil.copyfile(out, save / f"{name}-{time.strftime('%H%M%S')}.json")
        report = json.loads(out.read_text())
    final = report.get("finalDisplayedUrl") or report.get("finalUrl")
    if final != url:
        sys.exit(f"lighthouse was sent from {url} to {final}: not signed in?")
    return report


def lighthouse(url: str, port: int, runs: int, save: Path | None) -> tuple[dict, list[str]]:
    """`runs` Lighthouse runs; the scores and failing audits of the run with the median
    performance score (Lighthouse's own advice against noisy single runs)."""
    reports = [lighthouse_run(url, port, save) for _ in range(runs)]
    reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
    report = reports[len(reports) // 2]
    scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
    scores["runs"] = [r["categories"]["performance"]["score"] for r in reports]
    scores["cpu"] = report["environment"]["benchmarkIndex"]
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit["scoreDisplayMode"] == "error":
                failing.append(f"{category}: {ref['id']} error: {audit.get('errorMessage')}")
            if audit["scoreDisplayMode"] in QUIET_MODES or audit["score"] is None:
                continue
            if audit["score"] < 1 and (ref["weight"] > 0 or category != "performance"):
                shown = audit.get("displayValue") or ""
                failing.append(f"{category}: {ref['id']} {audit['score']:.2f} {shown}".rstrip())
                failing += [f"    {item}" for item in details(audit)]
    return scores, failing


def details(audit: dict, limit: int = 4) -> list[str]:
    """The first few items an audit lists (a console message, an element, a URL)."""
    lines = []
    for item in (audit.get("details") or {}).get("items", [])[:limit]:
        node = item.get("node") or {}
        text = item.get("description") or node.get("snippet") or item.get("url") or ""
        source = item.get("source")
        where = source.get("url") if isinstance(source, dict) else ""
        lines.append(" ".join(str(x) for x in (text, where) if x)[:200])
    return lines


def axe(page) -> list[str]:
    """axe-core's violations on the loaded page, one line per rule with its first targets."""
    page.evaluate(AXE.read_text() + "\n;0")  # through DevTools: the page's CSP stays as it is
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    lines = []
    for v in found:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {targets}")
    return lines


@functools.cache
def launcher_flags() -> list[str]:
    """The flags Lighthouse's chrome-launcher starts Chromium with (they matter: without them
    Chromium logs no geolocation-without-a-gesture violation, for one)."""
    script = (
        "import('chrome-launcher')"
        ".then(m => console.log(JSON.stringify(m.Launcher.defaultFlags())))"
    )
    out = subprocess.run(["node", "-e", script], cwd=HERE, check=True, capture_output=True)  # noqa: S603, S607
    return json.loads(out.stdout)


@contextlib.contextmanager
def signed_in(pw, base: str, user: str | None, locale: str) -> Iterator:
    """Chromium as Lighthouse would start it, on its own profile with DevTools on a port,
    signed in as `user` by Playwright over CDP. Lighthouse (`--port`) then loads pages with the
    session in the cookie jar, as a signed-in phone would (an `--extra-headers` Cookie misses
    the service worker's own requests: 401s in the console). The app's language cookie picks
    `locale` for both. Yields a 390x844 page for axe."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="lh-profile-") as profile:
        chromium = subprocess.Popen(  # noqa: S603
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *launcher_flags(),
             f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            browser = connect(pw, port)
            browser.contexts[0].add_cookies([{"name": "locale", "value": locale, "url": base}])
            if user:
                page = browser.contexts[0].pages[0]
                sign_in(page, user, base)
                page.wait_for_load_state("networkidle")  # the offline copy is made
                page.goto("about:blank")  # nothing else runs while Lighthouse measures
            context = browser.new_context(base_url=base, **PHONE_CONTEXT)
            context.add_cookies(browser.contexts[0].cookies())
            yield context.new_page(), port
        finally:
            chromium.terminate()
            chromium.wait(timeout=10)


def connect(pw, port: int):
    for _ in range(100):
        with contextlib.suppress(Exception):
            return pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        time.sleep(0.1)
    sys.exit(f"Chromium did not open DevTools on port {port}")


def run_all(base: str, targets: list[Page], opts) -> list[Result]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        for user in dict.fromkeys(t.user for t in targets):
            with signed_in(pw, base, user, opts.locale) as (page, port):
                for target in (t for t in targets if t.user == user):
                    result = Result(target)
                    if not opts.no_lighthouse and target.name in LIGHTHOUSE_PAGES:
                        result.scores, result.failing = lighthouse(
                            base + target.path, port, opts.runs, opts.save
                        )
                    if not opts.no_axe:
                        page.goto(target.path, wait_until="networkidle")
                        result.violations = axe(page)
                    results.append(result)
    return results


def report(results: list[Result], axe_run: bool) -> bool:
    ok = True
    scored = [r for r in results if r.scores]
    if scored:
        load = os.getloadavg()[0]
        print(
            f"Lighthouse 12, mobile (simulated slow 4G, 4x CPU), median of "
            f"{len(scored[0].scores['runs'])} runs by performance; load average {load:.1f}"
        )
        print(f"{'page':<16}" + "".join(f"{c[:14]:>15}" for c in CATEGORIES) + "  perf runs   CPU")
        for r in scored:
            cells = ["-" if r.scores[c] is None else f"{r.scores[c]:.2f}" for c in CATEGORIES]
            runs = "/".join(f"{x:.2f}" for x in r.scores["runs"])
            print(f"{r.page.name:<16}" + "".join(f"{c:>15}" for c in cells)
                  + f"  {runs}  {r.scores['cpu']:.0f}")  # fmt: skip
        print()
        for r in scored:
            for line in r.failing:
                print(f"  {r.page.name}: {line}")
        print()
        for category, target in TARGETS.items():
            low = [r.page.name for r in scored if (r.scores[category] or 0) < target]
            ok &= not low
            note = f" (not: {', '.join(low)})" if low else ""
            print(f"{verdict(not low)}  {category} >= {target:.2f}{note}")
    if axe_run:
        bad = [r for r in results if r.violations]
        ok &= not bad
        print(f"{verdict(not bad)}  axe-core: no violations on {len(results)} pages")
        for r in bad:
            for line in r.violations:
                print(f"      {r.page.name}: {line}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="page names (see page_weight.pages)")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--no-axe", action="store_true")
    parser.add_argument("--locale", default="en", choices=["en", "zh_CN"], help="app language")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (median)")
    parser.add_argument("--save", type=Path, help="keep every Lighthouse JSON report here")
    opts = parser.parse_args()
    node_modules()
    with demo_server() as (base, database):
        targets = pages(seed(base, database))
        if opts.only:
            targets = [t for t in targets if t.name in opts.only]
        results = run_all(base, targets, opts)
    raise SystemExit(0 if report(results, axe_run=not opts.no_axe) else 1)


if __name__ == "__main__":
    main()
