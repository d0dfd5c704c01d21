"""One upload never holds the others: photos are processed in a bounded pool off the event loop,
a full pool answers 503 with Retry-After after a short wait (nothing saved, the phone sends it
again), a photo over its time budget is refused (422), and /healthz answers at once while
hostile or heavy photos are being processed on a real server."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from PIL import Image

from inspect_app.app import create_app
from inspect_app.photos import intake as photo_intake
from inspect_app.photos.pipeline import Deadline, PhotoTooSlow, process_photo
from inspect_app.photos.pool import PhotoBusy, PhotoPool, photo_pool
from tests.helpers import hostile_photos as hostile
from tests.helpers.app import make_settings
from tests.helpers.data import counts, draft_for, jpeg, stored_files, upload

APP_BIN = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "inspect-app"


def run(coro):
    """asyncio.run in a thread of its own: the main thread may hold Playwright's event loop
    (the browser tests run earlier in the same process)."""
    outcome: dict = {}

    def body() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_a_full_pool_waits_briefly_then_refuses_and_frees_when_work_ends():
    pool = PhotoPool(1)
    release = threading.Event()

    async def scenario():
        held = asyncio.ensure_future(pool.run(lambda d: release.wait(5), wait=0, budget=5))
        await asyncio.sleep(0.05)
        assert pool.busy == 1
        start = time.monotonic()
        with pytest.raises(PhotoBusy) as info:
            await pool.run(lambda d: "never", wait=0.2, budget=5)
        assert 0.2 <= time.monotonic() - start < 1.0
        assert info.value.status_code == 503 and info.value.headers == {"Retry-After": "1"}
        release.set()
        assert await held is True
        assert await pool.run(lambda d: "next", wait=0.5, budget=5) == "next"

    run(scenario())
    assert pool.busy == 0


def test_a_waiting_upload_gets_the_worker_that_frees_up():
    pool = PhotoPool(1)

    async def scenario():
        slow = asyncio.ensure_future(pool.run(lambda d: time.sleep(0.2) or 1, wait=0, budget=5))
        await asyncio.sleep(0.02)
        assert await pool.run(lambda d: 2, wait=2, budget=5) == 2
        assert await slow == 1

    run(scenario())


def test_over_budget_is_refused_but_the_slot_stays_taken_until_the_work_ends():
    pool = PhotoPool(1)
    release = threading.Event()

    def stubborn(deadline: Deadline) -> str:
        release.wait(5)  # one stage that cannot be interrupted
        deadline.check()  # the next checkpoint stops it
        return "too late"

    async def scenario():
        start = time.monotonic()
        with pytest.raises(PhotoTooSlow) as info:
            await pool.run(stubborn, wait=0, budget=0.1)
        assert time.monotonic() - start < 1.5 and info.value.status_code == 422
        assert pool.busy == 1  # concurrency stays bounded: the thread is still running
        with pytest.raises(PhotoBusy):
            await pool.run(lambda d: "x", wait=0.05, budget=1)
        release.set()
        for _ in range(100):
            if pool.busy == 0:
                break
            await asyncio.sleep(0.01)
        assert pool.busy == 0

    run(scenario())


@contextmanager
def phone_for(settings, tmp_path, **overrides) -> Iterator[tuple[TestClient, object]]:
    """A client of an app with these settings over the test's database (tokens still work)."""
    changed = make_settings(tmp_path / "app", settings.database_url, **overrides)
    app = create_app(changed)
    try:
        with TestClient(app) as phone:
            yield phone, changed
    finally:
        app.state.db.dispose()


