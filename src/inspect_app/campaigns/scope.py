"""Which sites a round covers, as SQL: the campaign's scope read when asked (never copied), the
site's own team unless the round reassigned it, and its building (tenants under it).

Every coverage read, the to do list and the bulk reassignment select from `round_sites`, so
they agree on what "the sites of a round" are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    union,
)
from sqlalchemy.sql import Select

from inspect_app.models import (
    Campaign,
    CampaignRound,
    CampaignSite,
    CoverageState,
    RoundSite,
    ScopeKind,
    Site,
    SiteKind,
)

PARENT_KINDS = (SiteKind.building, SiteKind.compound)


def round_start_utc(round_: CampaignRound, time_zone: str) -> datetime:
    """The first moment of the round's first day in the office's zone, in UTC."""
    start = datetime.combine(round_.starts_on, time.min, tzinfo=ZoneInfo(time_zone))
    return start.astimezone(UTC)


def scope_clause(campaign: Campaign) -> list[ColumnElement[bool]]:
    """WHERE clauses for the sites of the campaign's scope (within its subdistrict)."""
    where: list[ColumnElement[bool]] = [Site.subdistrict_id == campaign.subdistrict_id]
    if campaign.scope == ScopeKind.kinds:
        kinds = [k for k in campaign.scope_kinds.split(",") if k]
        where.append(Site.kind.in_(kinds) if kinds else false())
    elif campaign.scope == ScopeKind.building:
        building = campaign.scope_site_id
        where.append(or_(Site.id == building, Site.parent_id == building))
    elif campaign.scope == ScopeKind.team:
        where.append(Site.team_id == campaign.scope_team_id)
    elif campaign.scope == ScopeKind.sites:
        listed = select(CampaignSite.site_id).where(CampaignSite.campaign_id == campaign.id)
        where.append(Site.id.in_(listed))
    return where


def _constant(value: str) -> ColumnElement[str]:
    """One of our own enum values written into the SQL, not bound: PostgreSQL takes an
    expression in GROUP BY as the same as in SELECT only when it is written the same, and two
    bound parameters are two different placeholders."""
    assert value.isidentifier()
    return literal_column(f"'{value}'")


def building_of() -> ColumnElement[int | None]:
    """A site's building for the coverage tables: its parent, itself when it is a building or a
    compound, else none (a street shop)."""
    return case(
        (Site.parent_id.is_not(None), Site.parent_id),
        (Site.kind.in_([_constant(k.value) for k in PARENT_KINDS]), Site.id),
        else_=null(),
    )


@dataclass(frozen=True)
class RoundColumns:
    """The columns `round_sites` adds to Site's: the round's view of each site."""

    team_id: ColumnElement[int | None]
    state: ColumnElement[str]
    building_id: ColumnElement[int | None]


def effective_columns() -> RoundColumns:
    return RoundColumns(
        team_id=func.coalesce(RoundSite.team_id, Site.team_id),
        state=func.coalesce(RoundSite.state, _constant(CoverageState.pending.value)),
        building_id=building_of(),
    )


def given_to(round_: CampaignRound, user_id: int, team_ids: tuple[int, ...]) -> ColumnElement[bool]:
    """A first cut, by index, of the sites a round may give to an inspector: their teams' own
    sites and those the round reassigned to them or to their teams. The to do list applies the
    exact rule on top; this keeps it from reading every site of the subdistrict."""
    own = select(Site.id).where(Site.team_id.in_(team_ids))
    reassigned = select(RoundSite.site_id).where(
        RoundSite.round_id == round_.id,
        or_(RoundSite.inspector_id == user_id, RoundSite.team_id.in_(team_ids)),
    )
    return Site.id.in_(union(own, reassigned))


def round_sites(
    campaign: Campaign, round_: CampaignRound, time_zone: str, *columns: Any
) -> Select[Any]:
    """SELECT `columns` FROM the round's sites LEFT JOIN what the round did there.

    A site belongs to a round when it is in the scope and active (or the round touched it
    before it was closed), and, unless the campaign includes sites added later, it existed when
    the round began (or was planned, if later)."""
    cutoff = max(round_start_utc(round_, time_zone), round_.created_at)
    query = (
        select(*columns)
        .select_from(Site)
        .outerjoin(RoundSite, and_(RoundSite.site_id == Site.id, RoundSite.round_id == round_.id))
        .where(*scope_clause(campaign), or_(Site.active.is_(True), RoundSite.site_id.is_not(None)))
    )
    if not campaign.include_later:
        query = query.where(or_(Site.created_at <= cutoff, RoundSite.site_id.is_not(None)))
    return query
