"""The business's link on a 390x844 phone: a fresh browser (no account) opens it, switches
language, reports a fix with a photo and applies for a re-check; then the inspector signs in
and sees both (the item reported fixed, the site on the follow-up list with its due date)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from inspect_app.timezone import add_working_days, today_in
from tests.helpers.browser import api_token, make_finding

pytestmark = pytest.mark.browser


def test_a_business_without_an_account_reports_a_fix_and_applies_for_a_re_check(
    new_phone, login, tmp_path
):
    gap, fix = tmp_path / "gap.jpg", tmp_path / "fix.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    Image.new("RGB", (800, 600), (40, 160, 60)).save(fix, "JPEG")
    business = new_phone()
    site_id, inspector_name = make_finding(business.request, gap)
    staff = api_token(business.request, inspector_name)
    # a follow-up visit settles any re-check application an earlier test left open there
    visit = business.request.put(
        f"/api/v1/visits/{uuid.uuid4()}", headers=staff, data={"site_id": site_id}
    )
    assert visit.ok, visit.text()
    url = business.request.get(f"/api/v1/sites/{site_id}/business-link", headers=staff).json()[
        "url"
    ]
    business.context.clear_cookies()  # the API calls above leave nothing behind: no account

    business.goto(urlsplit(url).path)
    expect(business.locator("h1")).to_be_visible()
    expect(business.get_by_text("Your rectification page")).to_be_visible()
    business.get_by_role("button", name="中文").tap()  # the language switch, without an account
    expect(business.get_by_text("本单位整改页面")).to_be_visible()
    business.get_by_role("button", name="English").tap()
    expect(business.get_by_text("Your rectification page")).to_be_visible()
    assert business.evaluate("document.documentElement.scrollWidth") <= 390

    card = business.locator("#link-items > li").first
    expect(card.locator("img").first).to_be_visible()  # the finding's photo
    button = card.get_by_role("button", name="Report fixed")
    expect(button).to_be_disabled()
    card.locator("textarea").fill("New extinguisher installed")  # the note first
    with business.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT"):
        card.locator("input[type=file]").set_input_files(str(fix))
    expect(card.locator(".thumbs img")).to_have_count(2)  # the finding's and the fix's
    expect(button).to_be_enabled()
    expect(card.locator("textarea")).to_have_value("New extinguisher installed")
    button.tap()
    business.wait_for_url(re.compile(r"/n/[A-Za-z0-9_-]+"))
    expect(business.locator("#done")).to_have_text("Thank you. The office will check the fix.")
    expect(business.locator("#link-items")).to_contain_text(
        "Reported fixed: waiting for the inspector's check"
    )

    recheck = business.locator("#recheck")
    recheck.get_by_label("Contact name (optional)").fill("Manager Wang")
    recheck.get_by_role("button", name="Apply for a re-check").tap()
    due = add_working_days(today_in("Asia/Shanghai"), 3)
    expect(business.locator("#recheck")).to_contain_text(due.isoformat())

    inspector = new_phone()
    login(inspector, inspector_name)
    card = inspector.locator("#today li").filter(
        has=inspector.locator(f'a[href^="/sites/{site_id}"]')
    )
    expect(card).to_contain_text("1 reported fixed")
    expect(card).to_contain_text(f"re-check applied for, due {due.isoformat()}")
