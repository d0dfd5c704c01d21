"""The demo with its history, loaded the way `make run` does it (`inspect-app db upgrade`, then
`inspect-app demo --if-empty`) into an empty database: what each demo user finds there. The
`demo` fixture (conftest, tests/helpers/demo.py) loads it once per engine for the session."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from inspect_app import migrate
from inspect_app.db import Database
from inspect_app.demo import load_demo
from inspect_app.demo_stories import DAYS
from inspect_app.models import Inspection, Photo, Rectification, User
from inspect_app.ops import check
from inspect_app.timezone import today_in
from tests.helpers.app import make_settings
from tests.helpers.demo import ENV, run_cli
from tests.helpers.html import parse, visible_text

OWNERS = [f"owner{n}" for n in range(1, 6)]


def heading_count(html: str, *titles: str) -> int | None:
    """The count a heading shows beside one of these titles (in either language)."""
    for heading in parse(html).select("h2"):
        if heading.own_text in titles and heading.select_one("span.count"):
            return int(heading.select_one("span.count").text)
    return None


def test_the_command_says_what_it_loaded(demo):
    found = re.search(r"history: (\d+) inspections over 60 days, (\d+) photos", demo.output)
    assert found and int(found[1]) >= 80 and int(found[2]) >= 100, demo.output
    assert "owner1..owner5" in demo.output


def test_supervisor_board_shows_overdue_items_by_team_site_item_and_age(demo):
    board = demo.get("supervisor", "/api/v1/dashboard/overdue")
    assert board["overdue"] >= 15 and board["active"] > board["overdue"]
    assert len(board["by_team"]) >= 6 and len(board["by_site"]) >= 10
    assert len(board["by_item"]) >= 8
    assert all(bucket["count"] > 0 for bucket in board["by_age"]), board["by_age"]
    days = board["last_30_days"]
    assert len({d["open"] for d in days}) >= 5, "a month of work, not a flat line"
    assert all(d["overdue"] <= d["open"] for d in days)
    doc = parse(demo.page("supervisor", "/dashboard"))
    tile = doc.select_one('a.tile[href="/rectifications?overdue=true&status=active"]')
    assert tile.select_one("strong").text == str(board["overdue"])
    assert tile.select_one("span").text in ("Overdue", "逾期") and "第一工作小组" in doc.text


def test_every_owner_sees_items_with_photos_of_the_finding(demo):
    for owner in OWNERS:
        items = demo.items(owner, status="active")
        assert items, f"{owner} has nothing to put right"
        detail = demo.get(owner, f"/api/v1/rectifications/{items[0]['id']}")
        assert 1 <= len(detail["finding_photos"]) <= 2
        for photo in detail["finding_photos"]:
            assert photo["taken_at"] is None  # capture time and GPS are for staff only
            r = demo.client.get(photo["urls"]["thumb"], headers=demo.token(owner))
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        html = demo.page(owner, "/")
        assert items[0]["text_zh"] in html


def test_inspector1_has_follow_up_visits_whose_photos_exist(demo):
    active = demo.items("inspector1", status="active")
    assert sum(i["overdue"] for i in active) >= 2
    assert any(i["status"] == "fix_reported" for i in active)
    html = demo.page("inspector1", "/")
    today = heading_count(html, "Today: follow-up visits", "今日复查")
    assert today is not None and today >= 2, visible_text(html)[:500]
    shown = 0
    for item in active:
        detail = demo.get("inspector1", f"/api/v1/rectifications/{item['id']}")
        for photo in detail["finding_photos"]:
            found = datetime.fromisoformat(photo["taken_at"])
            assert found.date() <= today_in(demo.settings.time_zone)
            assert photo["gps_latitude"] and photo["width"] == 800
            r = demo.client.get(photo["urls"]["display"], headers=demo.token("inspector1"))
            assert r.status_code == 200
            shown += 1
    assert shown >= 3
    report = check(demo.db)
    assert report.ok and report.files == 3 * report.blobs and report.blobs >= 100


def test_items_are_in_every_state_with_their_history(demo):
    items = demo.items("supervisor")
    assert len(items) >= 60
    states = Counter(i["status"] for i in items)
    late = [i for i in items if i["overdue"]]
    due = [i for i in items if i["status"] == "open" and not i["overdue"]]
    assert states["closed"] >= 20 and states["fix_reported"] >= 3 and states["cancelled"] == 1
    assert len(late) >= 15 and len(due) >= 5 and max(-i["days_left"] for i in late) >= 15
    for item in [i for i in items if i["status"] == "closed"][:10]:
        last = demo.events(item)[-1]
        assert last["kind"] == "verified_closed" and last["visit_id"] and last["photos"]
    for item in [i for i in items if i["status"] == "fix_reported"]:
        last = demo.events(item)[-1]
        assert last["kind"] == "fix_reported" and last["photos"] and last["note"]
    kinds = Counter(e["kind"] for i in items for e in demo.events(i))
    assert 1 <= kinds["extended"] <= 2 and kinds["verified_not_fixed"] >= 2
    cancelled = next(i for i in items if i["status"] == "cancelled")
    assert demo.events(cancelled)[-1]["note"]


def test_everything_is_dated_in_the_past_in_order(demo):
    now = datetime.now(UTC)
    first_day = now - timedelta(days=DAYS + 1)
    for item in demo.items("supervisor"):
        events = demo.events(item)
        moments = [datetime.fromisoformat(e["at"]) for e in events]
        assert moments == sorted(moments) and first_day < moments[0] <= moments[-1] < now
        deadlines = [e["new_deadline"] for e in events if e["new_deadline"]]
        assert events[0]["kind"] == "created" and deadlines[-1] == item["deadline"]
        found_on = moments[0].astimezone(ZoneInfo(demo.settings.time_zone)).date()
        assert date.fromisoformat(deadlines[0]) > found_on
        if item["status"] in ("closed", "cancelled"):
            assert datetime.fromisoformat(item["resolved_at"]) == moments[-1]
    with demo.db.session() as s:
        started = s.exec(select(func.min(Inspection.started_at))).one()
        assert first_day < started and s.exec(select(func.max(User.created_at))).one() < started
        drafts = s.exec(select(Inspection).where(Inspection.submitted_at.is_(None))).all()
        assert len(drafts) == 1  # inspector1, half way through a walkthrough


def test_a_site_shows_its_inspections_with_notes(demo):
    with demo.db.session() as s:
        site_id, count = s.exec(
            select(Inspection.site_id, func.count())
            .group_by(Inspection.site_id)
            .order_by(func.count().desc(), Inspection.site_id)
        ).first()
        failed = s.exec(
            select(Inspection.uuid).join(Rectification).where(Rectification.site_id == site_id)
        ).first()
    assert count >= 2
    html = demo.page("supervisor", f"/sites/{site_id}")
    assert heading_count(html, "Inspections", "检查") == count, visible_text(html)[:800]
    if failed:
        inspection = demo.get("supervisor", f"/api/v1/inspections/{failed}")
        notes = [a["note"] for a in inspection["answers"] if a["result"] == "fail"]
        assert notes and all(re.search(r"[\u4e00-\u9fff]", n) for n in notes)


def test_demo_if_empty_does_not_load_twice(demo):
    before = [_count(demo.db, m) for m in (Inspection, Photo, User)]
    code, output = run_cli(demo.env, "demo", "--if-empty")
    assert code == 0 and "already present" in output
    assert [_count(demo.db, m) for m in (Inspection, Photo, User)] == before
    assert check(demo.db).ok


def _count(db: Database, model) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_no_history_loads_people_and_sites_only(tmp_path):
    env = {**ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'inspect.db'}", "VAR_DIR": str(tmp_path)}
    assert run_cli(env, "db", "upgrade")[0] == 0
    code, output = run_cli(env, "demo", "--no-history")
    assert code == 0 and "history" not in output and "owner1..owner5" in output
    db = Database(make_settings(tmp_path, env["DATABASE_URL"]))
    try:
        assert _count(db, Inspection) == 0 and _count(db, Photo) == 0 and _count(db, User) > 0
    finally:
        db.dispose()


def test_the_test_suites_demo_has_no_history(db):
    """load_demo's default, which the test template uses: people and sites, nothing else."""
    assert _count(db, Inspection) == 0 and _count(db, Rectification) == 0


def test_a_failed_load_leaves_no_photo_files_behind(tmp_path, monkeypatch):
    """Files are written before the transaction commits: a load that fails removes them, so the
    database rolls back to empty and `inspect-app check` still finds nothing amiss."""
    from inspect_app import demo_history

    def broken(self, plan, item, action):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo_history.History, "follow", broken)
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'inspect.db'}")
    db = Database(settings)
    try:
        migrate.upgrade(db.engine)
        with pytest.raises(RuntimeError, match="disk is full"), db.session(write=True) as s:
            load_demo(session=s, settings=settings, history=True)
        assert _count(db, User) == 0
        assert settings.photo_dir.is_dir() and not any(settings.photo_dir.rglob("*.jpg"))
        assert check(db).ok
    finally:
        db.dispose()
