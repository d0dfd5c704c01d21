"""A phone in the field: sign in, find a site by typing part of its name, open it.

Every page is checked for console errors and failed requests by the `new_phone` fixture."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def path_of(url: str) -> str:
    return urlsplit(url).path


def is_home(url: str) -> bool:
    return path_of(url) == "/"


def sign_in_through_form(page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").tap()
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form[action='/login'] button[type=submit]").tap()


def test_inspector_signs_in_and_finds_a_site(phone):
    sign_in_through_form(phone, "inspector1", "demo1234")
    phone.wait_for_url(is_home)
    expect(phone.locator("h1")).to_have_text(re.compile(r"^Hello, \S+"))
    expect(phone.locator(".bottomnav")).to_be_visible()
    expect(phone.locator(".topnav")).to_be_hidden()

    phone.locator(".bottomnav").get_by_role("link", name="Sites").tap()
    phone.wait_for_url(lambda url: path_of(url) == "/sites")
    expect(phone.locator(".bottomnav a.active")).to_have_text(re.compile("Sites"))
    count = phone.locator("#result-count")
    expect(count).to_have_text(re.compile(r"^\d+ sites$"))
    all_sites = count.inner_text()
    phone.evaluate("window.loadedOnce = true")  # a full page load would forget this

    with phone.expect_response(
        lambda r: path_of(r.url) == "/sites" and r.request.headers.get("hx-request") == "true"
    ):
        phone.locator("#q").press_sequentially("Jinghua", delay=30)
    expect(count).to_have_text("1 site")
    assert all_sites != "1 site"
    expect(phone).to_have_url(re.compile(r"/sites\?.*q=Jinghua"))
    assert parse_qs(urlsplit(phone.url).query)["q"] == ["Jinghua"]
    assert phone.evaluate("window.loadedOnce") is True, "the search reloaded the whole page"
    # htmx keeps no copies of pages in sessionStorage: they would outlive sign-out on the phone.
    assert phone.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    results = phone.locator("#results .card a")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Jinghua Tower")

    results.first.tap()
    phone.wait_for_url(lambda url: re.fullmatch(r"/sites/\d+", path_of(url)) is not None)
    expect(phone.locator("h1")).to_have_text("Jinghua Tower")
    expect(phone.locator(".facts")).to_contain_text("Address")
    assert phone.log.problems() == []


def test_wrong_password_shows_the_error(phone):
    sign_in_through_form(phone, "inspector1", "not-the-password")
    alert = phone.get_by_role("alert")
    expect(alert).to_have_text("Wrong username or password.")
    assert path_of(phone.url) == "/login"
    expect(phone.locator("#username")).to_have_value("inspector1")
    expect(phone.locator("#password")).to_have_value("")
    expect(phone.locator(".bottomnav")).to_have_count(0)


def test_language_switch(new_phone, login):
    page = new_phone(locale="zh-CN")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("登录")

    page.get_by_role("button", name="English").tap()
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert path_of(page.url) == "/login"

    login(page, "inspector1")
    nav = page.locator(".bottomnav")
    expect(nav).to_contain_text("Home")
    page.get_by_role("button", name="中文").tap()
    expect(nav).to_contain_text("首页")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert is_home(page.url)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_nothing_overflows_a_360px_screen(new_phone, login, locale):
    page = new_phone(locale=locale, width=360, height=740)
    pages = ["/", "/sites", "/sites?q=Jinghua", "/account"]
    page.goto("/login")
    too_wide = {}

    def check(label: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[label] = width

    check("/login")
    login(page, "inspector1")
    for url in pages:
        page.goto(url)
        check(url)
    page.goto("/sites?kind=enterprise")
    page.locator("#results .card a").first.tap()
    page.wait_for_url(lambda url: re.fullmatch(r"/sites/\d+", path_of(url)) is not None)
    check(path_of(page.url))
    assert too_wide == {}
