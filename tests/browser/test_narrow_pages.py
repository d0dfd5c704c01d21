"""A long unbroken address, name or note never makes a page wider than a 390 px phone: the
text wraps wherever it must (app.css: `overflow-wrap: anywhere` on the body, inherited by
every text container, flex and grid item). Also: every admin tab is in sight at 390 px."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import make_finding

pytestmark = pytest.mark.browser

LONG = ("No.1234567890Zhangjiang" * 20)[:300]  # the address column's full length, no break
LONG_NAME = ("LongEnterpriseName" * 12)[:200]
WIDTH = "document.scrollingElement.scrollWidth"


def make_long(server, site_id: int) -> None:
    """The site's address, English name and finding note at full length, without a space."""
    with sqlite3.connect(server.var_dir / "inspect.db") as db:
        db.execute(
            "UPDATE site SET address = ?, name_en = ? WHERE id = ?", (LONG, LONG_NAME, site_id)
        )
        db.execute(
            "UPDATE answer SET note = ? WHERE id IN (SELECT answer_id FROM rectification"
            " WHERE site_id = ?)",
            (LONG, site_id),
        )


def test_a_300_character_address_fits_the_phone(own_server, new_phone, login, tmp_path):
    # own_server first: pytest stops it last, after the phone (its late requests find it up)
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    page = new_phone(server=own_server.url)
    site_id, inspector = make_finding(page.request, gap)
    make_long(own_server, site_id)
    item_id = page.request.get(
        f"/api/v1/rectifications?site_id={site_id}&status=active",
        headers={
            "Authorization": "Bearer "
            + page.request.post(
                "/api/v1/auth/token", data={"username": inspector, "password": "demo1234"}
            ).json()["token"]
        },
    ).json()["items"][0]["id"]

    login(page, inspector)
    for path in (
        f"/sites/{site_id}",
        f"/sites?q={quote(LONG[:40])}",
        f"/rectifications/{item_id}",
        f"/rectifications?site_id={site_id}",
    ):
        page.goto(path)
        text = page.locator("main").inner_text()
        assert LONG[:40] in text or LONG_NAME[:40] in text, path  # the long text is there
        assert page.evaluate(WIDTH) <= 390, path
    page.goto(f"/sites/{site_id}")
    page.locator("form[action='/inspections/new'] button[type=submit]").first.tap()
    page.wait_for_url("**/inspections/*")
    assert page.evaluate(WIDTH) <= 390, "the walkthrough"

    page = new_phone(server=own_server.url)
    login(page, "owner1")  # the owner's own pages too
    for path in ("/", f"/rectifications/{item_id}"):
        page.goto(path)
        assert page.evaluate(WIDTH) <= 390, path


def test_every_admin_tab_is_in_sight(new_phone, login):
    for locale in ("en-US", "zh-CN"):
        page = new_phone(locale=locale)
        login(page, "admin")
        for path in ("/admin/users", "/sites/import", "/admin/channels"):
            page.goto(path)
            tabs = page.locator(".tabs a")
            expect(tabs).to_have_count(5)
            for i in range(5):
                box = tabs.nth(i).bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (locale, path, i)
            assert page.evaluate(WIDTH) <= 390
