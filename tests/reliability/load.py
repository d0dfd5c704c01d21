"""Simulated inspectors: each phone sends its inspections through the idempotent API the way the
outbox does (static/js/outbox.js): the draft with its answers, then each photo, then the submit;
a connection error, 5xx, 408 or 429 is retried with backoff and the same client UUIDs."""

from __future__ import annotations

import functools
import hashlib
import io
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from PIL import Image, ImageDraw

from inspect_app.settings import Settings
from inspect_app.timezone import today_in

TEMPLATE = "fire-safety"
ITEMS = [f"F{n:02d}" for n in range(1, 9)]
FAILED = ("F05", "F07")  # both need a photo before the inspection can be submitted
RETRY_STATUSES = frozenset({408, 429})
REQUEST_TIMEOUT_S = 30.0
GIVE_UP_AFTER_S = 120.0  # one request, all its retries included


@functools.lru_cache(maxsize=4096)
def small_jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A distinct, cheap-to-process phone-like JPEG (a gradient with a mark that varies); the
    same seed gives the same bytes, made once per test session."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0] - 60), rng.randrange(size[1] - 60)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(10, 60), y + rng.randrange(10, 60)), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass(frozen=True)
class PlannedPhoto:
    uuid: str
    item_code: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PlannedInspection:
    uuid: str
    site_id: int
    photos: tuple[PlannedPhoto, ...]

    def body(self, *, submit: bool) -> dict:
        deadline = (today_in(Settings.time_zone) + timedelta(days=30)).isoformat()
        answers = [
            {
                "item_code": code,
                "result": "fail" if code in FAILED else "pass",
                "note": "load test" if code in FAILED else "",
                "deadline": deadline if code in FAILED else None,
            }
            for code in ITEMS
        ]
        return {
            "site_id": self.site_id,
            "template_code": TEMPLATE,
            "template_version": 1,
            "started_at": "2026-11-28T09:00:00+08:00",
            "answers": answers,
            "submit": submit,
        }


@dataclass
class Inspector:
    username: str
    site_ids: list[int]
    token: str = ""
    plan: list[PlannedInspection] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_plan(inspectors: list[Inspector], per_inspector: int, photos: int, seed: int = 1) -> None:
    """Fill every inspector's plan: fresh UUIDs, sites of their team, distinct photos (another
    seed, other photos)."""
    rng = random.Random(seed)
    n = seed * 100_000
    for inspector in inspectors:
        inspector.plan = []
        for _ in range(per_inspector):
            shots = []
            for k in range(photos):
                n += 1
                shots.append(
                    PlannedPhoto(str(uuid.uuid4()), FAILED[k % len(FAILED)], small_jpeg(n))
                )
            site = rng.choice(inspector.site_ids)
            inspector.plan.append(PlannedInspection(str(uuid.uuid4()), site, tuple(shots)))


class GaveUp(Exception):
    pass


@dataclass
class Figures:
    """What happened on the wire, counted by every client thread."""

    requests: int = 0  # attempts, retries included
    retries: int = 0
    connection_errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)  # 4xx answers: the app said no
    server_errors: list[str] = field(default_factory=list)  # 5xx answers
    inspections_done: int = 0
    photos_done: int = 0
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def line(self, label: str) -> str:
        rate = self.inspections_done / self.wall_s if self.wall_s else 0.0
        return (
            f"{label}: {self.inspections_done} inspections, {self.photos_done} photos in "
            f"{self.wall_s:.1f} s ({rate:.1f} inspections/s); {self.requests} requests, "
            f"{self.retries} retries, {self.connection_errors} connection errors, "
            f"{len(self.server_errors)} 5xx, {len(self.refused)} refused"
        )


