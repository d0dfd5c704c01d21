"""A HEIC photo Chromium cannot draw never shows as a broken image: offline it is a labelled
placeholder until it is sent; on the owner's page the server's thumbnail is shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers.app import require_shared_photos
from tests.helpers.browser import forgive_offline_errors, ready_offline

pytestmark = pytest.mark.browser


def test_an_offline_heic_photo_shows_a_placeholder_not_a_broken_image(new_phone, login):
    heic = require_shared_photos("heic/mobile/HMD_Nokia_8.3_5G_hdr.heif")
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    page.context.set_offline(True)
    page.locator("#offline-sites li.card").first.get_by_role(
        "button", name="Fire-safety inspection"
    ).tap()
    f03 = page.locator("#item-F03")
    f03.get_by_role("button", name=re.compile("Fail")).tap()
    f03.locator("input[type=file]").set_input_files(str(heic))
    expect(f03.locator(".thumb-pending")).to_have_text("Photo kept: preview once sent")
    expect(f03.locator(".thumbs img")).to_have_count(0)  # no broken image left behind
    page.context.set_offline(False)
    forgive_offline_errors(page)
