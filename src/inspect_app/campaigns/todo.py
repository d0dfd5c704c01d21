"""The inspector's to do list: the sites of running rounds given to them (by name) or to their
team (to no one by name), not yet covered, by round end, then building (tenants under their
building). The phone sorts by distance when it may read its location."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inspect_app.auth.service import CurrentUser
from inspect_app.campaigns.coverage import round_version
from inspect_app.campaigns.scope import effective_columns, given_to, round_sites
from inspect_app.models import (
    Campaign,
    CampaignRound,
    ChecklistTemplate,
    CoverageState,
    Outcome,
    Role,
    RoundSite,
    Site,
    SiteKind,
)
from inspect_app.rectifications.recent import Recent

MAX_TODO = 2000  # per round: far beyond a team's day, bounds the offline data


@dataclass(frozen=True)
class TodoRow:
    round_id: int
    campaign_id: int
    campaign_name_zh: str
    campaign_name_en: str
    template_code: str
    round_number: int
    round_ends_on: date
    site_id: int
    name_zh: str
    name_en: str
    kind: SiteKind
    address: str
    latitude: float | None
    longitude: float | None
    building_id: int | None
    building_name_zh: str
    building_name_en: str
    state: CoverageState
    outcome: Outcome | None

    def days_left(self, today: date) -> int:
        return (self.round_ends_on - today).days


def running_rounds(
    *, session: Session, subdistrict_id: int, today: date
) -> list[tuple[Campaign, CampaignRound, str]]:
    """(campaign, round, checklist code) of the rounds running today in a subdistrict."""
    return list(
        session.exec(
            select(Campaign, CampaignRound, ChecklistTemplate.code)
            .join(CampaignRound, CampaignRound.campaign_id == Campaign.id)
            .join(ChecklistTemplate, ChecklistTemplate.id == Campaign.template_id)
            .where(
                Campaign.subdistrict_id == subdistrict_id,
                CampaignRound.starts_on <= today,
                CampaignRound.ends_on >= today,
            )
            .order_by(col(CampaignRound.ends_on), col(CampaignRound.id))
        )
    )


def mine_clause(user: CurrentUser) -> ColumnElement[bool]:
    """A round's site is an inspector's when given to them by name, or to their team (and to
    no one by name)."""
    cols = effective_columns()
    return or_(
        RoundSite.inspector_id == user.id,
        and_(col(RoundSite.inspector_id).is_(None), cols.team_id.in_(user.team_ids or (-1,))),
    )


T = TypeVar("T")
Running = list[tuple[Campaign, CampaignRound, str]]
_kept = Recent(size=256)


def _kept_for(
    session: Session,
    user: CurrentUser,
    today: date,
    time_zone: str,
    name: str,
    compute: Callable[[Running], T],
) -> T:
    """An inspector's result over the running rounds, kept while none of them changed (see
    coverage.round_version) and the day, the teams and the rounds running are the same."""
    assert user.subdistrict_id is not None
    rounds = running_rounds(session=session, subdistrict_id=user.subdistrict_id, today=today)
    version = tuple(
        (r.id, round_version(session=session, campaign=c, round_=r)) for c, r, _code in rounds
    )
    key = (name, user.id, user.team_ids, today, time_zone)
    return _kept.get(session, key, lambda: compute(rounds), version)


def done_today(*, session: Session, user: CurrentUser, today: date, time_zone: str) -> int:
    """How many of the inspector's sites of running rounds were covered today (by anyone)."""
    if user.role != Role.inspector or user.subdistrict_id is None:
        return 0
    return _kept_for(
        session,
        user,
        today,
        time_zone,
        "done",
        lambda rounds: _done_today(session, user, today, time_zone, rounds),
    )


def _done_today(
    session: Session, user: CurrentUser, today: date, time_zone: str, rounds: Running
) -> int:
    cols = effective_columns()
    total = 0
    for campaign, round_, _code in rounds:
        query = round_sites(campaign, round_, time_zone, func.count()).where(
            cols.state == CoverageState.covered.value,
            RoundSite.covered_on == today,
            mine_clause(user),
        )
        total += session.execute(query).scalar_one()
    return total


def todo(*, session: Session, user: CurrentUser, today: date, time_zone: str) -> list[TodoRow]:
    """The inspector's uncovered sites of running rounds (empty for other roles); the list is
    shared with other requests: never change it."""
    if user.role != Role.inspector or user.subdistrict_id is None:
        return []
    return _kept_for(
        session,
        user,
        today,
        time_zone,
        "todo",
        lambda rounds: _todo(session, user, time_zone, rounds),
    )


def _todo(session: Session, user: CurrentUser, time_zone: str, rounds: Running) -> list[TodoRow]:
    cols = effective_columns()
    parent = aliased(Site)
    mine = mine_clause(user)
    rows: list[TodoRow] = []
    for campaign, round_, code in rounds:
        query = (
            round_sites(
                campaign,
                round_,
                time_zone,
                Site.id,
                Site.name_zh,
                Site.name_en,
                Site.kind,
                Site.address,
                Site.latitude,
                Site.longitude,
                cols.building_id,
                parent.name_zh,
                parent.name_en,
                cols.state,
                RoundSite.outcome,
            )
            .outerjoin(parent, parent.id == cols.building_id)
            .where(
                cols.state != CoverageState.covered.value,
                mine,
                given_to(round_, user.id, user.team_ids or (-1,)),
            )
            .order_by(  # sites outside any building last, on every engine
                parent.name_zh.is_(None),
                parent.name_zh,
                Site.parent_id.is_not(None),
                Site.name_zh,
                Site.id,
            )
            .limit(MAX_TODO)
        )
        for (
            sid,
            zh,
            en,
            kind,
            address,
            lat,
            lon,
            building,
            bzh,
            ben,
            state,
            outcome,
        ) in session.execute(query):
            assert round_.id is not None and campaign.id is not None
            rows.append(
                TodoRow(
                    round_id=round_.id,
                    campaign_id=campaign.id,
                    campaign_name_zh=campaign.name_zh,
                    campaign_name_en=campaign.name_en,
                    template_code=code,
                    round_number=round_.number,
                    round_ends_on=round_.ends_on,
                    site_id=sid,
                    name_zh=zh,
                    name_en=en,
                    kind=SiteKind(kind),
                    address=address,
                    latitude=lat,
                    longitude=lon,
                    building_id=building,
                    building_name_zh=bzh or "",
                    building_name_en=ben or "",
                    state=CoverageState(state),
                    outcome=Outcome(outcome) if outcome else None,
                )
            )
    return rows
