"""API shapes for campaigns, rounds, coverage, assignments, outcomes and the to do list."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from inspect_app.bounds import Id, OptionalId, column_length
from inspect_app.campaigns.periods import MAX_EVERY
from inspect_app.models import (
    Campaign,
    ChecklistTemplate,
    CoverageState,
    Outcome,
    Repeat,
    ScopeKind,
    Site,
    SiteKind,
    SiteOutcome,
)

MAX_LISTED_SITES = 20_000  # an explicit list or a CSV: far beyond a district's buildings
MAX_OUTCOME_PHOTOS = 10
NAME_MAX = column_length(Campaign, "name_zh")
REF_MAX = column_length(Site, "name_zh")


class CampaignIn(BaseModel):
    """A new campaign. `scope` picks which of the scope fields count: `kinds` (scope_kinds),
    `building` (building_id: a building or compound and its tenants), `team` (team_id), `sites`
    (site_ids and/or site_refs: names or unified social credit codes, as from a CSV), `all`."""

    name_zh: str = Field(min_length=1, max_length=NAME_MAX)
    name_en: str = Field(default="", max_length=NAME_MAX)
    template_code: str = Field(max_length=column_length(ChecklistTemplate, "code"))
    scope: ScopeKind
    scope_kinds: list[SiteKind] = Field(default_factory=list, max_length=len(SiteKind))
    building_id: OptionalId = None
    team_id: OptionalId = None
    site_ids: list[Id] = Field(default_factory=list, max_length=MAX_LISTED_SITES)
    site_refs: list[Annotated[str, Field(max_length=REF_MAX)]] = Field(
        default_factory=list, max_length=MAX_LISTED_SITES
    )
    include_later: bool = Field(
        default=False, description="Sites added to the scope after a round began join it"
    )
    starts_on: date
    ends_on: date
    repeat: Repeat = Repeat.once
    repeat_every: int = Field(default=1, ge=1, le=MAX_EVERY)
    subdistrict_id: OptionalId = Field(
        default=None, description="Only for city-wide accounts; others plan their own"
    )


class CampaignPatch(BaseModel):
    """Changes to a campaign; a field left out keeps its value. The checklist, the start and
    the recurrence may change only until the first round begins."""

    name_zh: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    name_en: str | None = Field(default=None, max_length=NAME_MAX)
    template_code: str | None = Field(
        default=None, max_length=column_length(ChecklistTemplate, "code")
    )
    include_later: bool | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    repeat: Repeat | None = None
    repeat_every: int | None = Field(default=None, ge=1, le=MAX_EVERY)


class RoundIn(BaseModel):
    """Another round of a one-off campaign over the same scope ("round 2")."""

    starts_on: date
    ends_on: date


class RoundStatus(StrEnum):
    upcoming = "upcoming"
    running = "running"
    ended = "ended"


class RoundOut(BaseModel):
    id: int
    campaign_id: int
    number: int
    starts_on: date
    ends_on: date
    status: RoundStatus
    total: int = Field(description="Sites in the round")
    covered: int
    percent: int = Field(description="Covered, in whole per cent of the total")
    missed: int = Field(description="Sites not covered by the end of an ended round; else 0")


class CampaignOut(BaseModel):
    id: int
    subdistrict_id: int
    name_zh: str
    name_en: str
    template_code: str
    scope: ScopeKind
    scope_kinds: list[SiteKind]
    building_id: int | None
    team_id: int | None
    listed_sites: int = Field(description="Sites of an explicit list (scope `sites`)")
    include_later: bool
    starts_on: date
    ends_on: date
    repeat: Repeat
    repeat_every: int
    current_round: RoundOut | None = Field(description="The running round, else the last")
    created_at: datetime


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    total: int


class CountOut(BaseModel):
    key: int | str | None = Field(description="The team id, building id or site kind")
    label: str
    total: int
    covered: int
    unreachable: int
    pending: int
    percent: int


class CoverageOut(BaseModel):
    round: RoundOut
    total: int
    covered: int
    unreachable: int = Field(description="Refused entry, no one present, closed for the day")
    pending: int
    percent: int
    failing: int = Field(description="Covered by an inspection with at least one failed item")
    outcomes: dict[Outcome, int]
    by_team: list[CountOut]
    by_building: list[CountOut]
    by_kind: list[CountOut]


class RoundSiteOut(BaseModel):
    site_id: int
    name_zh: str
    name_en: str
    kind: SiteKind
    address: str
    building_id: int | None
    team_id: int | None
    inspector_id: int | None
    state: CoverageState
    outcome: Outcome | None
    failing: bool
    covered_on: date | None
    days_left: int | None = Field(description="Days until the round ends; None once covered")


class RoundSitePage(BaseModel):
    items: list[RoundSiteOut]
    total: int
    limit: int
    offset: int


class AssignmentIn(BaseModel):
    """Reassign sites of a round: those named (`site_ids`), or those matching the filter
    (building, kind, current team; all of the round when none is given), to a team or to a
    named inspector (exactly one of `to_team_id`, `to_inspector_id`)."""

    site_ids: list[Id] = Field(default_factory=list, max_length=MAX_LISTED_SITES)
    building_id: OptionalId = None
    kind: SiteKind | None = None
    team_id: OptionalId = None
    to_team_id: OptionalId = None
    to_inspector_id: OptionalId = None


class AssignmentOut(BaseModel):
    changed: int


class OutcomeIn(BaseModel):
    site_id: Id
    outcome: Outcome
    note: str = Field(default="", max_length=column_length(SiteOutcome, "note"))
    photo_ids: list[Annotated[str, Field(max_length=36)]] = Field(
        default_factory=list, max_length=MAX_OUTCOME_PHOTOS
    )
    recorded_at: datetime | None = Field(
        default=None, description="When it was recorded on the phone (offline: earlier)"
    )


class OutcomeOut(BaseModel):
    uuid: str
    round_id: int
    site_id: int
    outcome: Outcome
    covers: bool = Field(description="Closed down and told to close count as covered")
    note: str
    photo_ids: list[str]
    recorded_at: datetime


class TodoOut(BaseModel):
    round_id: int
    campaign_id: int
    campaign_name_zh: str
    campaign_name_en: str
    template_code: str
    round_number: int
    round_ends_on: date
    days_left: int
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
    state: CoverageState = Field(description="pending, or unreachable: visit again")
    outcome: Outcome | None


class TodoPage(BaseModel):
    items: list[TodoOut]
    total: int
    done_today: int = Field(
        default=0, description="The inspector's sites of running rounds covered today"
    )


LIMIT_MAX = 200
