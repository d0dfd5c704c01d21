"""Campaigns over the API: planning, coverage arithmetic over every outcome, the to do list,
linked and matched inspections, reassignment and outcomes replayed exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from inspect_app.models import Role, Site, SiteKind, Team, TeamMember, User
from tests.helpers.app import office_today, post_form
from tests.helpers.data import all_pass, jpeg, put_photo, site_form, team_of

TODAY = office_today()


def plan(client, headers, **changes):
    """POST a campaign over inspector1's team's sites (fire safety, running today)."""
    data = {
        "name_zh": "消防巡查",
        "name_en": "Fire patrol",
        "template_code": "fire-safety",
        "scope": "team",
        "team_id": changes.pop("team_id", None),
        "starts_on": str(TODAY - timedelta(days=2)),
        "ends_on": str(TODAY + timedelta(days=5)),
        **changes,
    }
    return client.post("/api/v1/campaigns", headers=headers, json=data)


def inspection(site_id, *, round_id=None, failed=()):
    answers = [
        {"item_code": a["item_code"], "result": "fail" if a["item_code"] in failed else "pass"}
        for a in all_pass()
    ]
    for a in answers:
        if a["result"] == "fail":
            a["note"] = "blocked exit"
            a["deadline"] = str(TODAY + timedelta(days=3))
    return {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": datetime.now(UTC).isoformat(),
        "answers": answers,
        "submit": True,
        "round_id": round_id,
    }


def submit(client, headers, site_id, *, round_id=None, failed=()):
    """Submit a fire-safety inspection (a photo on each failed item), as the phone does."""
    key = str(uuid.uuid4())
    draft = {**inspection(site_id, round_id=round_id, failed=failed), "submit": False}
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=draft)
    assert r.status_code == 200, r.text
    for code in failed:
        assert put_photo(client, headers, key, code).status_code == 200
    return client.put(f"/api/v1/inspections/{key}", headers=headers, json={**draft, "submit": True})


def world_inspectors(world, team_id) -> list[str]:
    with world.session() as s:
        return list(
            s.exec(
                select(User.username)
                .join(TeamMember, TeamMember.user_id == User.id)
                .where(TeamMember.team_id == team_id, User.role == Role.inspector)
            )
        )


def team_sites(world, team_id) -> list[Site]:
    return world.sites(Site.team_id == team_id, Site.active.is_(True))


def test_plan_cover_and_count_every_outcome(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    made = plan(client, office, team_id=team_id)
    assert made.status_code == 201, made.text
    campaign = made.json()
    round_ = campaign["current_round"]
    sites = team_sites(world, team_id)
    assert (
        round_["total"] == len(sites) and round_["covered"] == 0 and round_["status"] == "running"
    )

    inspector = api_token("inspector1")
    todo = client.get("/api/v1/me/todo", headers=inspector).json()
    assert {t["site_id"] for t in todo["items"]} == {s.id for s in sites}
    assert all(t["round_id"] == round_["id"] for t in todo["items"])

    # A linked inspection with a failure covers the site (failing); one matched by date too.
    linked, matched = sites[0], sites[1]
    r = submit(client, inspector, linked.id, round_id=round_["id"], failed=("F01",))
    assert r.status_code == 200, r.text
    assert r.json()["round_id"] == round_["id"] and r.json()["status"] == "submitted"
    r = submit(client, inspector, matched.id)
    assert r.status_code == 200, r.text

    # Every outcome on the rest: only closed down and told to close cover.
    rest = sites[2:7]
    outcomes = ["closed_today", "closed_down", "told_to_close", "refused", "absent"]
    for site, outcome in zip(rest, outcomes, strict=True):
        photos = []
        if outcome == "told_to_close":
            photo = str(uuid.uuid4())
            up = client.put(
                f"/api/v1/rounds/{round_['id']}/sites/{site.id}/photos/{photo}",
                headers=inspector,
                files={"file": ("p.jpg", jpeg(), "image/jpeg")},
            )
            assert up.status_code == 200, up.text
            photos = [photo]
        r = client.put(
            f"/api/v1/rounds/{round_['id']}/outcomes/{uuid.uuid4()}",
            headers=inspector,
            json={"site_id": site.id, "outcome": outcome, "note": "told", "photo_ids": photos},
        )
        assert r.status_code == 200, r.text
        assert r.json()["covers"] is (outcome in ("closed_down", "told_to_close"))

    cov = client.get(f"/api/v1/rounds/{round_['id']}/coverage", headers=office).json()
    assert cov["total"] == len(sites)
    assert cov["covered"] == 4  # linked, matched, closed down, told to close
    assert cov["unreachable"] == 3  # closed today, refused, absent
    assert cov["pending"] == len(sites) - 7
    assert cov["failing"] == 1
    assert cov["percent"] == 100 * 4 // len(sites)
    assert cov["outcomes"] == {o: 1 for o in outcomes}
    assert sum(t["total"] for t in cov["by_team"]) == len(sites)
    assert sum(k["covered"] for k in cov["by_kind"]) == 4

    # The to do list keeps the sites that need another visit, and drops the covered ones.
    left = {
        t["site_id"]: t for t in client.get("/api/v1/me/todo", headers=inspector).json()["items"]
    }
    assert linked.id not in left and matched.id not in left
    assert left[rest[3].id]["state"] == "unreachable" and left[rest[3].id]["outcome"] == "refused"
    assert rest[1].id not in left

    uncovered = client.get(
        f"/api/v1/rounds/{round_['id']}/sites?status=uncovered&limit=200", headers=office
    ).json()
    assert uncovered["total"] == len(sites) - 4
    assert all(row["days_left"] == 5 for row in uncovered["items"])


def test_outcome_replayed_exactly_once_and_conflicts(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    round_id = plan(client, office, team_id=team_id).json()["current_round"]["id"]
    site = team_sites(world, team_id)[0]
    inspector = api_token("inspector1")
    key = str(uuid.uuid4())
    sent = {"site_id": site.id, "outcome": "refused", "note": "gate locked"}
    first = client.put(f"/api/v1/rounds/{round_id}/outcomes/{key}", headers=inspector, json=sent)
    again = client.put(f"/api/v1/rounds/{round_id}/outcomes/{key}", headers=inspector, json=sent)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    other = client.put(
        f"/api/v1/rounds/{round_id}/outcomes/{key}",
        headers=inspector,
        json={**sent, "outcome": "absent"},
    )
    assert other.status_code == 409
    cov = client.get(f"/api/v1/rounds/{round_id}/coverage", headers=office).json()
    assert cov["outcomes"]["refused"] == 1 and cov["unreachable"] == 1


def test_told_to_close_needs_note_and_photo(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    round_id = plan(client, office, team_id=team_id).json()["current_round"]["id"]
    site = team_sites(world, team_id)[0]
    inspector = api_token("inspector1")
    url = f"/api/v1/rounds/{round_id}/outcomes/{uuid.uuid4()}"
    r = client.put(url, headers=inspector, json={"site_id": site.id, "outcome": "told_to_close"})
    assert r.status_code == 422 and "note" in r.json()["error"]["fields"]
    r = client.put(
        url,
        headers=inspector,
        json={"site_id": site.id, "outcome": "told_to_close", "note": "foot spa, told to close"},
    )
    assert r.status_code == 422 and "photo_ids" in r.json()["error"]["fields"]
    r = client.put(
        url,
        headers=inspector,
        json={"site_id": site.id, "outcome": "refused", "photo_ids": [str(uuid.uuid4())]},
    )
    assert r.status_code == 422 and "photo_ids" in r.json()["error"]["fields"]


def test_reassign_to_team_and_inspector(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    round_id = plan(client, office, team_id=team_id).json()["current_round"]["id"]
    sites = team_sites(world, team_id)
    with world.session() as s:
        other_team = s.exec(
            select(Team).where(Team.id != team_id, Team.subdistrict_id == sites[0].subdistrict_id)
        ).first()
    url = f"/api/v1/rounds/{round_id}/assignments"
    r = client.put(
        url, headers=office, json={"site_ids": [sites[0].id], "to_team_id": other_team.id}
    )
    assert r.status_code == 200 and r.json() == {"changed": 1}
    mine = client.get("/api/v1/me/todo", headers=api_token("inspector1")).json()["items"]
    assert sites[0].id not in {t["site_id"] for t in mine}
    cov = client.get(f"/api/v1/rounds/{round_id}/coverage", headers=office).json()
    assert {t["key"]: t["total"] for t in cov["by_team"]}[other_team.id] == 1

    # The team it went to may work on it while the round runs: see it, start it from the round.
    helper = next(u for u in world_inspectors(world, other_team.id))
    helping = api_token(helper)
    assert sites[0].id in {
        t["site_id"] for t in client.get("/api/v1/me/todo", headers=helping).json()["items"]
    }
    assert client.get(f"/api/v1/sites/{sites[0].id}", headers=helping).status_code == 200
    r = submit(client, helping, sites[0].id, round_id=round_id)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/sites/{sites[1].id}", headers=helping).status_code == 404

    # To a named inspector: only sites of their teams; the rest of the team no longer sees it.
    r = client.put(
        url,
        headers=office,
        json={"site_ids": [sites[1].id], "to_inspector_id": world.user("inspector1").id},
    )
    assert r.status_code == 200
    r = client.put(
        url,
        headers=office,
        json={"site_ids": [sites[0].id], "to_inspector_id": world.user("inspector1").id},
    )
    assert r.status_code == 422 and "to_inspector_id" in r.json()["error"]["fields"]
    r = client.put(url, headers=office, json={"site_ids": [sites[0].id]})
    assert r.status_code == 422
    r = client.put(url, headers=office, json={"site_ids": [2**62], "to_team_id": team_id})
    assert r.status_code in (400, 422)  # not a site (PostgreSQL's ids stop at 2**31: 400)
    assert r.json()["error"]["message"]


def test_access_rules(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    campaign = plan(client, office, team_id=team_id).json()
    round_id = campaign["current_round"]["id"]
    for who in ("inspector1", "owner1"):
        headers = api_token(who)
        assert client.get("/api/v1/campaigns", headers=headers).status_code == 403
        assert client.get(f"/api/v1/rounds/{round_id}/coverage", headers=headers).status_code == 403
    owner_todo = client.get("/api/v1/me/todo", headers=api_token("owner1")).json()
    assert owner_todo == {"items": [], "total": 0, "done_today": 0}
    other = api_token("supervisor2")
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/rounds/{round_id}/coverage", headers=other).status_code == 404
    assert client.get(f"/api/v1/rounds/{round_id}/sites", headers=other).status_code == 404
    site = team_sites(world, team_id)[0]
    r = client.put(
        f"/api/v1/rounds/{round_id}/outcomes/{uuid.uuid4()}",
        headers=api_token("inspector12"),
        json={"site_id": site.id, "outcome": "absent"},
    )
    assert r.status_code == 404
    r = client.put(
        f"/api/v1/rounds/{round_id}/outcomes/{uuid.uuid4()}",
        headers=api_token("owner1"),
        json={"site_id": site.id, "outcome": "absent"},
    )
    assert r.status_code in (403, 404)
    assert client.get("/api/v1/campaigns", headers={}).status_code == 401


def test_plan_refuses_bad_input(client, api_token, world):
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    cases = [
        ({"team_id": None}, "team_id"),
        ({"team_id": team_id, "template_code": "nope"}, "template_code"),
        ({"team_id": team_id, "ends_on": str(TODAY - timedelta(days=9))}, "ends_on"),
        ({"team_id": team_id, "starts_on": "1999-01-01"}, "starts_on"),
        (
            {
                "team_id": team_id,
                "repeat": "days",
                "repeat_every": 1,
                "ends_on": str(TODAY + timedelta(days=500)),
            },
            "repeat_every",
        ),
        ({"scope": "kinds", "scope_kinds": []}, "scope_kinds"),
        ({"scope": "building", "building_id": 2**63 - 1}, "building_id"),
        ({"scope": "sites", "site_refs": ["no such shop"]}, "site_refs"),
    ]
    for changes, field in cases:
        r = plan(client, office, **changes)
        assert r.status_code == 422, (changes, r.text)
        assert field in r.json()["error"]["fields"], (changes, r.json())
    assert plan(client, office, team_id=team_id, repeat_every=0).status_code == 400
    assert plan(client, office, team_id=2**64).status_code == 400
    with_codes = [s for s in team_sites(world, team_id) if s.credit_code][:2]
    others = [s for s in team_sites(world, team_id) if not s.credit_code][:1]
    listed = plan(
        client,
        office,
        scope="sites",
        site_refs=[s.credit_code for s in with_codes],
        site_ids=[s.id for s in others],
    )
    assert listed.status_code == 201, listed.text
    expected = len(with_codes) + len(others)
    assert listed.json()["listed_sites"] == expected >= 2
    assert listed.json()["current_round"]["total"] == expected


def test_weekly_rounds_and_patch_rules(client, api_token, world):
    office = api_token("supervisor")
    subdistrict = world.user("supervisor").subdistrict_id
    compounds = world.sites(
        Site.kind == SiteKind.compound, Site.subdistrict_id == subdistrict, Site.active.is_(True)
    )
    start = TODAY - timedelta(days=TODAY.weekday() + 14)  # a Monday two weeks back
    r = plan(
        client,
        office,
        scope="kinds",
        scope_kinds=["compound"],
        repeat="weeks",
        starts_on=str(start),
        ends_on=str(start + timedelta(days=8 * 7 - 1)),
    )
    assert r.status_code == 201, r.text
    campaign = r.json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    rounds = client.get(f"{url}/rounds", headers=office).json()
    assert len(rounds) == 8
    assert [r["status"] for r in rounds[:4]] == ["ended", "ended", "running", "upcoming"]
    assert rounds[0]["missed"] == len(compounds) > 0
    assert rounds[0]["starts_on"] == str(start)
    assert rounds[0]["ends_on"] == str(start + timedelta(days=6))
    assert rounds[1]["starts_on"] == str(start + timedelta(days=7))
    assert campaign["current_round"]["number"] == 3

    assert client.patch(url, headers=office, json={"repeat": "months"}).status_code == 409
    shorter = client.patch(
        url, headers=office, json={"ends_on": str(start + timedelta(days=4 * 7 - 1))}
    )
    assert shorter.status_code == 200, shorter.text
    assert len(client.get(f"{url}/rounds", headers=office).json()) == 4
    too_short = client.patch(url, headers=office, json={"ends_on": str(start + timedelta(days=7))})
    assert too_short.status_code == 409
    assert len(client.get(f"{url}/rounds", headers=office).json()) == 4
    renamed = client.patch(url, headers=office, json={"name_en": "Compound patrol"})
    assert renamed.json()["name_en"] == "Compound patrol"
    extra = {"starts_on": str(TODAY), "ends_on": str(TODAY)}
    assert client.post(f"{url}/rounds", headers=office, json=extra).status_code == 409


def test_counts_follow_every_change_they_read(client, api_token, world, login_as):
    """Counts are kept between requests: a change of the round's rows, of a site (moved to
    another team) or a new site in the scope shows at the next read."""
    office = api_token("supervisor")
    team_id = team_of(world, "inspector1")
    made = plan(client, office, scope="all", include_later=True).json()
    url = f"/api/v1/rounds/{made['current_round']['id']}/coverage"
    before = client.get(url, headers=office).json()
    assert client.get(url, headers=office).json() == before  # kept, and the same
    site = team_sites(world, team_id)[0]
    other = next(t for t in before["by_team"] if t["key"] not in (team_id, None))
    admin = login_as("admin")
    moved = post_form(admin, f"/sites/{site.id}/edit", site_form(site, team_id=str(other["key"])))
    assert moved.status_code == 303, moved.text
    after = client.get(url, headers=office).json()
    teams = {t["key"]: t["total"] for t in after["by_team"]}
    was = {t["key"]: t["total"] for t in before["by_team"]}
    assert teams[team_id] == was[team_id] - 1 and teams[other["key"]] == other["total"] + 1
    new = post_form(
        admin, "/sites/new", site_form(site, name_zh="新开小店", credit_code="", kind="shop")
    )
    assert new.status_code == 303, new.text
    assert client.get(url, headers=office).json()["total"] == before["total"] + 1
