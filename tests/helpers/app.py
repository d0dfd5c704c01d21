"""The app under test: settings for a test database, the office's today, and clients that
sign in and post forms the way a browser does."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from litestar.testing import TestClient

from inspect_app.db import Database
from inspect_app.demo import DEMO_PASSWORD
from inspect_app.settings import Settings
from inspect_app.timezone import today_in

IN_CI = os.environ.get("CI") == "true"
ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
CHEAP_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8}
CITY_ADMIN = ("cityadmin", "longpassword")
TOKEN_URL = "/api/v1/auth/token"


def _shared_photos() -> Path:
    """The real phone photos: $INSPECT_SHARED_PHOTOS, else ../shared/photos beside the clone."""
    configured = os.environ.get("INSPECT_SHARED_PHOTOS", "")
    return Path(configured) if configured else ROOT.parent / "shared" / "photos"


SHARED_PHOTOS = _shared_photos()


def require_shared_photos(relative: str = "") -> Path:
    """The path of a real photo (or the folder); skips locally when missing, fails in CI."""
    path = SHARED_PHOTOS / relative
    if not path.exists():
        message = (
            f"real photos not found at {path}: set INSPECT_SHARED_PHOTOS or put them in "
            "../shared/photos (they are not in this repository)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def office_today() -> date:
    """The office's today (its time zone decides "overdue"), never the machine's date."""
    return today_in(Settings.time_zone)


def make_settings(var_dir: Path, database_url: str, **overrides) -> Settings:
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        secret_key="test-secret-" + "x" * 32,
        # tests run the reminder rules themselves, at the moment they choose
        **{**CHEAP_HASHING, "reminders_every_minutes": 0, **overrides},
    )


def csrf_token(client: TestClient) -> str:
    """The CSRF cookie, fetched from the login page when the client has none yet."""
    token = client.cookies.get("csrftoken")
    if not token:
        client.get("/login")
        token = client.cookies.get("csrftoken")
    return token


def post_form(client: TestClient, url: str, data: dict | None = None, **kwargs):
    """Submit a form the way a browser does, CSRF token included."""
    payload = {**(data or {}), "_csrf_token": csrf_token(client)}
    return client.post(url, data=payload, follow_redirects=False, **kwargs)


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD):
    return post_form(client, "/login", {"username": username, "password": password})


def english(client: TestClient) -> TestClient:
    """Messages in English, so assertions read the words a person would read."""
    client.cookies.set("locale", "en")
    return client


def says(html: str, message: str) -> bool:
    """The page shows this message, in English or in its Chinese translation."""
    from inspect_app.i18n import translations

    return message in html or translations("zh_CN").gettext(message) in html


def make_city_wide_admin(db: Database, settings: Settings) -> tuple[str, str]:
    """A city-wide administrator (the demo has none); returns (username, password)."""
    from inspect_app.accounts.schemas import AccountFields
    from inspect_app.accounts.service import create_user

    username, password = CITY_ADMIN
    with db.session(write=True) as s:
        create_user(
            session=s,
            settings=settings,
            actor=None,
            data=AccountFields(username=username, password=password, role="admin", city_wide=True),
        )
    return CITY_ADMIN


def api_sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD):
    return client.post(TOKEN_URL, json={"username": username, "password": password})


def fail(client: TestClient, username: str, times: int, *, api: bool = False) -> list[int]:
    """`times` wrong passwords; returns the statuses (401 wrong, 429 refused by a lock)."""
    attempt = api_sign_in if api else sign_in
    return [attempt(client, username, "wrong-password").status_code for _ in range(times)]
