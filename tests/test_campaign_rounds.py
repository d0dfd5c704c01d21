"""Rounds in the office's calendar: recurrence arithmetic, and a round that ends at midnight in
Shanghai covers what happened until 23:59:59 there and nothing after, whatever the machine's
zone (the clock run repeats this file at 23:30 office time on a UTC+14 machine)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from inspect_app.auth.service import load_current_user
from inspect_app.campaigns import service, visits
from inspect_app.campaigns.periods import MAX_ROUNDS, add_months, round_periods
from inspect_app.campaigns.schemas import CampaignIn
from inspect_app.models import (
    ChecklistTemplate,
    Inspection,
    InspectionStatus,
    Repeat,
    RoundSite,
    Site,
    TemplateVersion,
    User,
)
from inspect_app.timezone import today_in
from tests.helpers.app import office_today
from tests.helpers.data import team_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = office_today()


def test_one_round_for_a_one_off_campaign():
    assert round_periods(date(2026, 3, 2), date(2026, 3, 20), Repeat.once, 1) == [
        (date(2026, 3, 2), date(2026, 3, 20))
    ]


def test_weekly_rounds_start_on_the_same_weekday_and_the_last_is_cut():
    periods = round_periods(date(2026, 11, 2), date(2026, 11, 25), Repeat.weeks, 1)
    assert periods == [
        (date(2026, 11, 2), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 25)),
    ]
    assert all(start.weekday() == 0 for start, _ in periods)


def test_every_three_days_and_every_two_weeks():
    assert round_periods(date(2026, 1, 1), date(2026, 1, 9), Repeat.days, 3) == [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 1, 4), date(2026, 1, 6)),
        (date(2026, 1, 7), date(2026, 1, 9)),
    ]
    two_weeks = round_periods(date(2026, 1, 5), date(2026, 2, 1), Repeat.weeks, 2)
    assert two_weeks == [
        (date(2026, 1, 5), date(2026, 1, 18)),
        (date(2026, 1, 19), date(2026, 2, 1)),
    ]


def test_monthly_rounds_hold_at_the_end_of_short_months():
    periods = round_periods(date(2028, 1, 31), date(2028, 4, 30), Repeat.months, 1)
    assert periods == [
        (date(2028, 1, 31), date(2028, 2, 28)),
        (date(2028, 2, 29), date(2028, 3, 30)),
        (date(2028, 3, 31), date(2028, 4, 29)),
        (date(2028, 4, 30), date(2028, 4, 30)),
    ]
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_too_many_rounds_are_counted_not_made_without_end():
    periods = round_periods(date(2026, 1, 1), date(2028, 12, 31), Repeat.days, 1)
    assert len(periods) == MAX_ROUNDS + 1  # the caller refuses: no unbounded list is built


def test_a_round_ends_at_midnight_in_the_office():
    last_day = date(2026, 12, 6)
    before = datetime(2026, 12, 6, 23, 59, 59, tzinfo=SHANGHAI)
    after = datetime(2026, 12, 7, 0, 0, 0, tzinfo=SHANGHAI)
    assert today_in("Asia/Shanghai", now=before.astimezone(UTC)) == last_day
    assert today_in("Asia/Shanghai", now=after.astimezone(UTC)) == last_day + timedelta(days=1)
    assert visits.office_day(before.astimezone(UTC), "Asia/Shanghai") == last_day
    assert visits.office_day(after.astimezone(UTC), "Asia/Shanghai") > last_day


def _submitted(session, site: Site, inspector_id: int, at: datetime) -> Inspection:
    version = session.exec(
        select(TemplateVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.code == "fire-safety", TemplateVersion.version == 1)
    ).one()
    inspection = Inspection(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        version_id=version.id,
        inspector_id=inspector_id,
        status=InspectionStatus.submitted,
        started_at=at - timedelta(minutes=20),
        submitted_at=at,
    )
    session.add(inspection)
    session.flush()
    return inspection


def test_inspections_until_midnight_cover_a_round_planned_afterwards(db, world, settings):
    """A round that ended yesterday: an inspection submitted at 23:59:59 on its last day (office
    time) covers its site; one submitted at 00:00:00 the next day does not."""
    team_id = team_of(world, "inspector1")
    first, second, third = world.sites(Site.team_id == team_id, Site.active.is_(True))[:3]
    last_day = TODAY - timedelta(days=1)
    inside = datetime.combine(last_day, datetime.max.time(), tzinfo=SHANGHAI).replace(microsecond=0)
    outside = inside + timedelta(seconds=1)
    early = datetime.combine(last_day - timedelta(days=2), datetime.min.time(), tzinfo=SHANGHAI)
    supervisor = world.user("supervisor")
    inspector = world.user("inspector1")
    with db.session(write=True) as s:
        _submitted(s, first, inspector.id, inside.astimezone(UTC))
        _submitted(s, second, inspector.id, outside.astimezone(UTC))
        _submitted(s, third, inspector.id, (early - timedelta(seconds=1)).astimezone(UTC))
    with db.session(write=True) as s:
        user = load_current_user(session=s, user=s.get_one(User, supervisor.id))
        campaign = service.create_campaign(
            session=s,
            user=user,
            data=CampaignIn(
                name_zh="午夜边界",
                template_code="fire-safety",
                scope="team",
                team_id=team_id,
                starts_on=early.date(),
                ends_on=last_day,
            ),
            today=TODAY,
            time_zone=settings.time_zone,
        )
        round_id = service.rounds_of(session=s, campaign=campaign)[0].id
    with db.session() as s:
        covered = set(s.exec(select(RoundSite.site_id).where(RoundSite.round_id == round_id)))
    assert covered == {first.id}
