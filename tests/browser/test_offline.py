"""Offline first on a 390x844 phone with the service worker allowed: the app installs, an
inspection with three photos made without signal survives a reload and reaches the server
exactly once, even when a response is lost; an ended session pauses the outbox, login resumes."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import (
    forgive_offline_errors,
    inspect_offline,
    outbox_counts,
    ready_offline,
    server_inspection,
)

pytestmark = pytest.mark.browser


def test_the_app_is_installable(new_phone, login):
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.evaluate("(u) => fetch(u).then(r => r.json())", href)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"] == "#0b5cad"
    purposes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        size = page.evaluate(
            "(u) => fetch(u).then(r => r.blob()).then(createImageBitmap).then(b => b.width)",
            icon["src"],
        )
        assert f"{size}x{size}" == icon["sizes"]
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state == "activated"
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")


def test_offline_inspection_survives_reload_and_syncs_once(new_phone, login, photos):
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    context = page.context
    context.set_offline(True)
    page.reload()  # served by the service worker
    expect(page.locator("#offline-sites li.card").first).to_be_visible()
    uuid = inspect_offline(page, photos)
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-done")).to_be_visible()

    page.reload()  # still offline: the outbox is kept in IndexedDB
    expect(page.locator("#outbox")).to_have_attribute("data-photos", "3")
    assert outbox_counts(page) == ("1", "3")
    expect(page.locator("#offline-drafts")).to_contain_text("Submitted, waiting to send")

    # Signal returns, but the answer to the submit is lost on the way back: the outbox keeps
    # the record and sends it again; the server answers the replay with what it stored.
    lost = []

    def lose_submit_response(route):
        body = json.loads(route.request.post_data or "{}")
        response = route.fetch()
        if body.get("submit") and not lost:
            lost.append(response.status)
            route.abort()
        else:
            route.fulfill(response=response)

    page.route(f"**/api/v1/inspections/{uuid}", lose_submit_response)
    context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    assert lost == [200]
    assert outbox_counts(page) == ("0", "0")
    for entries in (page.log.failed_requests, page.log.console_errors):  # the lost answer
        entries[:] = [f for f in entries if uuid not in f]
    forgive_offline_errors(page)

    stored = server_inspection(page, uuid)
    assert stored["status"] == "submitted"
    f03 = next(a for a in stored["answers"] if a["item_code"] == "F03")
    assert len(f03["photos"]) == 3 and f03["note"] == "Extinguisher missing"
    history = page.request.get(f"/api/v1/sites/{stored['site_id']}/inspections").json()
    assert [i["uuid"] for i in history].count(uuid) == 1
    assert page.evaluate("InspectOutbox.all('photos').then(p => p.length)") == 0


def test_an_ended_session_pauses_the_outbox_and_login_resumes_it(new_phone, login, photos):
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    page.context.set_offline(True)
    uuid = inspect_offline(page, photos[:1])
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-done")).to_be_visible()

    page.context.clear_cookies()  # the session ended while the phone was offline
    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator(".outbox-paused")).to_be_visible()
    assert outbox_counts(page) == ("1", "1")  # nothing was dropped

    page.locator(".outbox-paused a").tap()
    page.fill("#username", "inspector1")
    page.fill("#password", "demo1234")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/offline"))
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    assert server_inspection(page, uuid)["status"] == "submitted"
    forgive_offline_errors(page)
