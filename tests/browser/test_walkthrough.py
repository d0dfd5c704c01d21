"""The core job on a 390x844 phone: start an inspection, answer item by item (saved as given),
photograph a gap, be stopped by a missing photo, submit, see the summary."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.app import office_today
from tests.helpers.browser import answer, item, settled

pytestmark = pytest.mark.browser


def test_walkthrough_with_photo_autosave_and_submit(phone, login, tmp_path):
    photo = tmp_path / "gap.jpg"
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(photo, "JPEG")
    # The phone allows location: it is asked at the first answer, not when the page opens.
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 12})
    login(phone, "inspector1")
    phone.locator("#main .list .card a").first.tap()
    phone.wait_for_url(re.compile(r"/sites/\d+$"))
    phone.get_by_role("button", name="Fire-safety inspection").tap()
    phone.wait_for_url(re.compile(r"/inspections/[0-9a-f-]{36}$"))
    expect(phone.locator("li.item")).to_have_count(8)

    for n in (1, 2, 4, 5, 6, 7, 8):
        answer(phone, f"F{n:02d}", "Pass")
    answer(phone, "F03", "Fail")
    deadline = item(phone, "F03").locator("input[type=date]")
    expect(deadline).to_have_value((office_today() + timedelta(days=3)).isoformat())
    with phone.expect_response(lambda r: "/answers/F03" in r.url):
        item(phone, "F03").locator("textarea").fill("Gauge needle in the red")
        item(phone, "F03").locator("textarea").blur()
    settled(phone)
    later = (office_today() + timedelta(days=10)).isoformat()
    with phone.expect_response(lambda r: "/answers/F03" in r.url):
        item(phone, "F03").locator("input[type=date]").fill(later)
    settled(phone)
    expect(phone.locator("#progress")).to_contain_text("8 of 8 answered")

    phone.reload()  # closing the tab or losing signal between items loses nothing
    expect(item(phone, "F01")).to_have_attribute("data-result", "pass")
    expect(item(phone, "F03").locator("textarea")).to_have_value("Gauge needle in the red")
    expect(item(phone, "F03").locator("input[type=date]")).to_have_value(later)

    phone.get_by_role("button", name="Submit inspection").tap()
    expect(item(phone, "F03").locator(".client-error")).to_have_text(
        "A failed item needs at least one photo."
    )
    assert urlsplit(phone.url).path.startswith("/inspections/")  # still on the walkthrough

    with phone.expect_response(lambda r: "/photos/" in r.url and r.request.method == "PUT") as up:
        item(phone, "F03").locator("input[type=file]").set_input_files(str(photo))
    assert up.value.status == 200
    expect(item(phone, "F03").locator(".thumbs img")).to_have_count(1)

    phone.get_by_role("button", name="Submit inspection").tap()
    expect(phone.locator("h2", has_text="Items to put right")).to_be_visible()
    expect(phone.locator(".tiles")).to_contain_text("88%")
    expect(phone.locator("#distance")).to_contain_text("accuracy ±12 m")
    thumb = phone.locator(".failed-items img").first
    expect(thumb).to_be_visible()
    thumb.scroll_into_view_if_needed()  # thumbnails load lazily, when they come into view
    for _ in range(50):
        if phone.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
