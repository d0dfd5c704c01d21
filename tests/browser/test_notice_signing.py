"""Signing the notice on a 390x844 touch phone without signal: the inspector submits an
inspection with a failure offline, signs with a finger, the representative refuses and a
witness is named; nothing drawn or typed is lost by leaving or reloading; back online the
outbox sends the inspection, then each signature exactly once, and the notice shows both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import (
    STORE,
    fail_items,
    forgive_offline_errors,
    inspect_offline,
    outbox_counts,
    ready_offline,
)

pytestmark = pytest.mark.browser


def touch_stroke(page, canvas, points) -> None:
    """One stroke with a finger (touch events, as a phone sends them), points in 0..1 of the
    canvas's box."""
    expect(page.locator("#sign[data-ready]")).to_be_attached()  # its pads listen
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)
    at = [
        {"x": box["x"] + fx * box["width"], "y": box["y"] + fy * box["height"]} for fx, fy in points
    ]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
    for p in at[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [p]})
        page.wait_for_timeout(20)
    page.wait_for_timeout(150)  # the finger rests before it lifts (no fling)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def signature_records(page) -> list[dict]:
    return [r for r in page.evaluate(STORE, "records") if r["kind"] == "signature"]


def strokes_kept(page, slot: str) -> int:
    rows = [r for r in signature_records(page) if r["slot"] == slot]
    return len(rows[0]["pad"]["strokes"]) if rows and rows[0].get("pad") else 0


def wait_kept(page, slot: str, n: int) -> None:
    for _ in range(50):
        if strokes_kept(page, slot) == n:
            return
        page.wait_for_timeout(100)
    assert strokes_kept(page, slot) == n


ZIGZAG = [(0.1, 0.7), (0.2, 0.3), (0.3, 0.7), (0.4, 0.3), (0.5, 0.7)]
LOOP = [(0.6, 0.5), (0.7, 0.2), (0.8, 0.5), (0.7, 0.8), (0.6, 0.5)]


