"""Inspections: the walkthrough pages, the idempotent API, submit rules, rectification items."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

from sqlmodel import select

from inspect_app.models import Inspection, Rectification, Site
from tests.helpers.app import csrf_token, office_today, post_form
from tests.helpers.data import all_pass, body, jpeg, put_photo, team_of, team_site
from tests.helpers.html import parse

TODAY = office_today()


# --- API ------------------------------------------------------------------------------------


def test_put_creates_replays_and_refuses_changes_after_submit(client, api_token, world):
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    key = str(uuid.uuid4())
    answers = all_pass()
    answers[2] = {
        "item_code": "F03",
        "result": "fail",
        "note": "gauge in the red",
        "deadline": (TODAY + timedelta(days=3)).isoformat(),
    }
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers))
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert put_photo(client, headers, key, "F03").status_code == 200
    submitted = client.put(
        f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers, True)
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    replay = client.put(
        f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers, True)
    )
    assert replay.status_code == 200 and replay.json() == submitted.json()
    changed = [dict(a) for a in answers]
    changed[0]["result"] = "fail"
    conflict = client.put(
        f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, changed, True)
    )
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    with world.session() as s:
        assert len(s.exec(select(Inspection).where(Inspection.uuid == key)).all()) == 1
        items = s.exec(select(Rectification)).all()
    assert [(r.item_code, r.deadline) for r in items] == [("F03", TODAY + timedelta(days=3))]


def test_submit_rules_point_at_the_items(client, api_token, world):
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    key = str(uuid.uuid4())
    answers = [*all_pass()[:6], {"item_code": "F07", "result": "fail"}]
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers, True))
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"F07", "F08"}  # F07 lacks its photo, F08 is unanswered
    stored = client.get(f"/api/v1/inspections/{key}", headers=headers).json()
    assert stored["status"] == "draft"  # the answers given so far are kept
    failed = next(a for a in stored["answers"] if a["item_code"] == "F07")
    assert (
        failed["deadline"] == (TODAY + timedelta(days=3)).isoformat()
    )  # prefilled from the period


def test_past_deadline_and_unknown_items_are_refused(client, api_token, world):
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    key = str(uuid.uuid4())
    past = [
        {"item_code": "F02", "result": "fail", "deadline": (TODAY - timedelta(days=1)).isoformat()}
    ]
    client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, all_pass()))
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, past, True))
    assert r.status_code == 422 and "F02" in r.json()["error"]["fields"]
    r = client.put(
        f"/api/v1/inspections/{key}",
        headers=headers,
        json=body(site.id, [{"item_code": "Z99", "result": "pass"}]),
    )
    assert r.status_code == 404
    r = client.put(
        f"/api/v1/inspections/{key}",
        headers=headers,
        json=body(site.id, [{"item_code": "F01", "result": "maybe"}]),
    )
    assert r.status_code == 400
    assert (
        client.put(
            "/api/v1/inspections/not-a-uuid", headers=headers, json=body(site.id)
        ).status_code
        == 422
    )


def test_same_uuid_for_another_site_is_a_conflict(client, api_token, world):
    headers = api_token("inspector1")
    team_id = team_of(world, "inspector1")
    first, second = world.sites(Site.team_id == team_id)[:2]
    key = str(uuid.uuid4())
    assert (
        client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(first.id)).status_code
        == 200
    )
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(second.id))
    assert r.status_code == 409


def test_who_may_inspect_and_see_inspections(client, api_token, world):
    site = team_site(world, "inspector1")
    key = str(uuid.uuid4())
    # only inspectors of the site's team start inspections
    assert (
        client.put(
            f"/api/v1/inspections/{key}", headers=api_token("inspector2"), json=body(site.id)
        ).status_code
        == 404
    )
    assert (
        client.put(
            f"/api/v1/inspections/{key}", headers=api_token("supervisor"), json=body(site.id)
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/v1/inspections/{key}", headers=api_token("inspector1"), json=body(site.id)
        ).status_code
        == 200
    )
    # a draft is the inspector's own; the office sees it; other teams and subdistricts do not
    assert (
        client.get(f"/api/v1/inspections/{key}", headers=api_token("supervisor")).status_code == 200
    )
    for outsider in ("inspector2", "supervisor2", "inspector12", "owner1"):
        assert (
            client.get(f"/api/v1/inspections/{key}", headers=api_token(outsider)).status_code == 404
        )
    history = client.get(
        f"/api/v1/sites/{site.id}/inspections", headers=api_token("inspector1")
    ).json()
    assert [i["uuid"] for i in history] == [key]


def test_owner_sees_submitted_inspections_of_their_site_only(client, api_token, world):
    owned = world.owned_by("owner1")[0]
    with world.session() as s:
        from inspect_app.models import TeamMember

        inspector_id = s.exec(
            select(TeamMember.user_id).where(TeamMember.team_id == owned.team_id)
        ).first()
        from inspect_app.models import User

        inspector = s.get(User, inspector_id).username
    headers = api_token(inspector)
    key = str(uuid.uuid4())
    r = client.put(
        f"/api/v1/inspections/{key}",
        headers=headers,
        json=body(owned.id, all_pass("E", 12), True, code="enterprise-12"),
    )
    assert r.status_code == 200, r.text
    owner_view = client.get(f"/api/v1/inspections/{key}", headers=api_token("owner1"))
    assert owner_view.status_code == 200 and owner_view.json()["score"] == 100
    assert client.get(f"/api/v1/inspections/{key}", headers=api_token("owner2")).status_code == 404


# --- pages ----------------------------------------------------------------------------------


def test_walkthrough_pages_autosave_each_answer(login_as, world):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    detail = inspector.get(f"/sites/{site.id}")
    assert 'action="/inspections/new"' in detail.text
    r = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    )
    assert r.status_code == 303
    url = r.headers["location"]
    page = inspector.get(url)
    doc = parse(page.text)
    assert page.status_code == 200 and len(doc.select("li.item.card")) == 8
    key = url.rsplit("/", 1)[1]
    # htmx sends the token the page gives it
    htmx = {"HX-Request": "true", **json.loads(doc.select_one("body").get("hx-headers"))}
    assert htmx["X-CSRFToken"]
    saved = inspector.post(f"/inspections/{key}/answers/F01", data={"result": "fail"}, headers=htmx)
    assert saved.status_code == 200
    assert 'id="item-F01"' in saved.text and "<html" not in saved.text
    assert (
        'type="date"' in saved.text and 'id="progress"' in saved.text
    )  # deadline field and progress
    again = inspector.get(url)  # "reopening continues where it stopped"
    assert 'data-result="fail"' in again.text
    note = inspector.post(
        f"/inspections/{key}/answers/F01",
        data={"current_result": "fail", "note": "bikes in the stairwell"},
        headers=htmx,
    )
    assert "bikes in the stairwell" in note.text


def test_submit_page_points_at_missing_items_then_shows_the_summary(login_as, world, client):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    url = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    ).headers["location"]
    key = url.rsplit("/", 1)[1]
    for n in range(1, 9):
        post_form(
            inspector,
            f"/inspections/{key}/answers/F{n:02d}",
            {"result": "fail" if n == 5 else "pass"},
        )
    refused = post_form(inspector, f"/inspections/{key}/submit")
    assert refused.status_code == 422
    assert 'href="#item-F05"' in refused.text
    photo = inspector.put(
        f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
        files={"file": ("p.jpg", io.BytesIO(jpeg()), "image/jpeg")},
        data={"item_code": "F05"},
        headers={"X-CSRFToken": csrf_token(inspector)},
    )
    assert photo.status_code == 200, photo.text
    done = post_form(inspector, f"/inspections/{key}/submit")
    assert done.status_code == 303
    summary = inspector.get(url)
    assert "88%" in summary.text  # 7 of 8 passed
    assert f"/api/v1/photos/{photo.json()['uuid']}/thumb" in summary.text
    late = post_form(inspector, f"/inspections/{key}/answers/F01", {"result": "fail"})
    assert late.status_code == 409


def test_location_is_recorded_and_distance_shown(login_as, world):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    url = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    ).headers["location"]
    key = url.rsplit("/", 1)[1]
    r = post_form(
        inspector,
        f"/inspections/{key}/location",
        {
            "latitude": str(site.latitude + 0.001),
            "longitude": str(site.longitude),
            "accuracy": "12",
        },
    )
    assert r.status_code == 204
    with world.session() as s:
        stored = s.exec(select(Inspection).where(Inspection.uuid == key)).one()
    assert stored.accuracy_m == 12
    for n in range(1, 9):
        post_form(inspector, f"/inspections/{key}/answers/F{n:02d}", {"result": "pass"})
    assert post_form(inspector, f"/inspections/{key}/submit").status_code == 303
    summary = inspector.get(url).text
    distance = parse(summary).select_one("p#distance").text
    assert "111" in distance and "12" in distance  # 0.001° of latitude, accuracy ±12 m
    assert (
        post_form(inspector, f"/inspections/{key}/location", {"latitude": "x"}).status_code == 422
    )
