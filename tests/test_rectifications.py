"""A rectification item's life: open -> fix_reported -> closed, the refusals, replays, events,
overdue by the office's calendar, and who may see and do what."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from inspect_app.models import Rectification, RectificationStatus
from inspect_app.timezone import today_in
from tests.helpers.app import office_today
from tests.helpers.data import evidence, findings, inspector_of, set_deadline

TODAY = office_today()


@pytest.fixture
def owned_site(world):
    return world.owned_by("owner1")[0]


@pytest.fixture
def item_id(client, api_token, world, owned_site):
    return findings(client, api_token, world, owned_site, failed=("F03",))[0]


def test_submit_creates_items_with_a_first_event(client, api_token, item_id):
    detail = client.get(f"/api/v1/rectifications/{item_id}", headers=api_token("supervisor")).json()
    assert detail["status"] == "open" and detail["item_code"] == "F03"
    assert detail["days_left"] == 3 and detail["overdue"] is False
    assert len(detail["finding_photos"]) == 1
    assert [e["kind"] for e in detail["events"]] == ["created"]


def test_full_life_report_fixed_then_verified_closed(client, api_token, world, owned_site, item_id):
    owner = api_token("owner1")
    fix = evidence(client, owner, item_id)
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed",
        headers=owner,
        json={"note": "extinguisher replaced", "photo_ids": [fix]},
    )
    assert r.status_code == 200 and r.json()["status"] == "fix_reported"
    inspector = api_token(inspector_of(world, owned_site))
    after = evidence(client, inspector, item_id)
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "closed", "note": "checked", "photo_ids": [after]},
    )
    assert r.status_code == 200
    done = r.json()
    assert done["status"] == "closed" and done["resolved_at"]
    kinds = [(e["kind"], e["from_status"], e["to_status"]) for e in done["events"]]
    assert kinds == [
        ("created", None, "open"),
        ("fix_reported", "open", "fix_reported"),
        ("verified_closed", "fix_reported", "closed"),
    ]
    assert [len(e["photos"]) for e in done["events"]] == [0, 1, 1]


def test_not_fixed_returns_to_open_with_a_new_deadline(
    client, api_token, world, owned_site, item_id
):
    inspector = api_token(inspector_of(world, owned_site))
    later = (TODAY + timedelta(days=9)).isoformat()
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "not_fixed", "note": "still blocked", "new_deadline": later},
    )
    assert r.status_code == 200
    assert r.json()["status"] == "open" and r.json()["deadline"] == later
    event = r.json()["events"][-1]
    assert (
        event["old_deadline"] == (TODAY + timedelta(days=3)).isoformat()
        and event["new_deadline"] == later
    )


def test_illegal_transitions_are_409_and_change_nothing(
    client, api_token, world, owned_site, item_id
):
    owner, supervisor = api_token("owner1"), api_token("supervisor")
    inspector = api_token(inspector_of(world, owned_site))
    assert (
        client.post(
            f"/api/v1/rectifications/{item_id}/cancel",
            headers=supervisor,
            json={"reason": "raised in error"},
        ).status_code
        == 200
    )
    for url, headers, body in (
        ("report-fixed", owner, {"note": "x", "photo_ids": []}),
        ("verify", inspector, {"outcome": "not_fixed"}),
        (
            "extend",
            supervisor,
            {"reason": "x", "new_deadline": (TODAY + timedelta(days=30)).isoformat()},
        ),
        ("cancel", supervisor, {"reason": "again"}),
    ):
        r = client.post(f"/api/v1/rectifications/{item_id}/{url}", headers=headers, json=body)
        assert r.status_code == 409, (url, r.text)
        assert r.json()["error"]["code"] == "conflict" and r.json()["error"]["message"]
    events = client.get(f"/api/v1/rectifications/{item_id}", headers=supervisor).json()["events"]
    assert [e["kind"] for e in events] == ["created", "cancelled"]


def test_report_fixed_rules(client, api_token, world, owned_site, item_id):
    owner = api_token("owner1")
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed", headers=owner, json={"note": "done"}
    )
    assert r.status_code == 422 and "photo_ids" in r.json()["error"]["fields"]
    someone_elses = evidence(client, api_token(inspector_of(world, owned_site)), item_id)
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed",
        headers=owner,
        json={"note": "done", "photo_ids": [someone_elses]},
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed",
        headers=api_token("supervisor"),
        json={"note": "done", "photo_ids": []},
    )
    assert r.status_code == 403
    fix = evidence(client, owner, item_id)
    assert (
        client.post(
            f"/api/v1/rectifications/{item_id}/report-fixed",
            headers=owner,
            json={"note": "done", "photo_ids": [fix]},
        ).status_code
        == 200
    )
    # while it waits for verification, the owner can neither add photos nor report again
    late = client.put(
        f"/api/v1/rectifications/{item_id}/photos/{uuid.uuid4()}",
        headers=owner,
        files={"file": ("f.jpg", b"x", "image/jpeg")},
    )
    assert late.status_code == 409
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed",
        headers=owner,
        json={"note": "again", "photo_ids": [fix]},
    )
    assert r.status_code == 409


def test_verify_closed_needs_an_after_photo_and_an_inspector(
    client, api_token, world, owned_site, item_id
):
    inspector = api_token(inspector_of(world, owned_site))
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify", headers=inspector, json={"outcome": "closed"}
    )
    assert r.status_code == 422 and "photo_ids" in r.json()["error"]["fields"]
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify", headers=inspector, json={"outcome": "maybe"}
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=api_token("supervisor"),
        json={"outcome": "not_fixed"},
    )
    assert r.status_code == 403
    other_team = api_token(
        "inspector2" if inspector_of(world, owned_site) != "inspector2" else "inspector3"
    )
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=other_team,
        json={"outcome": "not_fixed"},
    )
    assert r.status_code == 404


def test_extend_and_cancel_need_a_supervisor_and_a_reason(client, api_token, item_id):
    supervisor = api_token("supervisor")
    later = (TODAY + timedelta(days=20)).isoformat()
    r = client.post(
        f"/api/v1/rectifications/{item_id}/extend",
        headers=supervisor,
        json={"reason": " ", "new_deadline": later},
    )
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = client.post(
        f"/api/v1/rectifications/{item_id}/extend",
        headers=supervisor,
        json={"reason": "waiting for parts", "new_deadline": TODAY.isoformat()},
    )
    assert r.status_code == 422 and "new_deadline" in r.json()["error"]["fields"]
    r = client.post(
        f"/api/v1/rectifications/{item_id}/extend",
        headers=api_token("owner1"),
        json={"reason": "please", "new_deadline": later},
    )
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/rectifications/{item_id}/extend",
        headers=supervisor,
        json={"reason": "waiting for parts", "new_deadline": later},
    )
    assert r.status_code == 200 and r.json()["deadline"] == later
    assert (
        client.post(
            f"/api/v1/rectifications/{item_id}/cancel", headers=supervisor, json={"reason": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/rectifications/{item_id}/extend",
            headers=api_token("supervisor2"),
            json={"reason": "x", "new_deadline": later},
        ).status_code
        == 404
    )


def test_replays_with_the_same_request_id_are_answered_once(client, api_token, item_id):
    supervisor = api_token("supervisor")
    request_id = str(uuid.uuid4())
    body = {
        "reason": "parts",
        "new_deadline": (TODAY + timedelta(days=20)).isoformat(),
        "request_id": request_id,
    }
    first = client.post(f"/api/v1/rectifications/{item_id}/extend", headers=supervisor, json=body)
    second = client.post(f"/api/v1/rectifications/{item_id}/extend", headers=supervisor, json=body)
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert [e["kind"] for e in second.json()["events"]] == ["created", "extended"]
    reused = client.post(
        f"/api/v1/rectifications/{item_id}/cancel",
        headers=supervisor,
        json={"reason": "x", "request_id": request_id},
    )
    assert reused.status_code == 409


def test_overdue_follows_the_office_calendar_across_midnight(world, item_id):
    """A deadline of today is not overdue at 23:59 in Shanghai; yesterday's is at 00:01."""
    shanghai_2359 = datetime(2026, 11, 29, 15, 59, tzinfo=UTC)  # 23:59 in UTC+8
    shanghai_0001 = datetime(2026, 11, 29, 16, 1, tzinfo=UTC)  # 00:01 the next day
    assert today_in("Asia/Shanghai", shanghai_2359) == date(2026, 11, 29)
    assert today_in("Asia/Shanghai", shanghai_0001) == date(2026, 11, 30)
    due_today = Rectification(
        inspection_id=1,
        answer_id=1,
        site_id=1,
        item_code="F01",
        severity="high",
        deadline=date(2026, 11, 29),
    )
    assert not due_today.is_overdue(today_in("Asia/Shanghai", shanghai_2359))
    assert due_today.is_overdue(today_in("Asia/Shanghai", shanghai_0001))
    closed = due_today.model_copy(update={"status": RectificationStatus.closed})
    assert not closed.is_overdue(today_in("Asia/Shanghai", shanghai_0001))
    # in UTC the same moment is still the 29th: the office's zone decides, not the server's
    assert shanghai_0001.date() == date(2026, 11, 29)


