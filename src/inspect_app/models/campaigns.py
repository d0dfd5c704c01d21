"""Campaigns (专项行动): a planned set of sites to cover with one checklist, round by round.

A round's sites are its campaign's scope read when asked (never copied), so a site added later
joins a round that includes late sites. A `RoundSite` row exists only for a site that a round
has touched: reassigned, covered by an inspection, or given an outcome on the spot."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from inspect_app.models.base import EnumString, UTCDateTime, utcnow


class Repeat(StrEnum):
    """How a campaign makes rounds: once (one round over its period), or one per period."""

    once = "once"
    days = "days"
    weeks = "weeks"
    months = "months"


class ScopeKind(StrEnum):
    """Which sites a campaign covers (always within its subdistrict)."""

    everything = "all"
    kinds = "kinds"  # sites of the kinds in `scope_kinds`
    building = "building"  # a building (or park) and its tenants
    team = "team"  # the sites of one team
    sites = "sites"  # an explicit list (`CampaignSite`), also from a CSV


class CoverageState(StrEnum):
    """Where a site stands in a round. `pending` is the state of a site with no row."""

    pending = "pending"
    covered = "covered"
    unreachable = "unreachable"  # refused entry, no one present, closed for the day


class Outcome(StrEnum):
    """What an inspector records on the spot when a site could not be inspected."""

    closed_today = "closed_today"
    closed_down = "closed_down"
    told_to_close = "told_to_close"
    refused = "refused"
    absent = "absent"

    @property
    def covers(self) -> bool:
        """Closed down and told to close count as covered; the others need another visit."""
        return self in COVERING_OUTCOMES


COVERING_OUTCOMES = frozenset({Outcome.closed_down, Outcome.told_to_close})


class Campaign(SQLModel, table=True):
    """A campaign of one subdistrict: what to check (a checklist), where (the scope), when."""

    id: int | None = Field(default=None, primary_key=True)
    subdistrict_id: int = Field(foreign_key="subdistrict.id", index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    template_id: int = Field(foreign_key="checklist_template.id", index=True)
    scope: ScopeKind = Field(sa_type=EnumString(ScopeKind))
    scope_kinds: str = Field(default="", max_length=100)  # comma-separated SiteKind values
    scope_site_id: int | None = Field(default=None, foreign_key="site.id")  # the building
    scope_team_id: int | None = Field(default=None, foreign_key="team.id")
    include_later: bool = False
    starts_on: date
    ends_on: date
    repeat: Repeat = Field(sa_type=EnumString(Repeat), default=Repeat.once)
    repeat_every: int = 1
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CampaignSite(SQLModel, table=True):
    """A site of a campaign whose scope is an explicit list."""

    __tablename__ = "campaign_site"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, index=True)


class CampaignRound(SQLModel, table=True):
    """One pass over the scope in a period (office dates, both ends included)."""

    __tablename__ = "campaign_round"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    number: int
    starts_on: date = Field(index=True)
    ends_on: date = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoundSite(SQLModel, table=True):
    """What a round has done at one site: its assignment, and whether it is covered."""

    __tablename__ = "round_site"
    __table_args__ = (
        Index("ix_round_site_round_state", "round_id", "state"),
        Index("ix_round_site_inspector", "inspector_id", "round_id"),
        Index("ix_round_site_team", "team_id", "round_id"),
        Index("ix_round_site_updated", "round_id", "updated_at"),  # campaigns.coverage
        # SQLite: rows live in the primary key, so a site's state in a round is one lookup
        # (coverage joins every site of a scope to this table).
        {"sqlite_with_rowid": False},
    )

    round_id: int = Field(foreign_key="campaign_round.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True, index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")  # None: the site's team
    inspector_id: int | None = Field(default=None, foreign_key="user.id")
    state: CoverageState = Field(sa_type=EnumString(CoverageState), default=CoverageState.pending)
    outcome: Outcome | None = Field(default=None, sa_type=EnumString(Outcome))
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    failing: bool = False  # the covering inspection failed at least one item
    covered_on: date | None = None  # office date
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteOutcome(SQLModel, table=True):
    """An outcome recorded on the spot (could not inspect), made by the phone under its UUID."""

    __tablename__ = "site_outcome"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    round_id: int = Field(foreign_key="campaign_round.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    outcome: Outcome = Field(sa_type=EnumString(Outcome))
    note: str = Field(default="", max_length=2000)
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