def test_a_full_pool_is_a_503_through_the_api_and_nothing_is_lost(
    client, api_token, world, settings, tmp_path
):
    key, headers = draft_for(client, api_token, world)
    release = threading.Event()
    pool = photo_pool(1)
    holder = threading.Thread(
        target=lambda: run(pool.run(lambda d: release.wait(10), wait=1, budget=10))
    )
    holder.start()
    try:
        while pool.busy == 0:
            time.sleep(0.01)
        with phone_for(settings, tmp_path, photo_workers=1, photo_queue_seconds=0.2) as (
            phone,
            busy,
        ):
            r = upload(phone, headers, key, jpeg())
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert r.json()["error"]["code"] == "photo_busy" and r.json()["error"]["message"]
            assert counts(world) == (0, 0) and stored_files(busy) == []
            assert not any((busy.var_dir / "tmp").glob("*"))
            release.set()
            holder.join(5)
            again = upload(phone, headers, key, jpeg())  # the outbox sends it again
            assert again.status_code == 200, again.text
            assert counts(world) == (1, 1)
    finally:
        release.set()
        holder.join(5)


def test_a_photo_over_its_budget_is_a_422_with_nothing_saved(
    client, api_token, world, settings, tmp_path, monkeypatch
):
    def slow(path, *, deadline, **kwargs):
        time.sleep(0.3)  # a stage that runs past the budget
        return process_photo(path, deadline=deadline, **kwargs)

    monkeypatch.setattr(photo_intake, "process_photo", slow)
    key, headers = draft_for(client, api_token, world)
    with phone_for(settings, tmp_path, photo_budget_seconds=0.1) as (phone, changed):
        r = upload(phone, headers, key, jpeg())
        assert r.status_code == 422 and r.json()["error"]["code"] == "photo_too_slow"
        assert counts(world) == (0, 0) and stored_files(changed) == []


# --------------------------------------------------------------------------------------------
# A real server: the event loop stays free while photos are processed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(settings, tmp_path) -> Iterator[str]:
    """`inspect-app serve` in its own process (its GIL is not ours, so a stalled event loop shows
    in our timings) over the test's database, with the default photo settings."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "VAR_DIR": str(tmp_path / "live"),
        "SECRET_KEY": settings.secret_key,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("PHOTO_WORKERS", "PHOTO_QUEUE_SECONDS", "PHOTO_BUDGET_SECONDS", "WORKERS"):
        env.pop(name, None)
    command = [str(APP_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        give_up = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < give_up, "the server did not start"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()


def big_png() -> bytes:
    """A 7000 x 7000 photo (49 MP, under the 50 MP cap) that compresses well: ~1 s of decoding."""
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((7000, 7000)).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def test_healthz_answers_at_once_while_photos_are_processed(
    live, client, api_token, world, settings
):
    key, headers = draft_for(client, api_token, world)
    uploads = {
        "hostile 48 KB": hostile.ff_run_then_zero(48 * 1024),
        "hostile 1 MB": hostile.ff_run_then_zero(),
        "many scans": hostile.many_scans(),
        "49 MP PNG": big_png(),
    }
    answers: dict[str, tuple[int, float]] = {}

    def send(name: str, data: bytes) -> None:
        with httpx.Client(base_url=live, timeout=60) as http:
            start = time.perf_counter()
            r = http.put(
                f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
                headers=headers,
                files={"file": (f"{name}.jpg", data, "image/jpeg")},
                data={"item_code": "F01"},
            )
            answers[name] = (r.status_code, time.perf_counter() - start)

    senders = [threading.Thread(target=send, args=item) for item in uploads.items()]
    for sender in senders:
        sender.start()
    latencies = []
    with httpx.Client(base_url=live, timeout=30) as http:
        while any(sender.is_alive() for sender in senders) or len(latencies) < 5:
            start = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
    for sender in senders:
        sender.join()
    assert max(latencies) < 2.0, sorted(latencies)[-5:]  # it waited 11-20 s before
    assert answers["49 MP PNG"][0] == 200
    for name in ("hostile 48 KB", "hostile 1 MB", "many scans"):
        status, seconds = answers[name]
        assert status == 422 and seconds < 3.0, (name, answers[name])