def test_overdue_filter_in_the_api(client, api_token, world, item_id):
    supervisor = api_token("supervisor")
    assert (
        client.get("/api/v1/rectifications?overdue=true", headers=supervisor).json()["total"] == 0
    )
    set_deadline(world, item_id, TODAY - timedelta(days=1))
    page = client.get("/api/v1/rectifications?overdue=true", headers=supervisor).json()
    assert [i["id"] for i in page["items"]] == [item_id] and page["items"][0]["days_left"] == -1
    set_deadline(world, item_id, TODAY)
    assert (
        client.get("/api/v1/rectifications?overdue=true", headers=supervisor).json()["total"] == 0
    )


@pytest.mark.parametrize(
    "route",
    ["/api/v1/rectifications/{id}", "report-fixed", "verify", "extend", "cancel", "photo"],
)
def test_owner_isolation_on_every_route(client, api_token, world, item_id, route):
    """owner2 never reaches owner1's item: every route answers 404, and nothing changes."""
    other = api_token("owner2")
    if route.startswith("/api"):
        r = client.get(route.format(id=item_id), headers=other)
    elif route == "photo":
        r = client.put(
            f"/api/v1/rectifications/{item_id}/photos/{uuid.uuid4()}",
            headers=other,
            files={"file": ("x.jpg", b"x", "image/jpeg")},
        )
    else:
        r = client.post(
            f"/api/v1/rectifications/{item_id}/{route}",
            headers=other,
            json={
                "note": "x",
                "reason": "x",
                "outcome": "closed",
                "photo_ids": [],
                "new_deadline": (TODAY + timedelta(days=5)).isoformat(),
            },
        )
    assert r.status_code == 404
    listed = client.get("/api/v1/rectifications", headers=other).json()
    assert item_id not in [i["id"] for i in listed["items"]]
    mine = client.get("/api/v1/rectifications", headers=api_token("owner1")).json()
    assert [i["id"] for i in mine["items"]] == [item_id]
    detail = client.get(f"/api/v1/rectifications/{item_id}", headers=api_token("owner1")).json()
    assert detail["status"] == "open"
    for photo in detail["finding_photos"]:
        assert client.get(photo["urls"]["thumb"], headers=other).status_code == 404
        assert client.get(photo["urls"]["thumb"], headers=api_token("owner1")).status_code == 200


