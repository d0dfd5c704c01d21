"""Every state-changing page form refuses a missing or a wrong CSRF token, whoever is signed in."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from tests.helpers.app import csrf_token

UUID = "00000000-0000-4000-8000-000000000000"


def page_posts(app) -> list[str]:
    """Every POST route that is a page (the API uses bearer tokens or the CSRF header)."""
    paths = []
    for route in app.routes:
        if (
            isinstance(route, HTTPRoute)
            and "POST" in route.methods
            and not route.path.startswith("/api/")
        ):
            path = re.sub(r"\{[^}]*:int\}", "1", route.path)
            paths.append(re.sub(r"\{[^}]*\}", UUID, path))
    return sorted(set(paths))


def test_there_are_many_forms_to_check(app):
    assert len(page_posts(app)) >= 25


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_every_form_refuses_a_missing_or_wrong_token(app, login_as, token):
    admin = login_as("admin")
    csrf_token(admin)
    for path in page_posts(app):
        data = {"_csrf_token": token} if token else {}
        r = admin.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert "csrf" in r.text.lower() or "安全令牌" in r.text or "security token" in r.text


def test_api_writes_with_a_session_cookie_need_the_header(login_as):
    inspector = login_as("inspector1")
    r = inspector.put(f"/api/v1/inspections/{UUID}", json={})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
