"""One phone, two inspectors (390x844, service worker allowed). inspector1 gets ready for offline
work, makes a record that cannot be sent yet and signs out: the phone asks first, says how many
records stay, and afterwards holds nothing of inspector1's but that record (no sites, contacts,
thumbnails, cached pages or HTTP cache entries; the public /offline page is neutral).
inspector2 then signs in and works offline under their own name, without seeing inspector1's
record or sending it; when inspector1 signs in again the record is sent, once. A draft the
server already has goes at sign-out (not counted); a record from an older version that names
no maker is nobody's: counted as held, never shown or sent."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import (
    KEPT,
    PHONE,
    STORE,
    fail_one_item,
    forgive_blocked_sync,
    forgive_offline_errors,
    inspect_offline,
    me,
    outbox_counts,
    ready_offline,
    server_inspection,
    wait_until,
)

pytestmark = pytest.mark.browser

# Every cached response of the service worker: its path and its text.
CACHED = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const type = response.headers.get("content-type") || "";
      const text = /text|javascript|json/.test(type) ? await response.text() : "";
      found.push([new URL(request.url).pathname, text]);
    }
  }
  return found;
}"""
# Two more records beside `uuid` (the user's), copied from it: a draft the server already has
# (clean, not submitted) and an older version's record naming no maker (all passed, to submit).
EXTRA = """async ([uuid, sent, legacy]) => {
  const rec = await InspectOutbox.get("records", uuid);
  await InspectOutbox.put("records", {...rec, uuid: sent, submit: false, dirty: false});
  const answers = rec.body.answers.map(a => ({...a, result: "pass", deadline: null}));
  const {user, username, ...old} = rec;
  await InspectOutbox.put("records", {...old, uuid: legacy, body: {...rec.body, answers}});
}"""
# Whether the browser's HTTP cache answers for a URL without asking the server.
IN_HTTP_CACHE = """(url) => fetch(url, {cache: "only-if-cached", mode: "same-origin"})
  .then(r => r.ok, () => false)"""


def sign_out(page, answer: str | None) -> list[str]:
    """Tap "Sign out" on the account page; `answer` the question ("accept"/"dismiss") if asked."""
    asked: list[str] = []

    def on_dialog(dialog):
        asked.append(dialog.message)
        getattr(dialog, answer or "dismiss")()

    page.on("dialog", on_dialog)
    page.goto("/account")
    page.locator("form[action='/logout'] button").tap()
    for _ in range(50 if answer else 0):  # the question comes once the outbox is counted
        if asked:
            break
        page.wait_for_timeout(100)
    if answer != "dismiss":
        page.wait_for_url(re.compile(r"/login$"))
    page.remove_listener("dialog", on_dialog)
    return asked


