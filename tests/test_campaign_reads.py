"""The reads a campaign round serves at district scale, taken apart for speed, still agree with
the rule: a round's site list page by page (each site once, in building order, the total the
coverage shows), and an inspector's to do including sites reassigned to them from other teams."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from inspect_app.models import Site, SiteKind, Team
from tests.helpers.app import office_today
from tests.helpers.data import team_of

TODAY = office_today()


def plan_reopening(client, office) -> dict:
    data = {
        "name_zh": "复工检查",
        "name_en": "Reopening checks",
        "template_code": "enterprise-12",
        "scope": "kinds",
        "scope_kinds": ["building", "enterprise"],
        "starts_on": str(TODAY - timedelta(days=3)),
        "ends_on": str(TODAY + timedelta(days=10)),
    }
    r = client.post("/api/v1/campaigns", headers=office, json=data)
    assert r.status_code == 201, r.text
    return r.json()["current_round"]


def pages(client, office, round_id: int, query: str, limit: int) -> tuple[list[dict], set[int]]:
    """Every page of the round's site list; the totals each page reported."""
    items: list[dict] = []
    totals: set[int] = set()
    while True:
        url = f"/api/v1/rounds/{round_id}/sites?{query}&limit={limit}&offset={len(items)}"
        page = client.get(url, headers=office).json()
        totals.add(page["total"])
        if not page["items"]:
            return items, totals
        items += page["items"]


def test_the_site_list_pages_through_every_site_once_in_building_order(client, api_token, world):
    office = api_token("supervisor")
    round_ = plan_reopening(client, office)
    cov = client.get(f"/api/v1/rounds/{round_['id']}/coverage", headers=office).json()
    items, totals = pages(client, office, round_["id"], "status=all", 37)
    assert totals == {cov["total"]} and len(items) == cov["total"]
    assert len({i["site_id"] for i in items}) == len(items)
    buildings = [i["building_id"] for i in items]
    assert buildings == sorted(buildings)  # each building with its tenants, together
    firsts = [i for n, i in enumerate(items) if n == 0 or buildings[n - 1] != buildings[n]]
    assert all(i["kind"] == "building" for i in firsts)  # the building before its tenants

    team_id = team_of(world, "inspector1")
    mine, totals = pages(client, office, round_["id"], f"status=uncovered&team_id={team_id}", 20)
    by_team = {t["key"]: t for t in cov["by_team"]}
    assert totals == {by_team[team_id]["total"]} and {i["team_id"] for i in mine} == {team_id}
    far = client.get(
        f"/api/v1/rounds/{round_['id']}/sites?status=uncovered&team_id={team_id}&offset=5000",
        headers=office,
    ).json()
    assert far["items"] == [] and far["total"] == by_team[team_id]["total"]


def test_a_site_reassigned_from_another_team_is_in_the_inspectors_to_do(client, api_token, world):
    office = api_token("supervisor")
    round_ = plan_reopening(client, office)
    team_id = team_of(world, "inspector1")
    with world.session() as s:
        other = s.exec(select(Team).where(Team.name_en == "Team 2")).one()
    assert other.id != team_id
    theirs = world.sites(Site.team_id == other.id, Site.kind == SiteKind.enterprise)[:2]
    url = f"/api/v1/rounds/{round_['id']}/assignments"
    r = client.put(url, headers=office, json={"site_ids": [theirs[0].id], "to_team_id": team_id})
    assert r.status_code == 200, r.text

    def todo(username: str) -> set[int]:
        found = client.get("/api/v1/me/todo", headers=api_token(username)).json()["items"]
        return {t["site_id"] for t in found}

    assert theirs[0].id in todo("inspector1") and theirs[0].id not in todo("inspector2")
    assert theirs[1].id in todo("inspector2") and theirs[1].id not in todo("inspector1")

    # Given to inspector1 by name: still theirs, and no longer their team's to share.
    r = client.put(
        url,
        headers=office,
        json={"site_ids": [theirs[0].id], "to_inspector_id": world.user("inspector1").id},
    )
    assert r.status_code == 200 and theirs[0].id in todo("inspector1")
    assert theirs[0].id not in todo("inspector2")
