"""A follow-up visit without signal on a 390x844 phone: the inspector's active items and their
earlier thumbnails are on the phone, the verdict (fixed, with an after photo) survives a reload
in the outbox and, with signal, closes the item on the server exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.app import office_today
from tests.helpers.browser import (
    CONTROLLED,
    INSTALL_S,
    api_token,
    fail_items,
    fail_one_item,
    forgive_offline_errors,
    outbox_counts,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_offline_follow_up_visit_closes_the_item_after_sync(new_phone, login, tmp_path):
    gap, after = tmp_path / "gap.jpg", tmp_path / "after.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    Image.new("RGB", (1600, 1200), (40, 60, 200)).save(after, "JPEG")
    page = new_phone(service_workers="allow")
    site, item_id = fail_one_item(page.request, gap)

    login(page, "inspector1")
    page.goto("/offline")  # with signal: the items and their thumbnails are copied
    wait_until(page, CONTROLLED, timeout_s=INSTALL_S)
    page.fill("#offline-q", site["name_en"] or site["name_zh"])
    card = page.locator("#offline-sites li.card").filter(has=page.locator("button.visit")).first
    expect(card.locator("button.visit")).to_be_visible()  # the items are on the phone
    thumbs = page.evaluate(
        "(id) => InspectOutbox.getMeta('data')"
        ".then(d => d.items.filter(i => i.id === id)[0].thumbs.length)",
        item_id,
    )
    assert thumbs == 1

    page.context.set_offline(True)
    page.reload()  # served by the service worker, filled from IndexedDB
    page.fill("#offline-q", site["name_en"] or site["name_zh"])
    card.locator("button.visit").tap()
    item = page.locator(f"#visit-item-{item_id}")
    expect(item).to_be_visible()
    earlier = item.locator(".earlier img")
    expect(earlier).to_have_count(1)
    loaded = "(img) => img.complete && img.naturalWidth > 0"  # the thumbnail Blob, offline
    wait_until(page, loaded, earlier.element_handle())

    item.get_by_role("button", name="✓ Fixed").tap()
    item.get_by_role("button", name="Save verdict").tap()
    expect(item.locator(".verdict-error")).to_be_visible()  # an after photo is required
    item.locator("input.after-input").set_input_files(str(after))
    expect(item.locator(".after img")).to_have_count(1)
    item.locator("textarea").fill("Extinguisher back in place")
    item.get_by_role("button", name="Save verdict").tap()
    expect(item.locator(".verdict-state")).to_have_text("Fixed: waiting to send")

    page.reload()  # still offline: the verdict and its photo wait in IndexedDB
    expect(page.locator("#outbox")).to_have_attribute("data-photos", "1")
    assert outbox_counts(page) == ("1", "1")

    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    assert outbox_counts(page) == ("0", "0")
    assert page.evaluate("InspectOutbox.all('records').then(r => r.length)") == 0
    assert page.evaluate("InspectOutbox.all('photos').then(p => p.length)") == 0
    forgive_offline_errors(page)

    stored = page.request.get(f"/api/v1/rectifications/{item_id}").json()
    assert stored["status"] == "closed"
    closed = [e for e in stored["events"] if e["kind"] == "verified_closed"]
    assert len(closed) == 1 and len(closed[0]["photos"]) == 1
    assert closed[0]["note"] == "Extinguisher back in place"
    assert closed[0]["visit_id"] is not None  # recorded on the visit the phone started


def test_offline_not_fixed_and_a_refused_verdict(new_phone, login, tmp_path, browser, live_server):
    """Not fixed with a new deadline reopens the item; a verdict on an item the supervisor
    cancelled meanwhile is refused, shown with the reason, and discarded with two taps."""
    gap, after = tmp_path / "gap.jpg", tmp_path / "after.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    Image.new("RGB", (800, 600), (40, 60, 200)).save(after, "JPEG")
    page = new_phone(service_workers="allow")
    site, items = fail_items(page.request, gap, ("F03", "F05"))

    login(page, "inspector1")
    page.goto("/offline")
    wait_until(page, CONTROLLED, timeout_s=INSTALL_S)
    page.fill("#offline-q", site["name_en"] or site["name_zh"])
    visit = page.locator("#offline-sites li.card button.visit").first
    expect(visit).to_be_visible()
    on_phone = (
        "(ids) => InspectOutbox.getMeta('data')"
        ".then(d => ids.every(id => d.items.some(i => i.id === id)))"
    )
    wait_until(page, on_phone, list(items.values()))  # both items are on the phone
    page.context.set_offline(True)
    page.reload()
    page.fill("#offline-q", site["name_en"] or site["name_zh"])
    visit.tap()

    later = (office_today() + timedelta(days=14)).isoformat()
    not_fixed = page.locator(f"#visit-item-{items['F03']}")
    not_fixed.get_by_role("button", name="✗ Not fixed").tap()
    not_fixed.locator("textarea").fill("Still no extinguisher")
    not_fixed.locator("input[type=date]").fill(later)
    not_fixed.get_by_role("button", name="Save verdict").tap()
    expect(not_fixed.locator(".verdict-state")).to_have_text("Not fixed: waiting to send")
    fixed = page.locator(f"#visit-item-{items['F05']}")
    fixed.get_by_role("button", name="✓ Fixed").tap()
    fixed.locator("input.after-input").set_input_files(str(after))
    expect(fixed.locator(".after img")).to_have_count(1)
    fixed.get_by_role("button", name="Save verdict").tap()
    expect(fixed.locator(".verdict-state")).to_have_text("Fixed: waiting to send")

    # Meanwhile, at the office, the supervisor cancels the F05 item.
    office = browser.new_context(base_url=live_server)  # the supervisor's own client
    cancel = office.request.post(
        f"/api/v1/rectifications/{items['F05']}/cancel",
        headers=api_token(office.request, "supervisor"),
        data={"reason": "Duplicate of an earlier finding"},
    )
    assert cancel.ok, cancel.text()
    office.close()

    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    refused = page.locator(".outbox-refused li")
    expect(refused).to_have_count(1, timeout=30_000)  # the after photo, refused with the item
    expect(refused).to_contain_text("The server refused this:")
    # The round goes on: the F03 verdict is sent; the F05 one waits for its photo.
    expect(page.locator("#outbox")).to_have_attribute("data-records", "1", timeout=30_000)
    discard = refused.get_by_role("button", name="Discard")
    discard.tap()
    expect(refused).to_have_count(1)  # the first tap only asks again
    refused.get_by_role("button", name="Tap again to discard it for good").tap()
    expect(refused).to_have_count(0)  # the verdict went with its photo, its evidence
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0")
    page.locator(".outbox-sync").tap()  # the visit, with no verdict left waiting, is done
    expect(page.locator(".outbox-count")).to_have_text("Everything is sent.")
    wait_until(page, "() => InspectOutbox.all('records').then(r => r.length === 0)")
    forgive_offline_errors(page)

    reopened = page.request.get(f"/api/v1/rectifications/{items['F03']}").json()
    assert reopened["status"] == "open" and reopened["deadline"] == later
    verdict = reopened["events"][-1]
    assert verdict["kind"] == "verified_not_fixed" and verdict["note"] == "Still no extinguisher"
    cancelled = page.request.get(f"/api/v1/rectifications/{items['F05']}").json()
    assert cancelled["status"] == "cancelled"
    assert [e["kind"] for e in cancelled["events"]] == ["created", "cancelled"]
