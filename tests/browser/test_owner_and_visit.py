"""The owner's item page and a follow-up visit on 390x844 phones (issue 11, sections 3-4): the
report button says what it needs until a photo is up, the report is confirmed after it is
sent, the verdict is shown where it was given, and the before / fix / after photos stand side
by side."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import make_finding

pytestmark = pytest.mark.browser


def photos(tmp_path):
    out = []
    for name, color in (("gap", (200, 40, 40)), ("fix", (40, 160, 60)), ("after", (40, 60, 200))):
        path = tmp_path / f"{name}.jpg"
        Image.new("RGB", (800, 600), color).save(path, "JPEG")
        out.append(path)
    return out


def side_by_side(page) -> None:
    """The three labelled photos sit in one row inside the screen."""
    cells = page.locator("#compare figure")
    expect(cells).to_have_count(3)
    expect(cells.locator("figcaption")).to_have_text(["Before", "The business's photo", "After"])
    boxes = [cells.nth(i).locator("img").first.bounding_box() for i in range(3)]
    assert all(b is not None for b in boxes), boxes
    assert len({round(b["y"]) for b in boxes}) == 1, boxes
    assert (
        boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"] and boxes[2]["x"] + boxes[2]["width"] <= 390
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_owner_reports_with_a_reason_and_a_confirmation_then_sees_the_verdict(
    new_phone, login, tmp_path
):
    gap, fix, after = photos(tmp_path)
    owner = new_phone()
    site_id, inspector_name = make_finding(owner.request, gap)
    login(owner, "owner1")
    owner.locator("#my-items a").first.tap()
    owner.wait_for_url(re.compile(r"/rectifications/\d+$"))
    expect(owner.get_by_text("fire-safety")).to_have_count(0)  # no technical codes

    report = owner.locator("#report-form")
    button = report.get_by_role("button", name="Report fixed")
    hint = report.locator("[data-needs-photo-hint]")
    expect(button).to_be_disabled()
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Add at least one photo of the fix.")
    with owner.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT"):
        report.locator("input[type=file]").set_input_files(str(fix))
    expect(report.locator(".thumbs img")).to_have_count(1)
    expect(hint).to_be_hidden()
    expect(button).to_be_enabled()
    report.locator("textarea").fill("New extinguisher installed")
    button.tap()
    owner.wait_for_url(re.compile(r"/rectifications/\d+$"))
    expect(owner.locator("#done")).to_have_text(
        "Your report was sent. The inspector will come back to check the fix."
    )
    sent = owner.locator('[data-outcome="fix_reported"]')
    expect(sent).to_be_visible()
    expect(sent).to_contain_text("You reported it fixed on")
    expect(sent).to_contain_text("Waiting for the inspector's check")
    expect(owner.locator(".late")).to_have_count(0)
    item_url = owner.url

    inspector = new_phone()
    login(inspector, inspector_name)
    inspector.goto(f"/sites/{site_id}")
    inspector.get_by_role("button", name="Start a follow-up visit").tap()
    inspector.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    visit_url = inspector.url
    inspector.get_by_role("link", name="Verify this item").first.tap()
    inspector.wait_for_url(re.compile(r"/rectifications/\d+\?visit="))
    form = inspector.locator("#verify-closed")
    expect(form.locator("[data-needs-photo-hint]")).to_be_visible()
    with inspector.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT"):
        form.locator("input[type=file]").set_input_files(str(after))
    expect(form.locator("[data-needs-photo-hint]")).to_be_hidden()
    form.locator("textarea").fill("Extinguisher in place")
    form.get_by_role("button", name="Fixed: close the item").tap()
    inspector.wait_for_url(visit_url)
    verdict = inspector.locator('#verdicts + ul [data-outcome="verified_closed"]')
    expect(verdict).to_contain_text("Closed on")
    expect(verdict).to_contain_text("Inspector")
    expect(verdict).to_contain_text("Extinguisher in place")
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 390

    inspector.goto(f"/sites/{site_id}")
    expect(inspector.locator("#visits + ul")).to_contain_text("Closed: 1")
    closed = inspector.locator(f'#closed-items + ul a[href="{urlsplit(item_url).path}"]')
    expect(closed).to_have_count(1)

    owner.goto(item_url)
    expect(owner.locator('[data-outcome="verified_closed"]')).to_contain_text("Closed on")
    side_by_side(owner)
    owner.screenshot(path=str(tmp_path / "owner-closed.png"), full_page=True)