def test_list_filters_sort_and_paging(client, api_token, world, owned_site):
    ids = findings(client, api_token, world, owned_site, failed=("F01", "F05", "F07"))
    set_deadline(world, ids[0], TODAY - timedelta(days=10))
    set_deadline(world, ids[1], TODAY + timedelta(days=1))
    supervisor = api_token("supervisor")
    base = f"/api/v1/rectifications?site_id={owned_site.id}"
    assert [i["id"] for i in client.get(base, headers=supervisor).json()["items"]] == [
        ids[0],
        ids[1],
        ids[2],
    ]
    desc = client.get(base + "&sort=-deadline", headers=supervisor).json()["items"]
    assert [i["id"] for i in desc] == [ids[2], ids[1], ids[0]]
    paged = client.get(base + "&limit=1&offset=1", headers=supervisor).json()
    assert paged["total"] == 3 and [i["id"] for i in paged["items"]] == [ids[1]]
    assert client.get(base + "&item=F05", headers=supervisor).json()["total"] == 1
    assert (
        client.get(base + "&severity=high&template=fire-safety", headers=supervisor).json()["total"]
        == 3
    )
    bad = client.get(base + "&deadline_from=yesterday", headers=supervisor)
    assert bad.status_code == 400 and "deadline_from" in bad.json()["error"]["fields"]
    assert client.get(base + "&limit=0", headers=supervisor).status_code == 400