class Phone:
    """One inspector's client: its own connection pool, retries with capped, jittered backoff.
    With copies > 1 every request goes out that many times at once, as from a phone that gave
    up waiting and sent it again while the first was still being handled."""

    def __init__(self, base_url: str, figures: Figures, copies: int = 1) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S)
        self.figures = figures
        self.rng = random.Random()
        self.copies = copies
        self.pool = ThreadPoolExecutor(max_workers=copies) if copies > 1 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        self.http.close()

    def send_once(self, method: str, url: str, **kwargs) -> httpx.Response:
        """call(), as many copies at once as this phone sends; the first refusal, else an answer."""
        if self.pool is None:
            return self.call(method, url, **kwargs)
        copies = [self.pool.submit(self.call, method, url, **kwargs) for _ in range(self.copies)]
        answers = [c.result() for c in copies]
        return next((r for r in answers if r.status_code != 200), answers[0])

    def call(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Send until the server gives an answer that is not worth retrying."""
        give_up = time.monotonic() + GIVE_UP_AFTER_S
        for attempt in range(1_000):
            if attempt:
                self._count(retries=1)
                time.sleep(min(2.0, 0.1 * 2**attempt) * self.rng.uniform(0.5, 1.0))
            self._count(requests=1)
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                self._count(connection_errors=1)
            else:
                with self.figures.lock:
                    self.figures.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    with self.figures.lock:
                        self.figures.server_errors.append(
                            f"{method} {url}: {response.status_code} {response.text[:300]}"
                        )
                elif response.status_code not in RETRY_STATUSES:
                    return response
            if time.monotonic() > give_up:
                break
        raise GaveUp(f"{method} {url}: no answer after {GIVE_UP_AFTER_S:.0f} s")

    def _count(self, **amounts: int) -> None:
        with self.figures.lock:
            for name, amount in amounts.items():
                setattr(self.figures, name, getattr(self.figures, name) + amount)

    def expect_ok(self, response: httpx.Response, what: str) -> bool:
        if response.status_code == 200:
            return True
        with self.figures.lock:
            self.figures.refused.append(f"{what}: {response.status_code} {response.text[:300]}")
        return False

    def sign_in(self, inspector: Inspector, password: str) -> None:
        r = self.call(
            "POST",
            "/api/v1/auth/token",
            json={"username": inspector.username, "password": password},
        )
        assert r.status_code == 201, r.text
        inspector.token = r.json()["token"]

    def send(self, inspector: Inspector, planned: PlannedInspection) -> None:
        """Draft with answers, the photos, then the submit (each one retried as needed)."""
        url = f"/api/v1/inspections/{planned.uuid}"
        headers = inspector.headers
        r = self.send_once("PUT", url, headers=headers, json=planned.body(submit=False))
        if not self.expect_ok(r, f"draft {planned.uuid}"):
            return
        for photo in planned.photos:
            r = self.send_once(
                "PUT",
                f"{url}/photos/{photo.uuid}",
                headers=headers,
                data={"item_code": photo.item_code},
                files={"file": ("photo.jpg", photo.data, "image/jpeg")},
            )
            if self.expect_ok(r, f"photo {photo.uuid}"):
                self._count(photos_done=1)
        r = self.send_once("PUT", url, headers=headers, json=planned.body(submit=True))
        if self.expect_ok(r, f"submit {planned.uuid}") and r.json()["status"] == "submitted":
            self._count(inspections_done=1)


def run_inspectors(
    base_url: str,
    inspectors: list[Inspector],
    *,
    on_progress: Callable[[Figures], None] | None = None,
    copies: int = 1,
) -> Figures:
    """Every inspector works through its plan in its own thread; returns the figures."""
    figures = Figures()

    def work(inspector: Inspector) -> None:
        phone = Phone(base_url, figures, copies)
        try:
            for planned in inspector.plan:
                phone.send(inspector, planned)
                if on_progress is not None:
                    on_progress(figures)
        finally:
            phone.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(inspectors)) as pool:
        for future in [pool.submit(work, i) for i in inspectors]:
            future.result()
    figures.wall_s = time.perf_counter() - started
    return figures


def sign_in_all(base_url: str, inspectors: list[Inspector], password: str) -> None:
    figures = Figures()
    phone = Phone(base_url, figures)
    try:
        for inspector in inspectors:
            phone.sign_in(inspector, password)
    finally:
        phone.close()


def read_back(base_url: str, inspectors: list[Inspector]) -> dict[str, list[str]]:
    """What the API shows each inspector: {inspection uuid: [problems]} for anything not as sent
    (status, answers, photo ids; and for each inspector's last one, a photo's original)."""
    problems: dict[str, list[str]] = {}
    lock = threading.Lock()

    def check(inspector: Inspector) -> None:
        phone = Phone(base_url, Figures())
        try:
            for planned in inspector.plan:
                found = _compare(phone, inspector, planned)
                if found:
                    with lock:
                        problems[planned.uuid] = found
        finally:
            phone.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(check, i) for i in inspectors]:
            future.result()
    return problems


def _compare(phone: Phone, inspector: Inspector, planned: PlannedInspection) -> list[str]:
    r = phone.call("GET", f"/api/v1/inspections/{planned.uuid}", headers=inspector.headers)
    if r.status_code != 200:
        return [f"GET: {r.status_code}"]
    body = r.json()
    found = []
    if body["status"] != "submitted":
        found.append(f"status {body['status']}")
    if sorted(a["item_code"] for a in body["answers"]) != ITEMS:
        found.append("answers " + ",".join(a["item_code"] for a in body["answers"]))
    shown = [p for a in body["answers"] for p in a["photos"]]
    if sorted(p["uuid"] for p in shown) != sorted(p.uuid for p in planned.photos):
        found.append("photos " + ",".join(p["uuid"] for p in shown))
    if planned is inspector.plan[-1]:  # a sample: `inspect-app check` counts every file
        photo = planned.photos[0]
        r = phone.call("GET", f"/api/v1/photos/{photo.uuid}/original", headers=inspector.headers)
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != photo.sha256:
            found.append(f"original of {photo.uuid}: {r.status_code}")
    return found
