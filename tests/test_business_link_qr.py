"""The QR code on the notice's PDF decodes to the business's link, and the link opens the
business's page in a fresh client (no account). Needs `pdftoppm` (poppler-utils): skipped
locally without it, a failure in CI."""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import zxingcpp
from litestar.testing import TestClient
from PIL import Image
from sqlmodel import select

from inspect_app.models import Inspection, Notice, Rectification
from tests.helpers.app import IN_CI
from tests.helpers.data import findings, inspector_of
from tests.helpers.links import link_path


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        message = "pdftoppm is missing: apt-get install poppler-utils (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def decode_page_one(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "notice.pdf").write_bytes(pdf)
    subprocess.run(
        [pdftoppm(), "-r", "150", "-f", "1", "-l", "1", "-png", "notice.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [png] = sorted(tmp_path.glob("page*.png"))
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


def test_the_qr_code_on_the_pdf_opens_the_business_page(
    client, api_token, app, login_as, world, tmp_path
):
    site = world.owned_by("owner1")[0]
    item = findings(client, api_token, world, site)[0]
    with world.session() as s:
        uuid = s.exec(
            select(Inspection.uuid)
            .join(Rectification, Rectification.inspection_id == Inspection.id)
            .where(Rectification.id == item)
        ).one()
        number = s.exec(select(Notice.number).where(Notice.site_id == site.id)).first()
    staff = login_as(inspector_of(world, site))
    response = staff.get(f"/inspections/{uuid}/notice.pdf")
    assert response.status_code == 200
    [url] = decode_page_one(response.content, tmp_path)
    assert urlsplit(url).path == link_path(world, site.id)
    with TestClient(app) as fresh:  # a phone that scanned it: no account, no cookies
        page = fresh.get(urlsplit(url).path)
    assert page.status_code == 200
    assert number in page.text and (site.name_zh in page.text or site.name_en in page.text)
    # the print page shows the same link; none once it is revoked
    print_page = staff.get(f"/inspections/{uuid}/notice").text
    assert url in print_page
    r = staff.delete(
        f"/api/v1/sites/{site.id}/business-link",
        headers={"X-CSRFToken": staff.cookies.get("csrftoken")},
    )
    assert r.status_code == 200, r.text
    assert url not in staff.get(f"/inspections/{uuid}/notice").text
    again = tmp_path / "revoked"
    again.mkdir()
    assert decode_page_one(staff.get(f"/inspections/{uuid}/notice.pdf").content, again) == []