def test_follow_up_visit_started_by_uuid_groups_its_verdicts(
    client, api_token, world, owned_site, item_id
):
    """A phone names its visit with a UUID (replays return the same visit); each verdict that
    names the visit is recorded on it; a visit cannot be reused for another site or inspector."""
    username = inspector_of(world, owned_site)
    inspector = api_token(username)
    visit_uuid = str(uuid.uuid4())
    first = client.put(
        f"/api/v1/visits/{visit_uuid}", headers=inspector, json={"site_id": owned_site.id}
    )
    assert first.status_code == 200, first.text
    assert first.json()["site_id"] == owned_site.id
    replay = client.put(
        f"/api/v1/visits/{visit_uuid}", headers=inspector, json={"site_id": owned_site.id}
    )
    assert replay.json()["id"] == first.json()["id"]

    other_site = next(
        s for s in world.sites() if s.team_id == owned_site.team_id and s.id != owned_site.id
    )
    moved = client.put(
        f"/api/v1/visits/{visit_uuid}", headers=inspector, json={"site_id": other_site.id}
    )
    assert moved.status_code == 409
    elsewhere = str(uuid.uuid4())
    client.put(f"/api/v1/visits/{elsewhere}", headers=inspector, json={"site_id": other_site.id})
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "not_fixed", "visit_uuid": elsewhere},
    )
    assert r.status_code == 409 and r.json()["error"]["message"]

    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "not_fixed", "note": "still blocked", "visit_uuid": visit_uuid},
    )
    assert r.status_code == 200, r.text
    assert r.json()["events"][-1]["visit_id"] == first.json()["id"]


def test_follow_up_visit_refusals(client, api_token, world, owned_site, item_id):
    visit = f"/api/v1/visits/{uuid.uuid4()}"
    body = {"site_id": owned_site.id}
    assert client.put(visit, json=body).status_code == 401
    assert client.put(visit, headers=api_token("owner1"), json=body).status_code == 403
    assert client.put(visit, headers=api_token("supervisor"), json=body).status_code == 403
    assert client.put(visit, headers=api_token("inspector12"), json=body).status_code == 404
    inspector = api_token(inspector_of(world, owned_site))
    assert client.put("/api/v1/visits/nope", headers=inspector, json=body).status_code == 422
    assert client.put(visit, headers=inspector, json={"site_id": "x"}).status_code == 400
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "not_fixed", "visit_uuid": str(uuid.uuid4())},
    )
    assert r.status_code == 404  # an unknown visit: the verdict is not recorded
    detail = client.get(f"/api/v1/rectifications/{item_id}", headers=inspector).json()
    assert [e["kind"] for e in detail["events"]] == ["created"]
