"""Demo campaigns (专项行动) on top of the demo history, so the coverage boards are full from the
first start: the reopening checks (round 1 done and complete, round 2 at about 60% with two
teams behind), a street-shop sweep with shops told to close, and the weekly fire-safety patrol
of the compounds with one missed week.

Planned through the campaign services as the supervisor; every visit is an inspection of the
history (`History.inspect`, linked to its round as when started from the to do list) or an
outcome recorded on the spot, as the inspector of the site's team. Dates count back from the
office's today, like the rest of the history."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from inspect_app.campaigns import coverage, service, visits
from inspect_app.campaigns.schemas import CampaignIn, OutcomeIn, RoundIn
from inspect_app.demo_stories import Plan, fix_periods, pick_findings
from inspect_app.models import (
    Campaign,
    CampaignRound,
    CoverageState,
    Inspection,
    Outcome,
    Repeat,
    RoundSite,
    ScopeKind,
    Site,
    SiteKind,
    SiteOutcome,
    Team,
)
from inspect_app.photos.service import Slot

if TYPE_CHECKING:
    from inspect_app.demo_history import History

# Days before today (a negative number: days after today).
REOPENING = ((52, 33), (18, -11))  # round 1 (done), round 2 (running)
SHOP_SWEEP = (12, -2)
PATROL_START, PATROL_WEEKS, MISSED_WEEK = 38, 13, 3  # the 3rd week was missed
ROUND_2_SHARE, BEHIND_SHARE = 0.68, 0.28  # of each team's sites, round 2 so far
BEHIND = ("Team 4", "Team 9")
FAILING = 0.08  # share of visits that find something (0.35 at sites that failed round 1)

CLOSED_DOWN = (
    "企业已搬离，办公室空置，物业确认已退租。",
    "公司已停止经营，场所已清空，门口张贴退租告示。",
)
SHOP_CLOSED = "店铺已停业，卷帘门紧闭，门面招租。"
TOLD_TO_CLOSE = "按疫情防控要求劝其暂停营业，已张贴告知书，负责人签字确认。"
REFUSED = "前台以负责人不在为由拒绝入内检查，已告知将再次上门。"
ABSENT = ("上门时无人，电话联系未接通。", "物业办公室无人值守，改日再来。")


class Campaigns:
    """Plans the campaigns as the supervisor, then plays each round's visits oldest first."""

    def __init__(self, history: History) -> None:
        self.h, self.s = history, history.s
        self.tz = history.settings.time_zone
        self.today = history.today
        self.rng = random.Random(2022)  # noqa: S311 (demo data: a fixed seed on purpose)
        self.periods = fix_periods(self.s)
        self.office = history.users["supervisor"]
        self.teams = {t.id: t.name_en for t in self.s.exec(select(Team))}

    # --- planning --------------------------------------------------------------------------

    def plan(self, data: CampaignIn, planned_ago: int) -> tuple[Campaign, list[CampaignRound]]:
        campaign = service.create_campaign(
            session=self.s, user=self.office, data=data, today=self.today, time_zone=self.tz
        )
        at = self.h.when(planned_ago, 9 * 60 + 40)
        campaign.created_at = campaign.updated_at = at
        rounds = service.rounds_of(session=self.s, campaign=campaign)
        for round_ in rounds:
            round_.created_at = at
        self.s.add_all([campaign, *rounds])
        self.s.flush()
        return campaign, rounds

    def day(self, ago: int) -> date:
        return self.today - timedelta(days=ago)

    def uncovered(self, campaign: Campaign, round_: CampaignRound) -> list[Site]:
        """The round's sites not covered yet, by building (tenants after their building)."""
        rows, _total = coverage.site_rows(
            session=self.s,
            campaign=campaign,
            round_=round_,
            time_zone=self.tz,
            status="uncovered",
            limit=None,
        )
        return [self.s.get_one(Site, r.site_id) for r in rows]

    # --- what the inspectors did -----------------------------------------------------------

    def visit(self, site: Site, round_: CampaignRound, ago: int, *, fail: float = FAILING) -> None:
        """An inspection started from the to do list on that day."""
        code = "fire-safety" if site.kind == SiteKind.compound else "enterprise-12"
        plan = Plan(site, code, ago, {}, round_id=round_.id)
        if self.rng.random() < fail:
            plan.findings = pick_findings(self.rng, plan, self.periods)
        self.settle(self.h.inspect(plan))

    def settle(self, inspection: Inspection) -> None:
        """Submitting covered the site as of now: in its round and in any round running today,
        dated today. The history then moved the inspection into the past, so its coverage
        follows it: dated the day it was submitted, and taken back from the rounds that day
        was not in (none of them had reached the site yet: each campaign is played oldest
        first, so there is nothing to restore)."""
        assert inspection.submitted_at is not None
        day = visits.office_day(inspection.submitted_at, self.tz)
        touched = self.s.exec(
            select(RoundSite, CampaignRound)
            .join(CampaignRound, CampaignRound.id == RoundSite.round_id)
            .where(RoundSite.inspection_id == inspection.id)
        )
        for row, round_ in touched.all():
            if round_.starts_on <= day <= round_.ends_on:
                row.covered_on, row.updated_at = day, inspection.submitted_at
            else:
                row.state, row.outcome, row.inspection_id = CoverageState.pending, None, None
                row.failing, row.covered_on = False, None
            self.s.add(row)
        self.s.flush()

    def outcome(
        self, site: Site, round_: CampaignRound, ago: int, outcome: Outcome, note: str = ""
    ) -> None:
        """Could not inspect: recorded on the spot by the team's inspector (told to close
        with a photo of the closed premises)."""
        assert site.id is not None and site.team_id is not None and round_.id is not None
        inspector = self.h.inspector_of[site.team_id]
        at = self.h.when(ago, self.rng.randint(9 * 60, 17 * 60))
        photo_ids = []
        if outcome == Outcome.told_to_close:
            slot = Slot(item_code="", site_id=site.id)
            shot = self.h.photo(
                inspector, slot, site, at - timedelta(minutes=2), fixed=False, scene="closed"
            )
            photo_ids.append(shot.uuid)
        data = OutcomeIn(
            site_id=site.id, outcome=outcome, note=note, photo_ids=photo_ids, recorded_at=at
        )
        recorded = visits.record_outcome(
            session=self.s,
            user=inspector,
            round_id=round_.id,
            uuid=self.h.new_uuid(),
            data=data,
            time_zone=self.tz,
        )
        recorded.created_at = at
        row = self.s.get_one(RoundSite, (round_.id, site.id))
        row.updated_at = at
        self.s.add_all([recorded, row])
        self.s.flush()

    def spread(self, sites: list[Site], first_ago: int, last_ago: int) -> list[tuple[Site, int]]:
        """Each team works through its sites in order, evenly over the days given."""
        by_team: dict[int | None, list[Site]] = {}
        for site in sites:
            by_team.setdefault(site.team_id, []).append(site)
        days = first_ago - last_ago + 1
        out = []
        for team_sites in by_team.values():
            for n, site in enumerate(team_sites):
                out.append((site, first_ago - n * days // len(team_sites)))
        return sorted(out, key=lambda pair: (-pair[1], pair[0].id))

    # --- the campaigns -----------------------------------------------------------------------

    def reopening(self) -> None:
        """Two carpet-style rounds over the 36 buildings and their tenants (两轮地毯式排查)."""
        (first, last), (second, second_last) = REOPENING
        data = CampaignIn(
            name_zh="复工检查",
            name_en="Reopening checks",
            template_code="enterprise-12",
            scope=ScopeKind.kinds,
            scope_kinds=[SiteKind.building, SiteKind.enterprise],
            starts_on=self.day(first),
            ends_on=self.day(last),
        )
        campaign, (round_1,) = self.plan(data, first + 4)
        self.round_1(campaign, round_1, first, last)
        assert campaign.id is not None
        round_2 = service.add_round(
            session=self.s,
            user=self.office,
            campaign_id=campaign.id,
            data=RoundIn(starts_on=self.day(second), ends_on=self.day(second_last)),
            today=self.today,
            time_zone=self.tz,  # counts what was inspected in it so far
        )
        round_2.created_at = campaign.updated_at = self.h.when(second + 2, 8 * 60 + 50)
        self.s.add_all([round_2, campaign])
        self.round_2(campaign, round_1, round_2, second)

    def round_1(self, campaign: Campaign, round_: CampaignRound, first: int, last: int) -> None:
        """Every site reached: inspected, or found closed down; a few refused entry at first
        and were inspected on a second visit."""
        sites = self.uncovered(campaign, round_)
        tenants = [s for s in sites if s.kind == SiteKind.enterprise]
        closed = {s.id for s in self.rng.sample(tenants, 4)}
        refused = {s.id for s in self.rng.sample([s for s in tenants if s.id not in closed], 3)}
        for site, ago in self.spread(sites, first, last + 2):
            if site.id in closed:
                self.outcome(site, round_, ago, Outcome.closed_down, self.rng.choice(CLOSED_DOWN))
                continue
            if site.id in refused:
                self.outcome(site, round_, ago, Outcome.refused, REFUSED)
                ago = max(last, ago - self.rng.randint(2, 5))  # the second visit
            self.visit(site, round_, ago)

    def round_2(
        self, campaign: Campaign, earlier: CampaignRound, round_: CampaignRound, first: int
    ) -> None:
        """About 60% so far: two teams well behind the others; a few refused or no one there.
        Sites that failed in round 1 fail again more often."""
        failed_before = set(
            self.s.exec(
                select(RoundSite.site_id).where(
                    RoundSite.round_id == earlier.id, col(RoundSite.failing).is_(True)
                )
            )
        )
        everything, _n = coverage.site_rows(
            session=self.s, campaign=campaign, round_=round_, time_zone=self.tz, limit=None
        )
        size: dict[int | None, int] = {}
        for row in everything:
            size[row.team_id] = size.get(row.team_id, 0) + 1
        covered = {r.site_id for r in everything if r.state == CoverageState.covered}
        todo: dict[int | None, list[Site]] = {}
        for site in self.uncovered(campaign, round_):
            todo.setdefault(site.team_id, []).append(site)
        chosen: list[Site] = []
        left: list[Site] = []
        for team_id, sites in todo.items():
            behind = self.teams.get(team_id) in BEHIND
            done = sum(1 for r in everything if r.team_id == team_id and r.site_id in covered)
            want = round(size[team_id] * (BEHIND_SHARE if behind else ROUND_2_SHARE)) - done
            chosen += sites[: max(0, want)]
            left += sites[max(0, want) :]
        for site, ago in self.spread(chosen, first, 1):
            self.visit(site, round_, ago, fail=0.35 if site.id in failed_before else FAILING)
        for n, site in enumerate(self.rng.sample(left, 7)):
            ago = self.rng.randint(1, first)
            if n < 3:
                self.outcome(site, round_, ago, Outcome.refused, REFUSED)
            else:
                self.outcome(site, round_, ago, Outcome.absent, self.rng.choice(ABSENT))

    def shop_sweep(self) -> None:
        """The street shops: hair salons told to close (劝停), some closed down for good, most
        of the rest inspected, a few still to go."""
        first, last = SHOP_SWEEP
        data = CampaignIn(
            name_zh="沿街商铺专项检查",
            name_en="Street-shop sweep",
            template_code="enterprise-12",
            scope=ScopeKind.kinds,
            scope_kinds=[SiteKind.shop],
            starts_on=self.day(first),
            ends_on=self.day(last),
        )
        campaign, (round_,) = self.plan(data, first + 2)
        sites = self.uncovered(campaign, round_)
        salons = {s.id for s in sites if "理发" in s.name_zh}
        others = [s for s in sites if s.id not in salons]
        closed = {s.id for s in self.rng.sample(others, 3)}
        waiting = {s.id for s in self.rng.sample([s for s in others if s.id not in closed], 7)}
        for site, ago in self.spread(sites, first, 1):
            if site.id in salons:
                self.outcome(site, round_, ago, Outcome.told_to_close, TOLD_TO_CLOSE)
            elif site.id in closed:
                self.outcome(site, round_, ago, Outcome.closed_down, SHOP_CLOSED)
            elif site.id not in waiting:
                self.visit(site, round_, ago, fail=0.15)

    def patrol(self) -> None:
        """Every week, each compound's fire lanes and stairwells (消防安全巡查): every past week
        covered but one, this week under way (inspector1 is at their compound right now)."""
        data = CampaignIn(
            name_zh="小区消防安全每周巡查",
            name_en="Weekly fire-safety patrol",
            template_code="fire-safety",
            scope=ScopeKind.kinds,
            scope_kinds=[SiteKind.compound],
            starts_on=self.day(PATROL_START),
            ends_on=self.day(PATROL_START - 7 * PATROL_WEEKS + 1),
            repeat=Repeat.weeks,
        )
        campaign, rounds = self.plan(data, PATROL_START + 2)
        busy = self.h.users["inspector1"].team_ids  # at their compound now (History.draft)
        for round_ in [r for r in rounds if r.starts_on < self.today]:
            week_start = (self.today - round_.starts_on).days
            last = max(1, (self.today - round_.ends_on).days)
            sites = self.uncovered(campaign, round_)
            if round_.number == MISSED_WEEK:
                absent = sites[-1]
                self.outcome(absent, round_, week_start - 2, Outcome.absent, ABSENT[1])
                sites = sites[: len(sites) // 2]
            elif round_.ends_on >= self.today:  # this week: about half so far
                sites = [s for s in sites if s.team_id not in busy]
                sites = sites[: len(sites) // 2 + 1]
            for site, ago in self.spread(sites, week_start, last):
                self.visit(site, round_, ago, fail=0.1)


def load_campaigns(history: History) -> None:
    """Add the demo campaigns once the history is in place (see `demo_history.load_history`)."""
    play = Campaigns(history)
    play.reopening()
    play.shop_sweep()
    play.patrol()


def describe(*, session: Session) -> str:
    """One line on the campaigns, for the command's output."""

    def count(model) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return (
        f"{count(Campaign)} campaigns, {count(CampaignRound)} rounds, "
        f"{count(SiteOutcome)} visits that could not inspect"
    )
