"""The reminder rules on a settable clock: each message is written once, on the right day of the
office's calendar (its time zone, weekends), to the right people, however often and on however
many servers the rules run; closed items and people who left get nothing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select, update

from inspect_app.models import (
    Notification,
    RecheckRequest,
    RecheckState,
    Rectification,
    RectificationEvent,
    Role,
    TeamMember,
    User,
)
from inspect_app.models.inspections import EventKind
from inspect_app.notifications import kinds
from inspect_app.notifications.worker import ReminderLoop, run_once
from inspect_app.settings import Settings
from inspect_app.timezone import add_working_days
from tests.helpers.app import english, office_today
from tests.helpers.data import evidence, findings, inspector_of, set_deadline
from tests.helpers.html import parse

ZONE = ZoneInfo(Settings.time_zone)
# A Monday far from the real today, so the demo's own items never share its days.
MONDAY = office_today() + timedelta(days=63 - office_today().weekday())
assert MONDAY.weekday() == 0


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """That moment in the office, as the rules take it (UTC)."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


@pytest.fixture
def site(world):
    return world.owned_by("owner1")[0]


@pytest.fixture
def item(client, api_token, world, site) -> int:
    [item_id] = findings(client, api_token, world, site, failed=("F02",))
    set_deadline(world, item_id, MONDAY)
    return item_id


def messages(world, item_id: int) -> list[tuple[str, str, date]]:
    """(kind, username, office day written) of the messages about one item."""
    with world.session() as s:
        rows = s.exec(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(Notification.link == f"/rectifications/{item_id}")
        ).all()
    return sorted((n.kind, u.username, n.created_at.astimezone(ZONE).date()) for n, u in rows)


def team_of_site(world, site) -> list[str]:
    with world.session() as s:
        rows = s.exec(
            select(User.username)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == site.team_id)
        )
        return sorted(rows)


def supervisors_of(world, site) -> list[str]:
    with world.session() as s:
        rows = s.exec(
            select(User.username).where(
                User.role == Role.supervisor, User.subdistrict_id == site.subdistrict_id
            )
        )
        return sorted(rows)


def every_day(db, first: date, last: date, *hours: int) -> None:
    """Run the rules at each of `hours` of every day, twice each time (a second server)."""
    day = first
    while day <= last:
        for hour in hours or (9,):
            run_once(db, at(day, hour))
            run_once(db, at(day, hour, 1))
        day += timedelta(days=1)


def test_deadline_rules_fire_once_each_on_their_day(db, world, site, item):
    every_day(db, MONDAY - timedelta(days=5), MONDAY + timedelta(days=20), 0, 9, 23)
    inspector = inspector_of(world, site)
    soon = MONDAY - timedelta(days=2)
    expected = {("deadline_soon", inspector, soon), ("deadline_soon", "owner1", soon)}
    expected |= {
        ("overdue", name, MONDAY + timedelta(days=1)) for name in team_of_site(world, site)
    }
    expected.add(("overdue", inspector, MONDAY + timedelta(days=1)))
    week = MONDAY + timedelta(days=7)
    expected |= {("overdue_escalated", name, week) for name in supervisors_of(world, site)}
    got = messages(world, item)
    assert len(got) == len(set(got))  # nothing twice
    assert set(got) == expected
    assert supervisors_of(world, site) and team_of_site(world, site)  # the test means something


def test_overdue_starts_at_midnight_in_the_office_not_on_the_server(db, world, item):
    # 23:59 on the deadline in Shanghai is 15:59 UTC: not overdue yet; one minute after
    # midnight in Shanghai (still the deadline's date in UTC) it is.
    run_once(db, at(MONDAY, 23, 59))
    assert not [m for m in messages(world, item) if m[0] == "overdue"]
    run_once(db, at(MONDAY + timedelta(days=1), 0, 1))
    assert at(MONDAY + timedelta(days=1), 0, 1).date() == MONDAY  # UTC still says Monday
    assert [m for m in messages(world, item) if m[0] == "overdue"]


def test_a_missed_day_is_caught_up_and_a_long_missed_one_let_go(db, world, site, item):
    run_once(db, at(MONDAY + timedelta(days=3)))  # no server ran on the first overdue day
    assert ("overdue", inspector_of(world, site)) in {(k, u) for k, u, _ in messages(world, item)}
    other = findings_again(world, item)
    run_once(db, at(other + timedelta(days=60)))  # two months of silence: too late to say
    assert not [m for m in messages(world, item) if m[2] > MONDAY + timedelta(days=3)]


