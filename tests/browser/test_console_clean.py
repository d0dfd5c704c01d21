"""Every inspection page, for each role and in both languages, leaves the browser console empty:
no script error, no warning, and no resource that failed to load (not even a 404 echo)."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import make_finding

pytestmark = pytest.mark.browser


def watch(page) -> list[str]:
    """Every console error or warning and every uncaught error on this page, as text."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: (
            seen.append(f"{m.type}: {m.text} ({m.location.get('url')})")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: seen.append(f"uncaught: {e}"))
    return seen


def visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy thumbnails load too
    page.wait_for_load_state("networkidle")


def follow(page, selector: str) -> str:
    """The address of the first link matching `selector` on this page (it must have one)."""
    link = page.locator(selector).first
    expect(link).to_be_attached()
    return link.get_attribute("href")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_inspector_pages_have_a_clean_console(new_phone, login, locale, tmp_path):
    photo = tmp_path / "p.jpg"
    Image.new("RGB", (640, 480), (90, 90, 30)).save(photo, "JPEG")
    page = new_phone(locale=locale, service_workers="allow")
    seen = watch(page)
    login(page, "inspector1")
    page.locator("#main .list .card a").nth(2).tap()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    site = page.url
    page.locator("section.start button").first.tap()
    page.wait_for_url(re.compile(r"/inspections/[0-9a-f-]{36}"))
    first = page.locator("li.item").first
    first.locator("button.ans.fail").tap()
    expect(first).to_have_attribute("data-result", "fail")
    first = page.locator("li.item").first
    first.locator("textarea").type("broken")
    first.locator("input[type=file]").set_input_files(str(photo))
    expect(page.locator("li.item").first.locator(".thumbs img")).to_have_count(1)
    page.reload()
    page.wait_for_load_state("networkidle")
    visit(page, site)
    submitted = page.locator("#history a[href^='/inspections/']")
    if submitted.count():
        inspection = submitted.first.get_attribute("href")
        visit(page, inspection)
        if page.locator("a[href$='/notice']").count():
            visit(page, follow(page, "a[href$='/notice']"))
    visit(page, "/offline")
    assert seen == []


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_supervisor_and_owner_pages_have_a_clean_console(new_phone, login, locale, tmp_path):
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (640, 480), (200, 40, 40)).save(gap, "JPEG")
    page = new_phone(locale=locale, service_workers="allow")
    site_id, _ = make_finding(page.request, gap)
    seen = watch(page)
    login(page, "supervisor")
    visit(page, "/dashboard")
    visit(page, f"/rectifications?site_id={site_id}")
    item = follow(page, "#results a[href^='/rectifications/']:not([href*='export'])")
    visit(page, item)
    visit(page, f"/sites/{site_id}")
    inspection = follow(page, "#history a[href^='/inspections/']")
    visit(page, inspection)
    visit(page, f"{inspection}/notice")
    owner = new_phone(locale=locale, service_workers="allow")
    seen_by_owner = watch(owner)
    login(owner, "owner1")
    visit(owner, item)
    visit(owner, f"/sites/{site_id}")
    assert seen == [] and seen_by_owner == []
