"""The walkthrough keeps what the inspector types: notes and deadlines saved on their own
(PATCH, as typed), a refused deadline never costs the note, and starting again continues the
open draft, which only its inspector may discard."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import func, select

from inspect_app.models import Answer, Inspection, Photo
from tests.helpers.app import office_today, post_form
from tests.helpers.data import body, put_photo, team_site

EN = {"Accept-Language": "en"}


def _draft(client, headers, site, answers=({"item_code": "F01", "result": "fail"},)):
    key = str(uuid.uuid4())
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers))
    assert r.status_code == 200, r.text
    return key


def _patch(client, headers, key, code, **fields):
    return client.patch(f"/api/v1/inspections/{key}/answers/{code}", headers=headers, json=fields)


def _answer(world, key, code) -> Answer:
    with world.session() as s:
        inspection = s.exec(select(Inspection).where(Inspection.uuid == key)).one()
        return s.exec(
            select(Answer).where(Answer.inspection_id == inspection.id, Answer.item_code == code)
        ).one()


def _count(world, model, *where) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_note_and_deadline_are_saved_on_their_own(client, api_token, world):
    headers = api_token("inspector1")
    key = _draft(client, headers, team_site(world, "inspector1"))
    later = office_today() + timedelta(days=9)
    r = _patch(client, headers, key, "F01", note="Exit sign dark")
    assert r.status_code == 200
    assert r.json() == {
        "item_code": "F01",
        "result": "fail",
        "note": "Exit sign dark",
        "deadline": _answer(world, key, "F01").deadline.isoformat(),
    }
    r = _patch(client, headers, key, "F01", deadline=later.isoformat())
    assert r.status_code == 200 and r.json()["note"] == "Exit sign dark"  # a field left out stays
    saved = _answer(world, key, "F01")
    assert (saved.note, saved.deadline, saved.result.value) == ("Exit sign dark", later, "fail")


def test_a_refused_deadline_keeps_the_note_sent_with_it(client, api_token, world):
    headers = api_token("inspector1")
    key = _draft(client, headers, team_site(world, "inspector1"))
    before = _answer(world, key, "F01").deadline
    for bad in ((office_today() - timedelta(days=1)).isoformat(), "9999-12-31", "31/12/2026"):
        r = _patch(client, headers, key, "F01", note=f"note with {bad}", deadline=bad)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert list(error["fields"]) == ["deadline"]
        saved = _answer(world, key, "F01")
        assert saved.note == f"note with {bad}" and saved.deadline == before
    refused = _patch(client, headers, key, "F01", deadline="2000-01-01").json()["error"]
    assert office_today().isoformat() in refused["fields"]["deadline"]  # names the allowed range


def test_fields_need_an_answer_an_own_draft_and_bounded_input(client, api_token, world):
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    key = _draft(client, headers, site)
    unanswered = _patch(client, headers, key, "F02", note="x")
    assert unanswered.status_code == 422 and "F02" in unanswered.json()["error"]["fields"]
    assert _patch(client, headers, key, "Z99", note="x").status_code == 404
    assert _patch(client, headers, key, "F01", note="x" * 2001).status_code == 400
    assert _patch(client, headers, key, "F01", deadline="2" * 41).status_code == 400
    assert _patch(client, api_token("inspector2"), key, "F01", note="x").status_code in (403, 404)
    assert _patch(client, api_token("owner1"), key, "F01", note="x").status_code in (403, 404)
    assert _patch(client, api_token("supervisor"), key, "F01", note="x").status_code == 403
    assert _answer(world, key, "F01").note == ""  # nobody else changed it
    # A submitted inspection is final.
    answers = [{"item_code": f"F{i:02d}", "result": "pass"} for i in range(1, 9)]
    done = str(uuid.uuid4())
    r = client.put(
        f"/api/v1/inspections/{done}", headers=headers, json=body(site.id, answers, submit=True)
    )
    assert r.status_code == 200
    assert _patch(client, headers, done, "F01", note="late").status_code == 409


def test_starting_again_continues_the_open_draft_and_says_so(login_as, world):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    form = {"site_id": str(site.id), "template_code": "fire-safety"}
    first = post_form(inspector, "/inspections/new", form).headers["location"]
    assert "continued" not in first
    again = post_form(inspector, "/inspections/new", form).headers["location"]
    assert again == f"{first}?continued=1"
    page = inspector.get(again, headers=EN)
    assert page.status_code == 200 and 'id="continued"' in page.text
    assert "You are continuing the draft you started on" in page.text
    # Another checklist, or another inspector, starts its own draft.
    other = post_form(
        inspector, "/inspections/new", {**form, "template_code": "enterprise-12"}
    ).headers["location"]
    assert other.split("?")[0] != first
    colleague = login_as("inspector2")
    colleague_site = team_site(world, "inspector2")
    mine = post_form(colleague, "/inspections/new", {**form, "site_id": str(colleague_site.id)})
    assert "continued" not in mine.headers["location"]
    mine = (Inspection.site_id == site.id, Inspection.inspector_id == world.user("inspector1").id)
    assert _count(world, Inspection, *mine) == 2


def test_only_its_inspector_discards_a_draft(login_as, world, client, api_token):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    headers = api_token("inspector1")
    key = _draft(client, headers, site)
    photo = str(uuid.uuid4())
    assert put_photo(client, headers, key, "F01", photo_uuid=photo).status_code == 200
    url = f"/inspections/{key}/discard"
    assert post_form(login_as("inspector2"), url).status_code in (403, 404)
    assert post_form(login_as("supervisor"), url).status_code == 403
    r = post_form(inspector, url, headers=EN)
    assert r.status_code == 303 and r.headers["location"] == f"/sites/{site.id}"
    site_page = r.headers["location"]
    assert "The draft was discarded." in inspector.get(site_page, headers=EN).text
    assert "The draft was discarded." not in inspector.get(site_page, headers=EN).text  # once
    assert inspector.get(f"/inspections/{key}").status_code == 404
    assert _count(world, Inspection, Inspection.uuid == key) == 0
    assert _count(world, Photo, Photo.uuid == photo) == 0
    # A submitted inspection is a record: it cannot be discarded.
    answers = [{"item_code": f"F{i:02d}", "result": "pass"} for i in range(1, 9)]
    done = str(uuid.uuid4())
    client.put(
        f"/api/v1/inspections/{done}", headers=headers, json=body(site.id, answers, submit=True)
    )
    assert post_form(inspector, f"/inspections/{done}/discard").status_code == 409
    assert inspector.get(f"/inspections/{done}").status_code == 200