def findings_again(world, item_id: int) -> date:
    """Move the item's deadline (an extension) and return it."""
    later = MONDAY + timedelta(days=30)
    set_deadline(world, item_id, later)
    return later


def test_a_closed_item_and_people_who_left_are_not_reminded(db, world, site, item):
    inspector = inspector_of(world, site)
    with world.session() as s:
        s.exec(update(User).where(User.username == inspector).values(active=False))
    run_once(db, at(MONDAY - timedelta(days=1)))
    assert {u for _, u, _ in messages(world, item)} == {"owner1"}
    with world.session() as s:
        s.exec(update(Rectification).where(Rectification.id == item).values(status="closed"))
    every_day(db, MONDAY, MONDAY + timedelta(days=10))
    assert {k for k, _, _ in messages(world, item)} == {"deadline_soon"}


def test_an_extended_deadline_is_reminded_again(db, world, item):
    run_once(db, at(MONDAY - timedelta(days=1)))
    later = findings_again(world, item)
    run_once(db, at(later - timedelta(days=1)))
    soon_days = sorted({d for k, _, d in messages(world, item) if k == "deadline_soon"})
    assert soon_days == [MONDAY - timedelta(days=1), later - timedelta(days=1)]


def report_fixed_on(client, api_token, world, item_id: int, day: date) -> None:
    owner = api_token("owner1")
    r = client.post(
        f"/api/v1/rectifications/{item_id}/report-fixed",
        headers=owner,
        json={"note": "fixed", "photo_ids": [evidence(client, owner, item_id)]},
    )
    assert r.status_code == 200, r.text
    with world.session() as s:
        s.exec(
            update(RectificationEvent)
            .where(
                RectificationEvent.rectification_id == item_id,
                RectificationEvent.kind == EventKind.fix_reported,
            )
            .values(at=at(day, 17))
        )


def test_a_fix_reported_on_friday_is_due_three_working_days_later(
    client, api_token, db, world, site, item
):
    friday = MONDAY - timedelta(days=3)
    wednesday = add_working_days(friday, 3)
    assert wednesday == MONDAY + timedelta(days=2)
    report_fixed_on(client, api_token, world, item, friday)
    every_day(db, friday, MONDAY + timedelta(days=6))
    fixes = [m for m in messages(world, item) if m[0] in ("fix_reported", "verify_late")]
    inspector = inspector_of(world, site)
    expected = [("fix_reported", inspector, friday)]
    expected += [
        ("verify_late", name, wednesday + timedelta(days=1)) for name in supervisors_of(world, site)
    ]
    assert fixes == sorted(expected)
    with world.session() as s:
        [message] = s.exec(
            select(Notification).where(
                Notification.kind == "fix_reported",
                Notification.link == f"/rectifications/{item}",
            )
        ).all()
    assert json.loads(message.params)["due"] == wednesday.isoformat()


def test_a_recheck_applied_for_tells_the_team_then_the_supervisor(db, world, site):
    due = MONDAY + timedelta(days=2)
    with world.session() as s:
        owner = s.exec(select(User).where(User.username == "owner1")).one()
        request = RecheckRequest(site_id=site.id, requested_by=owner.id, due_on=due)
        s.add(request)
        s.flush()
        request_id = request.id
    every_day(db, MONDAY, MONDAY + timedelta(days=5))
    with world.session() as s:
        rows = s.exec(
            select(Notification.kind, User.username, Notification.created_at)
            .join(User, User.id == Notification.user_id)
            .where(Notification.key.like(f"recheck_%:{request_id}:%"))
        ).all()
    got = sorted((k, u, c.astimezone(ZONE).date()) for k, u, c in rows)
    expected = [("recheck_requested", name, MONDAY) for name in team_of_site(world, site)]
    expected += [
        ("recheck_late", name, due + timedelta(days=1)) for name in supervisors_of(world, site)
    ]
    assert got == sorted(expected)
    with world.session() as s:  # a visit made: nothing more
        s.exec(update(RecheckRequest).values(state=RecheckState.done))
    run_once(db, at(MONDAY + timedelta(days=9)))
    with world.session() as s:
        again = s.exec(
            select(Notification.id).where(Notification.key.like(f"recheck_%:{request_id}:%"))
        ).all()
    assert len(again) == len(rows)


