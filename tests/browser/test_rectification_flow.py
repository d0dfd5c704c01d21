"""A fix reported by the owner and verified by the inspector, both on 390x844 phones."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import make_finding

pytestmark = pytest.mark.browser


def test_owner_reports_fixed_and_inspector_closes(new_phone, login, tmp_path):
    gap, fix, after = (tmp_path / f"{n}.jpg" for n in ("gap", "fix", "after"))
    for path, color in ((gap, (200, 40, 40)), (fix, (40, 160, 60)), (after, (40, 60, 200))):
        Image.new("RGB", (800, 600), color).save(path, "JPEG")
    owner = new_phone()
    site_id, inspector_name = make_finding(owner.request, gap)

    login(owner, "owner1")
    mine = owner.locator("#my-items a").first
    expect(mine).to_be_visible()
    mine.tap()
    owner.wait_for_url(re.compile(r"/rectifications/\d+$"))
    item_url = owner.url
    report = owner.locator("#report-form")
    expect(report.get_by_role("button", name="Report fixed")).to_be_disabled()  # a photo first
    with owner.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT") as up:
        report.locator("input[type=file]").set_input_files(str(fix))
    assert up.value.status == 200
    expect(report.locator(".thumbs img")).to_have_count(1)
    report.locator("textarea").fill("New extinguisher installed")
    report.get_by_role("button", name="Report fixed").tap()
    owner.wait_for_url(item_url)
    expect(owner.locator(".badge.st-fix_reported")).to_be_visible()
    expect(owner.locator("#history")).to_contain_text("New extinguisher installed")

    inspector = new_phone()
    login(inspector, inspector_name)
    inspector.locator(f'#today a[href="/sites/{site_id}#open-items"]').tap()
    inspector.get_by_role("button", name="Start a follow-up visit").tap()
    inspector.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    visit_url = inspector.url
    inspector.get_by_role("link", name="Verify this item").first.tap()
    inspector.wait_for_url(re.compile(r"/rectifications/\d+\?visit="))  # loaded, scripts ready
    form = inspector.locator("#verify-closed")
    with inspector.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT"):
        form.locator("input[type=file]").set_input_files(str(after))
    expect(form.locator(".thumbs img")).to_have_count(1)
    form.get_by_role("button", name="Fixed: close the item").tap()
    inspector.wait_for_url(visit_url)
    expect(inspector.locator(".notice.ok")).to_contain_text("Closed out")
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 390

    owner.reload()
    expect(owner.locator(".badge.st-closed")).to_be_visible()
