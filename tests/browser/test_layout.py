"""Layout on the smallest supported phone (360 px): nothing wider than the screen, and every
control big enough for a thumb (44 px, WCAG 2.5.5) on each page a role can reach."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.helpers.browser import SMALL_TARGETS_JS

pytestmark = pytest.mark.browser

WIDTH = 360
PAGES = {
    "admin": [
        "/",
        "/sites",
        "/sites?q=Tower",
        "first:/sites?kind=building",
        "/sites/new",
        "/sites/import",
        "/account",
        "/admin/users",
        "/admin/users/1",
        "/admin/teams",
        "/admin/teams/1",
        "/sites/999999",
        "/admin/checklists",
        "/admin/checklists/fire-safety",
    ],
    "supervisor": ["/", "/sites?kind=compound", "/dashboard", "/rectifications"],
    "inspector1": ["/", "first:/sites?kind=enterprise"],
    "owner1": ["/", "first:/sites"],
}


def open_page(page, target: str) -> str:
    """Go to `target`; "first:<list url>" opens the first site card on that list."""
    if not target.startswith("first:"):
        page.goto(target)
        return target
    page.goto(target.removeprefix("first:"))
    page.locator("#results .card a").first.click()
    page.wait_for_url(lambda url: re.fullmatch(r"/sites/\d+", urlsplit(url).path) is not None)
    return urlsplit(page.url).path


def layout_problems(page) -> list[str]:
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        problems.append(f"page is {width}px wide")
    problems += [f"small target {t}" for t in page.evaluate(SMALL_TARGETS_JS)]
    return problems


@pytest.mark.parametrize("username", list(PAGES))
def test_pages_fit_a_small_phone_and_fingers(new_phone, login, username):
    page = new_phone(width=WIDTH, height=740)
    found = {}
    page.goto("/login")
    if username == "admin":
        found["/login"] = layout_problems(page)
    login(page, username)
    for target in PAGES[username]:
        url = open_page(page, target)
        found[url] = layout_problems(page)
    assert {url: p for url, p in found.items() if p} == {}
