"""A stored payload in every free-text field is shown as text in a real browser; nothing runs."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def assert_inert(page) -> None:
    """The payload is visible as text, no element came from it, and no script of it ran."""
    assert page.title() != "pwned"
    assert page.locator('img[src="x"]').count() == 0
    assert PAYLOAD in page.inner_text("main")


def test_payloads_render_as_text_everywhere(new_phone, login, browser, live_server):
    admin = new_phone()
    dialogs: list[str] = []
    admin.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(admin, "admin")

    admin.goto("/sites/new")
    admin.select_option("#f-kind", "shop")
    admin.fill("#f-name_zh", PAYLOAD)
    admin.fill("#f-address", PAYLOAD)
    admin.fill("#f-contact_name", PAYLOAD)
    admin.select_option("#f-team_id", index=1)
    admin.locator("main form button[type=submit]").tap()
    admin.wait_for_url(re.compile(r"/sites/\d+$"))
    site_id = int(admin.url.rsplit("/", 1)[1])
    assert_inert(admin)
    admin.goto("/sites?q=pwned")
    assert_inert(admin)

    admin.goto("/admin/teams/new")
    admin.fill("#f-name_zh", PAYLOAD)
    admin.locator("main form button[type=submit]").tap()
    admin.wait_for_url(re.compile(r"/admin/teams/\d+$"))
    assert_inert(admin)

    admin.goto("/admin/users/new")
    admin.fill("#f-username", f"x{uuid.uuid4().hex[:8]}")
    admin.fill("#f-display_name", PAYLOAD)
    admin.fill("#f-password", "long-enough-password")
    admin.locator("main form button[type=submit]").tap()
    admin.wait_for_url(re.compile(r"/admin/users$"))
    assert_inert(admin)

    # a note on a failed item, through the API, seen on the summary by the office
    team_id = admin.request.get(f"/api/v1/sites/{site_id}").json()["team_id"]
    api = browser.new_context(base_url=live_server)  # no cookies: a plain API client
    request = api.request
    token = request.post(
        "/api/v1/auth/token", data={"username": f"inspector{team_id}", "password": "demo1234"}
    ).json()
    assert "token" in token, token
    headers = {"Authorization": f"Bearer {token['token']}"}
    key = str(uuid.uuid4())
    answers = [
        {"item_code": f"F{n:02d}", "result": "pass" if n != 7 else "na", "note": PAYLOAD}
        for n in range(1, 9)
    ]
    body = {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": answers,
        "submit": True,
    }
    assert request.put(f"/api/v1/inspections/{key}", headers=headers, data=body).ok
    api.close()
    admin.goto(f"/inspections/{key}")
    admin.locator("details").first.locator("summary").tap()
    expect(admin.locator("main")).to_contain_text("Score")
    assert admin.title() != "pwned" and admin.locator('img[src="x"]').count() == 0
    assert dialogs == []
