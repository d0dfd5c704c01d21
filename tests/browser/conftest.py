"""Browser fixtures: one real app server per session on a free port, headless Chromium through
Playwright's sync API, and phone-sized pages that record console errors and failed requests."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from inspect_app.demo import DEMO_PASSWORD
from tests.helpers.browser import PHONE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_BIN = PROJECT_ROOT / ".venv" / "bin" / "inspect-app"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
ACTION_TIMEOUT_MS = 10_000
SERVER_LOG = pytest.StashKey[Path]()


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test shows the end of the app server's log next to its traceback."""
    report = yield
    log = item.config.stash.get(SERVER_LOG, None)
    if report.failed and log is not None and "live_server" in getattr(item, "fixturenames", ()):
        report.sections.append(("app server log (end)", _tail(log)))
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM if pytest itself is killed, so no server is left behind."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class AppServer:
    """`inspect-app serve` on a copy of the migrated demo database, on a fixed port, so it can
    be killed (SIGKILL, like a power cut) and started again where the phones expect it."""

    var_dir: Path
    template: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        shutil.copyfile(self.template, self.var_dir / "inspect.db")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.var_dir / "server.log"

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.var_dir / 'inspect.db'}",
            "VAR_DIR": str(self.var_dir),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "8",
            "PYTHONUNBUFFERED": "1",
            "REMINDERS_EVERY_MINUTES": "0",  # the inbox holds the demo's messages only
        }
        for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "COOKIE_SECURE", "WORKERS"):
            env.pop(name, None)
        return env

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(APP_BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"the app server did not answer {self.url}/healthz "
                    f"(exit code {self.process.returncode}); its log:\n" + _tail(self.log_path)
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, whatever the server was doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run `inspect-app ARGS` against this server's database and photo store."""
        return subprocess.run(
            [str(APP_BIN), *args], env=self.env, capture_output=True, text=True, check=False
        )


@pytest.fixture(scope="session")
def live_server(sqlite_template: Path, tmp_path_factory, pytestconfig) -> Iterator[str]:
    """The shared app server of the browser tests; yields its base URL."""
    server = AppServer(tmp_path_factory.mktemp("live"), sqlite_template)
    pytestconfig.stash[SERVER_LOG] = server.log_path
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def own_server(sqlite_template: Path, tmp_path) -> Iterator[AppServer]:
    """A server of the test's own, for tests that kill and restart it."""
    server = AppServer(tmp_path, sqlite_template)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless system Chromium; never downloads a browser."""
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail("CI requires the browser tests: " + reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


# Chromium logs every 4xx/5xx response as a console error; responses are judged on their own
# (a 401 after a wrong password or a 404 page is the app working), so that echo is dropped.
HTTP_STATUS_ECHO = re.compile(r"^Failed to load resource: the server responded with a status of")
# Pages and htmx requests may answer 4xx on purpose; static files and scripts may not.
MAY_BE_4XX = {"document", "xhr", "fetch"}


@dataclass
class PageLog:
    """What went wrong in the page: console errors, failed requests, requests to other hosts,
    server errors, and missing static files."""

    host: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    # Set by helpers.browser.forgive_offline_errors: from then on, requests that fail because
    # the test cut the network (the outbox's timer, a background refresh) are not problems.
    offline_forgiven: bool = False

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"request failed: {m}" for m in self.failed_requests]
            + [f"request to another host: {m}" for m in self.foreign_requests]
            + [f"bad response: {m}" for m in self.bad_responses]
        )

    def _cut_off(self, text: str) -> bool:
        return self.offline_forgiven and "INTERNET_DISCONNECTED" in text

    def on_console(self, message) -> None:
        text = message.text
        if message.type == "error" and not HTTP_STATUS_ECHO.match(text) and not self._cut_off(text):
            self.console_errors.append(f"{text} ({message.location.get('url')})")

    def on_request_failed(self, request) -> None:
        # ERR_ABORTED is the page moving on (a navigation cancelling the icon, htmx replacing
        # its own request); refused, reset or blocked requests are real failures.
        if urlsplit(request.url).netloc == self.host and request.failure != "net::ERR_ABORTED":
            if self._cut_off(str(request.failure)):
                return
            self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(self, response) -> None:
        kind = response.request.resource_type
        if response.status >= 500 or (response.status >= 400 and kind not in MAY_BE_4XX):
            self.bad_responses.append(f"{response.status} {kind} {response.url}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def new_phone(browser, live_server: str) -> Iterator[Callable]:
    """new_phone(locale="zh-CN", width=360) -> a Page in a fresh phone-like context.

    Requests to any host but the live server are aborted and reported; every page's log must be
    clean when the test ends (tests may also assert `page.log.problems() == []` themselves)."""
    contexts = []
    logs: list[PageLog] = []

    def _new(
        locale: str = "en-US",
        width: int = PHONE["width"],
        height: int = PHONE["height"],
        service_workers: str = "block",
        server: str = live_server,
    ):
        context = browser.new_context(
            base_url=server,
            viewport={"width": width, "height": height},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            locale=locale,
            service_workers=service_workers,
        )
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        log = PageLog(host=urlsplit(server).netloc)
        logs.append(log)

        def _route(route) -> None:
            if _origin(route.request.url) == server:
                route.continue_()
            else:
                log.foreign_requests.append(route.request.url)
                route.abort()

        context.route("**/*", _route)
        page = context.new_page()
        page.on("console", log.on_console)
        page.on("response", log.on_response)
        page.on("pageerror", lambda e: log.console_errors.append(f"uncaught: {e}"))
        page.on("requestfailed", log.on_request_failed)
        page.log = log
        return page

    yield _new
    for context in contexts:
        context.close()
    problems = [p for log in logs for p in log.problems()]
    assert not problems, "\n".join(problems)


@pytest.fixture
def phone(new_phone):
    """A 390x844 touch page with scale 2, English UI (Accept-Language en-US)."""
    return new_phone()


@pytest.fixture
def login() -> Callable:
    """login(page, "inspector1") through the login form; waits for the home page."""

    def _login(page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: urlsplit(url).path == "/")

    return _login


@pytest.fixture
def photos(tmp_path):
    """Three phone-sized photos of plain colours, for the offline inspections."""
    files = []
    for i, colour in enumerate([(200, 30, 30), (30, 160, 30), (30, 30, 200)]):
        path = tmp_path / f"gap{i}.jpg"
        Image.new("RGB", (1600, 1200), colour).save(path, "JPEG", quality=90)
        files.append(path)
    return files