def digests(world, day: date) -> list[tuple[str, dict]]:
    with world.session() as s:
        rows = s.exec(
            select(User.username, Notification.params)
            .join(User, User.id == Notification.user_id)
            .where(Notification.key.like(f"digest:{day.isoformat()}:%"))
        ).all()
    return sorted((u, json.loads(p)) for u, p in rows)


def test_the_daily_digest_comes_once_at_half_past_eight_office_time(db, world, site, item):
    run_once(db, at(MONDAY, 8, 29))
    assert digests(world, MONDAY) == []
    run_once(db, at(MONDAY, 8, 30))
    run_once(db, at(MONDAY, 17))
    got = digests(world, MONDAY)
    assert sorted(u for u, _ in got) == sorted(supervisors_of_all(world))
    mine = dict(got)[supervisors_of(world, site)[0]]
    assert set(mine) == {"new", "closed", "overdue"} and mine["overdue"] >= 0


def supervisors_of_all(world) -> list[str]:
    with world.session() as s:
        return list(
            s.exec(
                select(User.username).where(
                    User.role == Role.supervisor, User.active, User.subdistrict_id.is_not(None)
                )
            )
        )


def test_rules_run_on_many_servers_at_once_write_each_message_once(db, world, item):
    moment = at(MONDAY + timedelta(days=8))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_once(db, moment)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with world.session() as s:
        keys = s.exec(select(Notification.key)).all()
    assert len(keys) == len(set(keys))
    assert any(k.startswith(f"overdue_escalated:{item}:") for k in keys)


def test_the_loop_survives_a_failed_run_and_is_off_at_zero(db, monkeypatch):
    calls: list[int] = []

    def broken(_db, _now=None):
        calls.append(1)
        raise RuntimeError("database away")

    monkeypatch.setattr("inspect_app.notifications.worker.turn", broken)
    loop = ReminderLoop(db, 5)
    loop.turn()  # logged, not raised
    assert calls == [1]
    off = ReminderLoop(db, 0)
    off.start()
    assert off._thread is None


def test_the_worker_command(cli, world, item):
    code, out, _ = cli("worker", "--once")
    assert code == 0 and out.startswith("reminders written: ")
    code, out, _ = cli("worker", "--once")
    assert code == 0 and out.startswith("reminders written: 0 ")
    with pytest.raises(SystemExit) as refused:
        cli("worker", "--every", "0")
    assert refused.value.code == 2


@pytest.mark.parametrize("value", ["-1", "nan", "100000"])
def test_a_bad_interval_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("REMINDERS_EVERY_MINUTES", value)
    with pytest.raises(ValueError, match="REMINDERS_EVERY_MINUTES"):
        Settings.from_env()


def test_the_new_kinds_read_in_both_languages():
    from inspect_app import i18n

    params = {"site": {"zh": "梧桐咖啡", "en": "Wutong Coffee"}, "measure": "x", "due": "d"}
    read = {}
    for locale in ("zh_CN", "en"):
        token = i18n.current_locale.set(locale)
        try:
            read[locale] = [kinds.sentence(k, params) for k in ("verify_late", "recheck_late")]
        finally:
            i18n.current_locale.reset(token)
    assert all("梧桐咖啡" in text for text in read["zh_CN"])
    assert all("Wutong Coffee" in text for text in read["en"])
    assert read["zh_CN"] != read["en"]


def test_staff_see_the_ladder_on_the_item_page_and_owners_do_not(db, login_as, world, item):
    run_once(db, at(MONDAY - timedelta(days=1)))
    page = parse(english(login_as("supervisor")).get(f"/rectifications/{item}").text)
    steps = page.select("#ladder li")
    assert [s.select_one(".date").text for s in steps] == [
        (MONDAY + timedelta(days=d)).isoformat() for d in (-2, 1, 7)
    ]
    assert ["sent" in s.get("class", []) for s in steps] == [True, False, False]
    assert "sent" in steps[0].text and "if still open" in steps[1].text
    set_deadline(world, item, office_today() - timedelta(days=40))  # long past: let go
    run_once(db)
    late = parse(english(login_as("supervisor")).get(f"/rectifications/{item}").text)
    assert [li.select_one(".muted").text for li in late.select("#ladder li")] == ["· not sent"] * 3
    owner = parse(english(login_as("owner1")).get(f"/rectifications/{item}").text)
    assert owner.select_one("#ladder") is None
