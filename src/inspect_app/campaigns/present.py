"""Campaigns, rounds and coverage as the API shapes (the pages read the same values)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from inspect_app.campaigns import coverage, service
from inspect_app.campaigns.schemas import (
    CampaignOut,
    CountOut,
    CoverageOut,
    RoundOut,
    RoundSiteOut,
    RoundStatus,
    TodoOut,
)
from inspect_app.campaigns.todo import TodoRow
from inspect_app.labels import kind as kind_label
from inspect_app.models import Campaign, CampaignRound, ChecklistTemplate, SiteKind


def round_out(
    *,
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    today: date,
    time_zone: str,
    totals: coverage.Tally | None = None,
) -> RoundOut:
    """The round and its totals (`totals`, when the caller has counted them already)."""
    status = service.round_status(round_, today)
    if status == RoundStatus.upcoming:
        tally = coverage.Tally()
    else:
        tally = totals or coverage.round_totals(
            session=session, campaign=campaign, round_=round_, time_zone=time_zone
        )
    assert round_.id is not None
    return RoundOut(
        id=round_.id,
        campaign_id=round_.campaign_id,
        number=round_.number,
        starts_on=round_.starts_on,
        ends_on=round_.ends_on,
        status=status,
        total=tally.total,
        covered=tally.covered,
        percent=tally.percent,
        missed=tally.uncovered if status == RoundStatus.ended else 0,
    )


def campaign_out(
    *, session: Session, campaign: Campaign, today: date, time_zone: str
) -> CampaignOut:
    rounds = service.rounds_of(session=session, campaign=campaign)
    current = service.current_round(rounds, today)
    template = session.get_one(ChecklistTemplate, campaign.template_id)
    assert campaign.id is not None
    return CampaignOut(
        id=campaign.id,
        subdistrict_id=campaign.subdistrict_id,
        name_zh=campaign.name_zh,
        name_en=campaign.name_en,
        template_code=template.code,
        scope=campaign.scope,
        scope_kinds=[SiteKind(k) for k in campaign.scope_kinds.split(",") if k],
        building_id=campaign.scope_site_id,
        team_id=campaign.scope_team_id,
        listed_sites=service.listed_count(session=session, campaign=campaign),
        include_later=campaign.include_later,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        repeat=campaign.repeat,
        repeat_every=campaign.repeat_every,
        current_round=(
            round_out(
                session=session,
                campaign=campaign,
                round_=current,
                today=today,
                time_zone=time_zone,
            )
            if current
            else None
        ),
        created_at=campaign.created_at,
    )


def count_out(tally: coverage.Tally, *, label: str | None = None) -> CountOut:
    return CountOut(
        key=tally.key,
        label=tally.label if label is None else label,
        total=tally.total,
        covered=tally.covered,
        unreachable=tally.unreachable,
        pending=tally.pending,
        percent=tally.percent,
    )


def coverage_out(round_: RoundOut, found: coverage.Coverage) -> CoverageOut:
    whole = found.whole
    return CoverageOut(
        round=round_,
        total=whole.total,
        covered=whole.covered,
        unreachable=whole.unreachable,
        pending=whole.pending,
        percent=whole.percent,
        failing=found.failing,
        outcomes=found.outcomes,
        by_team=[count_out(t) for t in found.by_team],
        by_building=[count_out(t) for t in found.by_building],
        by_kind=[count_out(t, label=kind_label(str(t.key))) for t in found.by_kind],
    )


def round_site_out(row: coverage.RoundSiteRow, round_: CampaignRound, today: date) -> RoundSiteOut:
    covered = row.state == "covered"
    return RoundSiteOut(
        site_id=row.site_id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        kind=row.kind,
        address=row.address,
        building_id=row.building_id,
        team_id=row.team_id,
        inspector_id=row.inspector_id,
        state=row.state,
        outcome=row.outcome,
        failing=row.failing,
        covered_on=row.covered_on,
        days_left=None if covered else (round_.ends_on - today).days,
    )


def todo_out(row: TodoRow, today: date) -> TodoOut:
    return TodoOut(
        round_id=row.round_id,
        campaign_id=row.campaign_id,
        campaign_name_zh=row.campaign_name_zh,
        campaign_name_en=row.campaign_name_en,
        template_code=row.template_code,
        round_number=row.round_number,
        round_ends_on=row.round_ends_on,
        days_left=row.days_left(today),
        site_id=row.site_id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        kind=row.kind,
        address=row.address,
        latitude=row.latitude,
        longitude=row.longitude,
        building_id=row.building_id,
        building_name_zh=row.building_name_zh,
        building_name_en=row.building_name_en,
        state=row.state,
        outcome=row.outcome,
    )
