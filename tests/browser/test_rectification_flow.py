"""A fix reported by the owner and verified by the inspector, both on 390x844 phones."""

from __future__ import annotations

import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def api_token(request, username: str) -> dict[str, str]:
    r = request.post("/api/v1/auth/token", data={"username": username, "password": "demo1234"})
    assert r.status == 201, r.text()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def make_finding(request, photo_path) -> tuple[int, str]:
    """Through the API: an inspection of owner1's business failing F03, with a photo."""
    owner = api_token(request, "owner1")
    site_id = request.get("/api/v1/me", headers=owner).json()["site_ids"][0]
    team_id = request.get(f"/api/v1/sites/{site_id}", headers=owner).json()["team_id"]
    # The site starts with nothing open: what other tests left there is withdrawn, so that
    # closing this finding closes the site out.
    office = api_token(request, "supervisor")
    active = request.get(
        f"/api/v1/rectifications?status=active&site_id={site_id}&limit=200", headers=office
    ).json()["items"]
    for item in active:
        r = request.post(
            f"/api/v1/rectifications/{item['id']}/cancel",
            headers=office,
            data={"reason": "Withdrawn before this test"},
        )
        assert r.ok, r.text()
    inspector = f"inspector{team_id}"  # demo data: inspectorN is the one member of Team N
    headers = api_token(request, inspector)
    key = str(uuid.uuid4())
    answers = [
        {"item_code": f"F{n:02d}", "result": "fail" if n == 3 else "pass"} for n in range(1, 9)
    ]
    body = {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": answers,
    }
    assert request.put(f"/api/v1/inspections/{key}", headers=headers, data=body).ok
    with open(photo_path, "rb") as fh:
        photo = request.put(
            f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
            headers=headers,
            multipart={
                "item_code": "F03",
                "file": {"name": "gap.jpg", "mimeType": "image/jpeg", "buffer": fh.read()},
            },
        )
    assert photo.ok, photo.text()
    assert request.put(
        f"/api/v1/inspections/{key}", headers=headers, data={**body, "submit": True}
    ).ok
    return site_id, inspector


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
