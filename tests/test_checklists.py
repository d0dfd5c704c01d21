"""Checklist templates: defaults, versioning, the draft editor, JSON export and import."""

from __future__ import annotations

import io
import json

from tests.helpers.app import csrf_token, post_form, says
from tests.helpers.html import parse


def draft_item_ids(html: str) -> list[str]:
    """The ids of the draft's items, in their order on the page."""
    return [e.id.removeprefix("draft-item-") for e in parse(html).select('[id^="draft-item-"]')]


def test_both_default_templates_are_published_with_their_items(client, api_token):
    headers = api_token("inspector1")
    listed = client.get("/api/v1/templates", headers=headers).json()
    assert {t["code"]: t["version"] for t in listed} == {"enterprise-12": 1, "fire-safety": 1}
    enterprise = client.get("/api/v1/templates/enterprise-12", headers=headers).json()
    assert len(enterprise["items"]) == 12
    assert enterprise["items"][0]["code"] == "E01" and enterprise["items"][0]["text_zh"]
    fire = client.get("/api/v1/templates/fire-safety", headers=headers).json()
    assert len(fire["items"]) == 8
    assert client.get("/api/v1/templates/nope", headers=headers).status_code == 404


def _edit_and_publish(admin, code="fire-safety"):
    assert post_form(admin, f"/admin/checklists/{code}/draft").status_code == 303
    page = admin.get(f"/admin/checklists/{code}")
    assert "Draft version 2" in page.text or "草稿" in page.text
    r = post_form(
        admin,
        f"/admin/checklists/{code}/items",
        {
            "code": "F09",
            "text_zh": "微型消防站器材完好",
            "text_en": "Micro fire station equipment in order",
            "severity": "high",
            "period_days": "5",
            "photo_required": "true",
        },
    )
    assert r.status_code == 303
    return post_form(admin, f"/admin/checklists/{code}/publish")


def test_publishing_a_new_version_keeps_old_inspections_on_theirs(login_as, client, api_token):
    inspector = api_token("inspector1")
    site_id = client.get("/api/v1/sites?limit=1", headers=inspector).json()["items"][0]["id"]
    old = client.put(
        "/api/v1/inspections/11111111-1111-4111-8111-111111111111",
        headers=inspector,
        json={
            "site_id": site_id,
            "template_code": "fire-safety",
            "template_version": 1,
            "started_at": "2026-11-20T09:00:00+08:00",
            "answers": [],
        },
    )
    assert old.status_code == 200

    admin = login_as("admin")
    assert _edit_and_publish(admin).status_code == 303

    current = client.get("/api/v1/templates/fire-safety", headers=inspector).json()
    assert current["version"] == 2 and current["items"][-1]["code"] == "F09"
    v1 = client.get("/api/v1/templates/fire-safety?version=1", headers=inspector).json()
    assert len(v1["items"]) == 8
    kept = client.get("/api/v1/inspections/11111111-1111-4111-8111-111111111111", headers=inspector)
    assert kept.json()["template_version"] == 1
    # a phone that cached version 1 may still create inspections with it
    late = client.put(
        "/api/v1/inspections/22222222-2222-4222-8222-222222222222",
        headers=inspector,
        json={
            "site_id": site_id,
            "template_code": "fire-safety",
            "template_version": 1,
            "started_at": "2026-11-21T09:00:00+08:00",
            "answers": [],
        },
    )
    assert late.status_code == 200 and late.json()["template_version"] == 1


def test_draft_edits_are_invisible_until_published(login_as, client, api_token):
    admin = login_as("admin")
    post_form(admin, "/admin/checklists/enterprise-12/draft")
    page = admin.get("/admin/checklists/enterprise-12").text
    first_item = draft_item_ids(page)[0]
    post_form(
        admin, f"/admin/checklists/enterprise-12/items/{first_item}/retire", {"retired": "true"}
    )
    post_form(
        admin, f"/admin/checklists/enterprise-12/items/{first_item}/move", {"direction": "down"}
    )
    headers = api_token("inspector2")
    assert len(client.get("/api/v1/templates/enterprise-12", headers=headers).json()["items"]) == 12
    post_form(admin, "/admin/checklists/enterprise-12/publish")
    items = client.get("/api/v1/templates/enterprise-12", headers=headers).json()["items"]
    assert len(items) == 11 and "E01" not in [i["code"] for i in items]


