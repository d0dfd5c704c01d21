"""Signing out without signal (390x844 touch). The phone signs out at once: it says so, shows
nothing of the user's, and keeps the sign-out until there is signal; then, before anything else
(no page of the user's, no outbox round), it ends the session on the server, so the old session
cookie stops working and the next person signs in as themselves."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from inspect_app.demo import DEMO_PASSWORD
from tests.helpers.browser import (
    KEPT,
    PHONE,
    STORE,
    forgive_blocked_sync,
    forgive_offline_errors,
    inspect_offline,
    me,
    ready_offline,
)

pytestmark = pytest.mark.browser

NOTE = "Signed out on this phone; the server will be told when there is signal."
PENDING = "localStorage.getItem('inspect-signout')"


def session_cookie(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sid")


def who_has(server: str, sid: str) -> int:
    """What the server answers the session cookie `sid` alone on /api/v1/me."""
    return httpx.get(f"{server}/api/v1/me", cookies={"sid": sid}).status_code


def wait_until_cut_off(page) -> None:
    """Chromium applies "offline" to the service worker a moment after the page: under load a
    request the worker passes on could still reach the server. Wait until one cannot."""
    reaches = "fetch('/healthz', {cache: 'no-store'}).then(() => true, () => false)"
    for _ in range(100):
        if not page.evaluate(reaches):
            break
        page.wait_for_timeout(50)
    log = getattr(page, "log", None)  # a plain context (HTTP cache tests) keeps no log
    for entries in (log.failed_requests, log.console_errors) if log else ():
        entries[:] = [e for e in entries if "/healthz" not in e]


def sign_out_offline(page) -> list[str]:
    """On the account page, cut the signal and tap "Sign out", accepting the question if asked."""
    asked: list[str] = []

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.goto("/account")
    page.context.set_offline(True)
    wait_until_cut_off(page)
    page.on("dialog", on_dialog)
    page.locator("form[action='/logout'] button").tap()
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#signed-out")).to_have_text(NOTE)
    page.remove_listener("dialog", on_dialog)
    return asked


def assert_shows_nothing_of(page, secrets: list[str]) -> None:
    expect(page.locator("#signed-out")).to_be_visible()
    shown = page.locator("body").inner_text() + page.title()
    assert not [s for s in secrets if s in shown]


def test_a_sign_out_without_signal_ends_the_session_first_thing_with_signal(
    new_phone,
    login,
    live_server,
    photos,
):
    page = new_phone(service_workers="allow")
    ready_offline(page, login, "inspector1")
    a, kept, sid = me(page), page.evaluate(KEPT), session_cookie(page)
    secrets = [a["username"], a["display_name"], *kept["strings"]]

    # A record that cannot reach the server yet (its requests are cut), to see what the outbox
    # does once the signal returns.
    page.route("**/api/v1/inspections/**", lambda route: route.abort())
    # Chromium cuts a phone with a service worker off a moment after the page says "offline":
    # under load the sign-out could still slip out; here, as on a real phone, it cannot.
    page.route("**/logout", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(True)
    page.reload()
    uuid = inspect_offline(page, photos[:1])
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-done")).to_be_visible()
    page.context.set_offline(False)

    # Without signal: signed out on the phone at once, the user's page and data gone.
    assert len(sign_out_offline(page)) == 1  # one record stays: the question says so
    assert urlsplit(page.url).path == "/account"
    assert_shows_nothing_of(page, secrets)
    assert page.evaluate(PENDING) == str(a["id"])
    assert [row["key"] for row in page.evaluate(STORE, "meta")] == ["me"]  # no data
    assert [r["uuid"] for r in page.evaluate(STORE, "records")] == [uuid]  # kept, A's
    page.goto("/sites")  # any page, still without signal: the worker's neutral page
    assert_shows_nothing_of(page, secrets)
    expect(page.locator("#offline-data")).to_contain_text("No data on this phone yet")
    assert who_has(live_server, sid) == 200  # the server has not heard yet

    # Signal again: the first page load ends the session before anything else happens.
    page.goto("about:blank")
    page.unroute("**/api/v1/inspections/**")  # the outbox could send now, if it were let
    page.unroute("**/logout")
    page.context.set_offline(False)
    page.goto("/")
    page.wait_for_url(re.compile(r"/login$"))
    assert page.evaluate(PENDING) is None
    assert who_has(live_server, sid) == 401  # the old cookie no longer works
    token = httpx.post(
        f"{live_server}/api/v1/auth/token",
        json={"username": "inspector1", "password": DEMO_PASSWORD, "name": "check"},
    ).json()["token"]
    sent = httpx.get(
        f"{live_server}/api/v1/inspections/{uuid}", headers={"Authorization": f"Bearer {token}"}
    )
    assert sent.status_code == 404  # nothing was sent under the old session meanwhile
    assert [r["uuid"] for r in page.evaluate(STORE, "records")] == [uuid]  # still A's, waiting

    # The next person signs in as themselves.
    login(page, "inspector2")
    assert me(page)["username"] == "inspector2"
    expect(page.locator("#signed-out")).to_be_hidden()
    forgive_offline_errors(page)
    forgive_blocked_sync(page)


def test_the_signal_coming_back_ends_the_session_on_an_open_page(new_phone, login, live_server):
    """Any role, no service worker: the "online" event finishes the sign-out."""
    page = new_phone()
    login(page, "supervisor")
    sid = session_cookie(page)
    user = me(page)
    assert sign_out_offline(page) == []  # nothing waits: no question
    assert_shows_nothing_of(page, [user["username"], user["display_name"]])
    assert who_has(live_server, sid) == 200
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/login$"))
    assert who_has(live_server, sid) == 401
    expect(page.locator("#signed-out")).to_be_hidden()
    forgive_offline_errors(page)


def test_back_without_signal_shows_nothing_of_the_user(browser, live_server, login):
    """Back, without signal, after signing out: the browser kept no copy of the user's page
    (pages are no-store; Playwright's routing would turn the HTTP cache off anyway, so this
    phone is a plain context), and with signal the server is told first."""
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        login(page, "supervisor")
        user = me(page)
        page.goto("/sites")
        sign_out_offline(page)
        with contextlib.suppress(PlaywrightError):  # Chromium's "no internet" page
            page.go_back()
        assert f'data-user="{user["id"]}"' not in page.content()
        assert_shows_nothing_of(page, [user["username"], user["display_name"]])
        context.set_offline(False)
        page.reload()
        page.wait_for_url(re.compile(r"/login$"))
    finally:
        context.close()
