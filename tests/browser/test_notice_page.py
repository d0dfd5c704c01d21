"""The notice as the business gets it, on a 390 px phone in both languages: its number, the
hash, the photos, and a PDF link that downloads a PDF."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.helpers.browser import api_token, make_finding

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_notice_page_fits_a_phone_and_links_its_pdf(new_phone, login, tmp_path, locale):
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    owner = new_phone(locale=locale)
    site_id, _inspector = make_finding(owner.request, gap)
    office = api_token(owner.request, "supervisor")
    notice = owner.request.get(f"/api/v1/notices?site_id={site_id}&limit=1", headers=office)
    newest = notice.json()["items"][0]

    login(owner, "owner1")
    owner.goto(f"/inspections/{newest['inspection_uuid']}/notice")
    sheet = owner.locator("article.notice-sheet")
    expect(sheet.locator(".number")).to_contain_text(newest["number"])
    expect(sheet.locator(".content-hash")).to_contain_text(newest["content_hash"])
    expect(sheet.locator("img").first).to_be_visible()
    assert owner.evaluate("document.documentElement.scrollWidth") <= 390
    heading = "整改通知书" if locale == "zh-CN" else "Rectification notice"
    expect(owner.get_by_role("heading", level=1)).to_have_text(heading)
    link = owner.locator("a[href$='/notice.pdf']")
    pdf = owner.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert newest["number"] in reader.pages[0].extract_text()