def test_item_validation_and_reorder(login_as, world):
    admin = login_as("admin")
    post_form(admin, "/admin/checklists/fire-safety/draft")
    bad = post_form(
        admin,
        "/admin/checklists/fire-safety/items",
        {
            "code": "F01",
            "text_zh": "",
            "text_en": "x",
            "period_days": "999",
        },
    )
    assert bad.status_code == 422
    assert says(bad.text, "Another item of this version has this code.")
    page = admin.get("/admin/checklists/fire-safety").text
    ids = draft_item_ids(page)
    post_form(admin, f"/admin/checklists/fire-safety/items/{ids[2]}/move", {"direction": "up"})
    page = admin.get("/admin/checklists/fire-safety").text
    new_ids = draft_item_ids(page)
    assert new_ids[1] == ids[2] and new_ids[2] == ids[1]


def test_publishing_without_items_is_refused_and_discard_drops_the_draft(login_as):
    admin = login_as("admin")
    post_form(admin, "/admin/checklists/fire-safety/draft")
    page = admin.get("/admin/checklists/fire-safety").text
    for item_id in draft_item_ids(page):
        post_form(
            admin, f"/admin/checklists/fire-safety/items/{item_id}/retire", {"retired": "true"}
        )
    refused = post_form(admin, "/admin/checklists/fire-safety/publish")
    assert refused.status_code == 422
    assert post_form(admin, "/admin/checklists/fire-safety/discard").status_code == 303
    assert 'id="draft"' not in admin.get("/admin/checklists/fire-safety").text


def test_export_then_import_round_trip(login_as, client, api_token):
    admin = login_as("admin")
    exported = admin.get("/admin/checklists/fire-safety/export.json")
    assert exported.status_code == 200
    data = exported.json()
    assert data["code"] == "fire-safety" and len(data["items"]) == 8
    data["code"] = "fire-safety-lite"
    data["title_en"] = "Fire safety (short)"
    data["items"] = data["items"][:3]
    body = json.dumps(data, ensure_ascii=False).encode()
    r = admin.post(
        "/admin/checklists/import",
        files={"file": ("lite.json", io.BytesIO(body), "application/json")},
        data={"_csrf_token": csrf_token(admin)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    post_form(admin, "/admin/checklists/fire-safety-lite/publish")
    lite = client.get("/api/v1/templates/fire-safety-lite", headers=api_token("inspector1")).json()
    assert [i["code"] for i in lite["items"]] == ["F01", "F02", "F03"]


def test_bad_import_files_are_explained_and_change_nothing(login_as, client, api_token):
    admin = login_as("admin")
    for payload in (
        b"{not json",
        json.dumps({"code": "x!", "items": []}).encode(),
        json.dumps({"code": "ok-code", "items": [{"code": "A"}]}).encode(),
    ):
        r = admin.post(
            "/admin/checklists/import",
            files={"file": ("x.json", io.BytesIO(payload), "application/json")},
            data={"_csrf_token": csrf_token(admin)},
            follow_redirects=False,
        )
        assert r.status_code == 422
        assert 'role="alert"' in r.text
    codes = [t["code"] for t in client.get("/api/v1/templates", headers=api_token("admin")).json()]
    assert codes == ["enterprise-12", "fire-safety"]


def test_only_admins_edit_checklists(login_as):
    for username in ("supervisor", "inspector1", "owner1"):
        c = login_as(username)
        assert c.get("/admin/checklists").status_code == 403
        assert post_form(c, "/admin/checklists/fire-safety/draft").status_code == 403
