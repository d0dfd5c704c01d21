"""The demo's campaigns, as the supervisor finds them over the JSON API right after `make run`:
the reopening checks (round 1 complete, round 2 at about 60% with two teams behind), the
street-shop sweep with shops told to close, and the weekly compound patrol with one missed
week; the inspectors' to do lists; and `inspect-app demo` run again changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from inspect_app.models import (
    Campaign,
    CampaignRound,
    Inspection,
    Photo,
    Rectification,
    RoundSite,
    Site,
    SiteKind,
    SiteOutcome,
    Subdistrict,
)
from inspect_app.timezone import local, today_in
from tests.helpers.demo import run_cli


def campaigns(demo) -> dict[str, dict]:
    found = demo.get("supervisor", "/api/v1/campaigns")
    return {c["name_en"]: c for c in found["items"]}


def rounds(demo, name: str) -> list[dict]:
    campaign = campaigns(demo)[name]
    return demo.get("supervisor", f"/api/v1/campaigns/{campaign['id']}/rounds")


def board(demo, round_: dict) -> dict:
    return demo.get("supervisor", f"/api/v1/rounds/{round_['id']}/coverage")


def round_sites(demo, round_: dict, status: str) -> list[dict]:
    """Every site of the round with this status, page by page."""
    out: list[dict] = []
    while True:
        url = f"/api/v1/rounds/{round_['id']}/sites?status={status}&limit=200&offset={len(out)}"
        page = demo.get("supervisor", url)
        out += page["items"]
        if len(out) >= page["total"] or not page["items"]:
            return out


def test_the_supervisor_sees_the_three_campaigns_of_the_office_only(demo):
    found = campaigns(demo)
    assert set(found) == {
        "Reopening checks",
        "Street-shop sweep",
        "Weekly fire-safety patrol",
    }
    assert found["Reopening checks"]["name_zh"] == "复工检查"
    assert demo.get("supervisor2", "/api/v1/campaigns")["items"] == []
    assert "campaigns: 3 campaigns" in demo.output


def test_round_1_of_the_reopening_checks_reached_every_site(demo):
    first, _second = rounds(demo, "Reopening checks")
    assert first["status"] == "ended" and first["missed"] == 0
    found = board(demo, first)
    with demo.db.session() as s:
        wutong = s.exec(select(Subdistrict).where(Subdistrict.code == "wutong")).one()
        in_scope = s.exec(
            select(func.count()).where(
                Site.subdistrict_id == wutong.id,
                Site.kind.in_([SiteKind.building, SiteKind.enterprise]),
            )
        ).one()
    assert found["total"] == in_scope and found["covered"] == in_scope and found["percent"] == 100
    assert all(team["percent"] == 100 for team in found["by_team"]) and len(found["by_team"]) == 11
    buildings = [b for b in found["by_building"] if b["key"] is not None]
    assert len(buildings) == 36 and all(b["covered"] == b["total"] for b in buildings)
    assert found["outcomes"]["closed_down"] >= 2 and found["unreachable"] == 0
    assert 10 <= found["failing"] < found["total"] // 4  # some failing, most passed


def test_round_1_was_covered_by_inspections_within_its_dates(demo):
    """Inspections with the campaign's checklist, submitted within the round, most of them
    started from the to do list (linked); each failure opened a rectification item."""
    first, _second = rounds(demo, "Reopening checks")
    start, end = date.fromisoformat(first["starts_on"]), date.fromisoformat(first["ends_on"])
    tz = demo.settings.time_zone
    with demo.db.session() as s:
        covering = s.exec(
            select(Inspection, RoundSite)
            .join(RoundSite, RoundSite.inspection_id == Inspection.id)
            .where(RoundSite.round_id == first["id"])
        ).all()
        items = set(s.exec(select(Rectification.inspection_id).distinct()).all())
    assert len(covering) >= 380
    linked = sum(1 for inspection, _row in covering if inspection.round_id == first["id"])
    assert linked >= 0.9 * len(covering)
    for inspection, row in covering:
        assert inspection.submitted_at is not None
        day = local(inspection.submitted_at, tz).date()
        assert start <= day <= end and row.covered_on == day
        assert row.failing == (inspection.id in items)


def test_round_2_is_under_way_with_two_teams_behind(demo):
    _first, second = rounds(demo, "Reopening checks")
    assert second["status"] == "running" and second["number"] == 2
    found = board(demo, second)
    assert 50 <= found["percent"] <= 70, found["percent"]
    behind = [t for t in found["by_team"] if t["percent"] <= found["percent"] - 20]
    assert len(behind) >= 2, [(t["label"], t["percent"]) for t in found["by_team"]]
    assert found["by_team"][0]["percent"] == min(t["percent"] for t in found["by_team"])
    assert found["outcomes"]["refused"] >= 2 and found["outcomes"]["absent"] >= 2
    unreachable = round_sites(demo, second, "unreachable")
    assert len(unreachable) == found["unreachable"] >= 4
    assert all(r["outcome"] in ("refused", "absent") and r["days_left"] > 0 for r in unreachable)
    uncovered = round_sites(demo, second, "uncovered")
    assert len(uncovered) == found["total"] - found["covered"]


def test_the_shop_sweep_told_some_shops_to_close(demo):
    (sweep,) = rounds(demo, "Street-shop sweep")
    found = board(demo, sweep)
    assert found["outcomes"]["told_to_close"] >= 3 and found["outcomes"]["closed_down"] >= 1
    assert found["pending"] > 0 and found["covered"] >= 0.7 * found["total"]
    told = [r for r in round_sites(demo, sweep, "covered") if r["outcome"] == "told_to_close"]
    assert len(told) == found["outcomes"]["told_to_close"]
    assert all("理发" in r["name_zh"] for r in told)  # the hair salons (劝停)
    with demo.db.session() as s:
        outcomes = s.exec(select(SiteOutcome).where(SiteOutcome.round_id == sweep["id"])).all()
        photos = {
            o.site_id: s.exec(select(Photo.uuid).where(Photo.outcome_id == o.id)).all()
            for o in outcomes
        }
    for outcome in outcomes:
        assert outcome.note, "told to close and closed down say what was found"
        if outcome.outcome == "told_to_close":
            (photo,) = photos[outcome.site_id]
            r = demo.client.get(f"/api/v1/photos/{photo}/thumb", headers=demo.token("supervisor"))
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"


def test_the_weekly_compound_patrol_missed_one_week(demo):
    weeks = rounds(demo, "Weekly fire-safety patrol")
    status = Counter(w["status"] for w in weeks)
    assert status["ended"] >= 4 and status["running"] == 1 and status["upcoming"] >= 1
    assert all(w["total"] == 7 for w in weeks if w["status"] != "upcoming")
    missed = [w for w in weeks if w["status"] == "ended" and w["missed"]]
    assert len(missed) == 1, missed
    assert all(w["covered"] == 7 for w in weeks if w["status"] == "ended" and w not in missed)
    (now,) = [w for w in weeks if w["status"] == "running"]
    assert 0 < now["covered"] < now["total"]
    days = [
        (date.fromisoformat(w["ends_on"]) - date.fromisoformat(w["starts_on"])).days for w in weeks
    ]
    assert set(days) == {6}  # a week each


def test_inspectors_find_their_uncovered_sites_in_their_to_do(demo):
    today = today_in(demo.settings.time_zone)
    mine = demo.get("inspector1", "/api/v1/me/todo")
    names = {item["campaign_name_en"] for item in mine["items"]}
    assert {"Reopening checks", "Weekly fire-safety patrol"} <= names
    assert all(i["state"] != "covered" and i["days_left"] >= 0 for i in mine["items"])
    assert all(date.fromisoformat(i["round_ends_on"]) >= today for i in mine["items"])
    behind = demo.get("inspector9", "/api/v1/me/todo")["total"]  # Team 9 is behind
    assert behind > mine["total"] // 2
    assert demo.get("supervisor", "/api/v1/me/todo")["items"] == []
    assert demo.get("inspector12", "/api/v1/me/todo")["items"] == []  # another subdistrict


def test_running_the_demo_again_changes_nothing(demo):
    def counts() -> list[int]:
        with demo.db.session() as s:
            return [
                s.exec(select(func.count()).select_from(model)).one()
                for model in (Campaign, CampaignRound, RoundSite, SiteOutcome, Inspection)
            ]

    before = counts()
    code, output = run_cli(demo.env, "demo", "--if-empty")
    assert code == 0 and "already present" in output
    code, output = run_cli(demo.env, "demo")
    assert code == 1 and "demo data loaded" not in output
    assert counts() == before