def test_sign_offline_inspector_and_a_refusal_reach_the_notice_once(new_phone, login, photos):
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    page.context.set_offline(True)
    page.reload()
    uuid = inspect_offline(page, photos[:1])
    page.get_by_role("button", name="Submit inspection").tap()
    offer = page.get_by_role("link", name="Sign the notice").first
    expect(offer).to_be_visible()
    offer.tap()
    expect(page.locator("#offline-sign")).to_be_visible()
    inspector = page.locator(".sign-step[data-slot=inspector]")
    expect(inspector.locator(".sign-signer")).not_to_be_empty()

    # Save with nothing drawn: said at the field
    inspector.get_by_role("button", name="Save my signature").tap()
    expect(inspector.locator(".sign-error")).to_have_text("Sign in the box first.")

    # draw, then leave and come back: the stroke is still there
    touch_stroke(page, inspector.locator("canvas"), ZIGZAG)
    wait_kept(page, "inspector", 1)
    page.reload()
    expect(page.locator("#offline-sign")).to_be_visible()
    inspector = page.locator(".sign-step[data-slot=inspector]")
    expect(inspector.locator(".pad-box")).to_have_class(re.compile("has-ink"))
    # a second stroke; undo it; clear all; undo brings it back
    touch_stroke(page, inspector.locator("canvas"), LOOP)
    wait_kept(page, "inspector", 2)
    inspector.get_by_role("button", name="Undo").tap()
    wait_kept(page, "inspector", 1)
    inspector.get_by_role("button", name="Clear").tap()
    wait_kept(page, "inspector", 0)
    inspector.get_by_role("button", name="Undo").tap()
    wait_kept(page, "inspector", 1)
    inspector.get_by_role("button", name="Save my signature").tap()
    expect(inspector.locator(".sign-state")).to_contain_text("Saved on this phone")

    # the business: a name typed, then a refusal with a witness (the name is kept)
    business = page.locator(".sign-step[data-slot=business]")
    business.get_by_label("Representative's name").fill("王经理")
    touch_stroke(page, business.locator("canvas"), ZIGZAG)  # began to sign, then refused
    business.get_by_role("button", name=re.compile("Refused to sign")).tap()
    expect(business.locator(".sign-witness")).to_be_visible()
    business.get_by_role("button", name="Save").tap()
    expect(business.locator(".sign-error")).to_have_text("Name the witness.")
    business.get_by_label("Witness's name").fill("李见证")
    page.reload()  # typed, not saved yet: still there
    business = page.locator(".sign-step[data-slot=business]")
    expect(business.get_by_label("Witness's name")).to_have_value("李见证")
    expect(business.get_by_label("Representative's name")).to_have_value("王经理")
    business.get_by_role("button", name="Save").tap()
    expect(business.locator(".sign-state")).to_contain_text("Saved on this phone")
    assert outbox_counts(page) == ("3", "1")  # the inspection and two signatures; its photo
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # back online: the inspection first, then the signatures, each once
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if "/signatures/" in r.url and r.method == "PUT" else None,
    )
    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    expect(inspector.locator(".sign-state")).to_have_text("Sent: it is on the notice.")
    page.locator(".outbox-sync").tap()  # another round sends nothing again
    page.wait_for_timeout(500)
    forgive_offline_errors(page)
    ids = sorted(r["uuid"] for r in signature_records(page))
    assert len(ids) == 2 and sorted(u.rsplit("/", 1)[1] for u in sent) == ids

    notices = page.request.get("/api/v1/notices").json()["items"]
    notice = next(n for n in notices if n["inspection_uuid"] == uuid)
    assert sorted(s["uuid"] for s in notice["signatures"]) == ids
    assert [s["role"] for s in notice["signatures"]] == ["inspector", "refused"]
    assert notice["hash_verifies"] and notice["current_hash"] != notice["content_hash"]

    page.goto(f"/inspections/{uuid}/notice")
    sheet = page.locator(".notice-sheet")
    expect(sheet.locator("img.sig-img")).to_have_count(1)
    expect(sheet).to_contain_text("witness: 李见证")
    expect(sheet).to_contain_text(notice["current_hash"])
    width = sheet.locator("img.sig-img").evaluate("i => i.naturalWidth")
    assert width > 0  # the SVG draws


def test_sign_online_from_the_inspection_summary(phone, login, photos):
    page = phone
    site, _items = fail_items(page.request, photos[0], ("F02",), "inspector1")  # signed out
    login(page, "inspector1")
    notices = page.request.get(f"/api/v1/notices?site_id={site['id']}").json()["items"]
    uuid = notices[0]["inspection_uuid"]
    page.goto(f"/inspections/{uuid}")
    page.get_by_role("link", name="Sign the notice").tap()
    inspector = page.locator(".sign-step[data-slot=inspector]")
    touch_stroke(page, inspector.locator("canvas"), ZIGZAG)
    inspector.get_by_role("button", name="Save my signature").tap()
    expect(inspector.locator(".sign-state")).to_have_text("Sent: it is on the notice.")
    business = page.locator(".sign-step[data-slot=business]")
    touch_stroke(page, business.locator("canvas"), LOOP)  # the pad first, then the name
    business.get_by_role("button", name="Save").tap()
    expect(business.locator(".sign-error")).to_have_text("Write the representative's name.")
    business.get_by_label("Representative's name").fill("王经理")
    business.get_by_role("button", name="Save").tap()
    expect(business.locator(".sign-state")).to_have_text("Sent: it is on the notice.")
    page.reload()  # the server has both: nothing left to sign
    expect(page.locator(".sign-step[data-done]")).to_have_count(2)
    expect(page.locator("canvas")).to_have_count(0)
    page.get_by_role("link", name="See the notice").tap()
    sheet = page.locator(".notice-sheet")
    expect(sheet.locator("img.sig-img")).to_have_count(2)
    expect(sheet).to_contain_text("王经理")