def test_the_shared_phone(new_phone, login, photos, tmp_path):
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    page = new_phone(service_workers="allow")
    fail_one_item(page.request, gap)  # a finding with a photo: a thumbnail to keep

    # inspector1 (A) gets ready: sites with contacts, checklists, items with thumbnails.
    ready_offline(page, login, "inspector1")
    a = me(page)
    kept = page.evaluate(KEPT)
    assert kept["me"] == a["id"] and kept["thumbs"] >= 1 and kept["strings"]

    # A makes a record offline; with signal again the server cannot take it yet.
    page.goto("/offline")
    page.context.set_offline(True)
    page.reload()
    uuid_a = inspect_offline(page, photos[:1])
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-done")).to_be_visible()
    sent, legacy = str(uuid4()), str(uuid4())
    page.evaluate(EXTRA, [uuid_a, sent, legacy])
    page.route("**/api/v1/inspections/**", lambda route: route.abort())
    page.context.set_offline(False)

    # Sign-out asks first and says how many records stay (the one unsent, in the singular),
    # and for whom; "Cancel" keeps all.
    question = (
        "1 record not yet sent stays on this phone for inspector1 and will be sent when they "
        "sign in again. Sign out?"
    )
    assert sign_out(page, "dismiss") == [question]
    assert urlsplit(page.url).path == "/account" and page.evaluate(KEPT)["me"] == a["id"]
    assert len(page.evaluate(STORE, "records")) == 3  # all kept
    assert sign_out(page, "accept") == [question]

    # Nothing of A's is left but the unsent record (the sent draft went): no data, no
    # thumbnails, no mark, no cached pages. The record of nobody stays, nobody's.
    assert page.evaluate(STORE, "meta") == [{"key": "me", "value": None}]
    assert page.evaluate("localStorage.getItem('inspect-offline')") is None
    records = page.evaluate(STORE, "records")
    assert {(r["uuid"], r.get("user")) for r in records} == {(uuid_a, a["id"]), (legacy, None)}
    secrets = [a["username"], a["display_name"], *kept["strings"]]
    cached = page.evaluate(CACHED)
    assert {p for p, _ in cached if not p.startswith("/static/")} <= {"/offline"}
    assert cached, "the app shell stays for offline work"
    for path, text in cached:
        assert not [s for s in secrets if s in text], path
    page.go_back()  # the page A signed out from is not shown again
    assert a["display_name"] not in page.content()

    # The public offline page, with signal and without: a neutral message and a bare count.
    for offline in (False, True):
        page.context.set_offline(offline)
        page.goto("/offline")
        expect(page.locator("#offline-data")).to_contain_text("No data on this phone yet")
        held = page.locator(".outbox-held")
        expect(held).to_have_text(
            "2 records wait on this phone until the account that made them signs in here."
        )
        body = page.locator("body").inner_text()
        assert not [s for s in secrets if s in body]
        assert page.locator("#offline-drafts li").count() == 0
    page.context.set_offline(False)

    # inspector2 (B) signs in: their data only; A's record is neither shown nor sent.
    ready_offline(page, login, "inspector2")
    b = me(page)
    kept_b = page.evaluate(KEPT)
    assert kept_b["me"] == b["id"] and not set(kept["sites"]) & set(kept_b["sites"])
    for other in (uuid_a, legacy):  # neither A's record nor nobody's
        page.goto(f"/offline#{other}")
        expect(page.locator("#offline-home")).to_be_visible()
        expect(page.locator("#offline-drafts li")).to_have_count(0)
    expect(page.locator(".outbox-held")).to_have_text(
        "2 records made by inspector1 wait on this phone until that account signs in here."
    )
    page.context.set_offline(True)
    page.reload()
    uuid_b = inspect_offline(page, photos[:1])
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-done")).to_be_visible()
    assert page.evaluate(f"InspectOutbox.get('records', '{uuid_b}')")["user"] == b["id"]
    page.unroute("**/api/v1/inspections/**")
    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    assert server_inspection(page, uuid_b)["inspector_id"] == b["id"]
    for other in (uuid_a, legacy):  # not sent as B
        assert page.request.get(f"/api/v1/inspections/{other}").status == 404
    assert page.evaluate(f"InspectOutbox.get('records', '{uuid_a}')")["dirty"]

    # B signs out (nothing of B's waits: no question); A signs in and the record goes, once.
    assert sign_out(page, None) == []
    login(page, "inspector1")
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    assert outbox_counts(page) == ("0", "0")
    assert page.evaluate("InspectOutbox.all('records').then(r => r.map(x => x.uuid))") == [legacy]
    assert page.request.get(f"/api/v1/inspections/{legacy}").status == 404  # nor as A
    stored = server_inspection(page, uuid_a)
    assert stored["status"] == "submitted" and stored["inspector_id"] == a["id"]
    history = page.request.get(f"/api/v1/sites/{stored['site_id']}/inspections").json()
    assert [i["uuid"] for i in history].count(uuid_a) == 1
    forgive_offline_errors(page)
    forgive_blocked_sync(page)


def test_a_session_that_just_ends_leaves_nothing_for_the_next_person(new_phone, login):
    """No sign-out (the session expired, the cookies went): the first page the next person
    sees drops the data before it is shown, and the offline page never shows it."""
    page = new_phone(service_workers="allow")
    ready_offline(page, login, "inspector1")
    a = page.evaluate(KEPT)
    page.context.clear_cookies()
    page.goto("/login")
    wait_until(page, "() => window.InspectOutbox && InspectOutbox.getMeta('data').then(d => !d)")
    page.context.set_offline(True)
    page.goto("/offline")
    expect(page.locator("#offline-data")).to_contain_text("No data on this phone yet")
    assert not [s for s in a["strings"] if s in page.locator("body").inner_text()]
    page.context.set_offline(False)
    login(page, "inspector2")
    page.goto("/offline")
    expect(page.locator("#offline-sites li.card").first).to_be_visible()
    assert page.evaluate(KEPT)["me"] == me(page)["id"]
    forgive_offline_errors(page)


def test_sign_out_empties_the_http_cache(browser, live_server, login, tmp_path):
    """Photos may sit in the HTTP cache while signed in (revalidated each time) and the sign-out
    answer empties it; pages are never stored at all (no-store). (Playwright's routing turns
    the HTTP cache off, so this phone is a plain context.)"""
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (40, 200, 40)).save(gap, "JPEG")
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        _site, item_id = fail_one_item(page.request, gap)
        login(page, "inspector1")
        page.goto(f"/rectifications/{item_id}")
        img = page.locator("#compare img").first  # the finding photo, "Before"
        img.scroll_into_view_if_needed()
        wait_until(page, "(img) => img.complete && img.naturalWidth > 0", img.element_handle())
        photo = img.get_attribute("src")
        assert page.evaluate(IN_HTTP_CACHE, photo)  # so its absence later means something
        assert not page.evaluate(IN_HTTP_CACHE, f"/rectifications/{item_id}")  # never stored
        assert sign_out(page, None) == []
        assert not page.evaluate(IN_HTTP_CACHE, photo)
    finally:
        context.close()
