"""How far a round has got: covered / total by team, building and kind, outcome counts, the
uncovered list, failure rates per measure, the day-by-day progress and the sites' positions.

Totals come from one grouped query over the round's sites (`scope.round_sites`); the rest
read the few rows a round has written (`RoundSite`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from inspect_app.campaigns.scope import PARENT_KINDS, effective_columns, round_sites
from inspect_app.i18n import current_locale, pick
from inspect_app.models import (
    Answer,
    Campaign,
    CampaignRound,
    CoverageState,
    Inspection,
    Outcome,
    Result,
    RoundSite,
    Site,
    SiteKind,
    Team,
    TemplateItem,
    TemplateVersion,
)
from inspect_app.rectifications.recent import Recent

State = CoverageState
T = TypeVar("T")


@dataclass
class Tally:
    """Counts of one group of sites (a team, a building, a kind, or the whole round)."""

    key: int | str | None = None
    label: str = ""
    total: int = 0
    covered: int = 0
    unreachable: int = 0

    @property
    def pending(self) -> int:
        return self.total - self.covered - self.unreachable

    @property
    def uncovered(self) -> int:
        return self.total - self.covered

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)

    def add(self, state: str, n: int) -> None:
        self.total += n
        if state == State.covered:
            self.covered += n
        elif state == State.unreachable:
            self.unreachable += n


def percent(part: int, whole: int) -> int:
    """Whole per cent, rounded down, so 99.6% is not shown as done."""
    return 100 * part // whole if whole else 0


@dataclass
class Coverage:
    whole: Tally
    failing: int
    outcomes: dict[Outcome, int]
    by_team: list[Tally] = field(default_factory=list)
    by_building: list[Tally] = field(default_factory=list)
    by_kind: list[Tally] = field(default_factory=list)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


# Counts and pages of a round, kept per process while nothing they are read from changed (see
# `round_version`), for at most recent.MAX_AGE seconds. Results are shared: never change one.
_kept = Recent(size=128)


def round_version(*, session: Session, campaign: Campaign, round_: CampaignRound) -> tuple:
    """What changes whenever a round's counts may have: the campaign (its scope; `updated_at`
    on every change), the subdistrict's sites (every edit stamps `updated_at`, a new site has a
    higher id) and what the round did at its sites (every write stamps `updated_at`). Each is
    one step down an index. Clocks of several servers may disagree a little: the age limit of
    `Recent` bounds what that could hide."""
    of_sites = Site.subdistrict_id == campaign.subdistrict_id
    newest = (  # each its own subquery: SQLite reads one MAX from an index, not two
        select(func.max(Site.updated_at)).where(of_sites).scalar_subquery(),
        select(func.max(Site.id)).where(of_sites).scalar_subquery(),
        select(func.max(RoundSite.updated_at))
        .where(RoundSite.round_id == round_.id)
        .scalar_subquery(),
    )
    return (campaign.updated_at, *session.execute(select(*newest)).one())


def kept(
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    key: tuple,
    compute: Callable[[], T],
) -> T:
    """`compute()`, or what it gave before while the round's data (`round_version`) and the
    reader's language are the same. Shared between requests: never change the result."""
    version = round_version(session=session, campaign=campaign, round_=round_)
    # Labels (team and building names) are in the reader's language: kept per language.
    return _kept.get(session, (round_.id, current_locale.get(), *key), compute, version)


def coverage(
    *, session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> Coverage:
    """Covered / total of the round, by team, building and kind (see `_count`), kept while the
    round's data stay the same."""
    return kept(
        session,
        campaign,
        round_,
        ("coverage", time_zone),
        lambda: _count(session=session, campaign=campaign, round_=round_, time_zone=time_zone),
    )


def _count(
    *, session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> Coverage:
    """Covered / total of the round, by team, building and kind, from one grouped query: a row
    per team, building and kind (a few hundred for a subdistrict) with the count of each state
    and outcome in it, added up here."""
    cols = effective_columns()
    covered = cols.state == State.covered.value
    query = round_sites(
        campaign,
        round_,
        time_zone,
        cols.team_id,
        cols.building_id,
        Site.kind,
        func.count(),
        _count_if(covered),
        _count_if(cols.state == State.unreachable.value),
        _count_if(and_(covered, col(RoundSite.failing).is_(True))),
        *(_count_if(RoundSite.outcome == o.value) for o in Outcome),
    ).group_by(cols.team_id, cols.building_id, Site.kind)
    whole = Tally()
    teams: dict[int | None, Tally] = {}
    buildings: dict[int | None, Tally] = {}
    kinds: dict[str, Tally] = {}
    by_outcome = [0] * len(Outcome)
    failing = 0
    for row in session.execute(query):
        team_id, building_id, kind, total, n_covered, n_unreachable, n_failing = row[:7]
        kind_value = SiteKind(kind).value
        for tally in (
            whole,
            teams.setdefault(team_id, Tally(key=team_id)),
            buildings.setdefault(building_id, Tally(key=building_id)),
            kinds.setdefault(kind_value, Tally(key=kind_value)),
        ):
            tally.total += total
            tally.covered += n_covered
            tally.unreachable += n_unreachable
        failing += n_failing
        by_outcome = [n + more for n, more in zip(by_outcome, row[7:], strict=True)]
    _name_teams(session, teams)
    _name_buildings(session, campaign.subdistrict_id, buildings)
    return Coverage(
        whole=whole,
        failing=failing,
        outcomes=dict(zip(Outcome, by_outcome, strict=True)),
        by_team=_behind_first(teams.values()),
        by_building=_behind_first(buildings.values()),
        by_kind=sorted(kinds.values(), key=lambda t: str(t.key)),
    )


def _behind_first(tallies) -> list[Tally]:
    """The groups furthest behind first (lowest share covered, then most left)."""
    return sorted(tallies, key=lambda t: (t.percent, -t.uncovered, t.label))


def _name_teams(session: Session, teams: dict[int | None, Tally]) -> None:
    ids = [k for k in teams if k is not None]
    names = {
        t.id: pick(t.name_zh, t.name_en)
        for t in session.exec(select(Team).where(col(Team.id).in_(ids)))
    }
    for key, tally in teams.items():
        tally.label = names.get(key, "") if key is not None else ""


def _name_buildings(
    session: Session, subdistrict_id: int, buildings: dict[int | None, Tally]
) -> None:
    """The names of the subdistrict's buildings and compounds in one indexed read (a few
    hundred); any other parent by id."""
    names: dict[int | None, str] = {
        site_id: pick(zh, en)
        for site_id, zh, en in session.exec(
            select(Site.id, Site.name_zh, Site.name_en).where(
                Site.subdistrict_id == subdistrict_id, col(Site.kind).in_(PARENT_KINDS)
            )
        )
    }
    others = [k for k in buildings if k is not None and k not in names]
    for start in range(0, len(others), 500):
        for site_id, zh, en in session.exec(
            select(Site.id, Site.name_zh, Site.name_en).where(
                col(Site.id).in_(others[start : start + 500])
            )
        ):
            names[site_id] = pick(zh, en)
    for key, tally in buildings.items():
        tally.label = names.get(key, "") if key is not None else ""


# --- the round's sites, one page at a time ---------------------------------------------------


@dataclass(frozen=True)
class RoundSiteRow:
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
    latitude: float | None
    longitude: float | None


STATUS_FILTERS = ("uncovered", "covered", "unreachable", "pending", "all")


def _matching(
    query: Select[Any], status: str, team_id: int | None, building_id: int | None
) -> Select[Any]:
    cols = effective_columns()
    if status == "uncovered":
        query = query.where(cols.state != State.covered.value)
    elif status in ("covered", "unreachable", "pending"):
        query = query.where(cols.state == status)
    if team_id is not None:
        query = query.where(cols.team_id == team_id)
    if building_id is not None:
        query = query.where(cols.building_id == building_id)
    return query


def site_rows(
    *,
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    time_zone: str,
    status: str = "all",
    team_id: int | None = None,
    building_id: int | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[RoundSiteRow], int]:
    """A page of the round's sites (by building, then name) and how many match in all, kept
    while the round's data stay the same."""
    filters = (time_zone, status, team_id, building_id, limit, offset)
    return kept(
        session,
        campaign,
        round_,
        ("sites", *filters),
        lambda: _page(session, campaign, round_, *filters),
    )


def _page(
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    time_zone: str,
    status: str,
    team_id: int | None,
    building_id: int | None,
    limit: int | None,
    offset: int,
) -> tuple[list[RoundSiteRow], int]:
    def sites(*columns: Any) -> Select[Any]:
        return _matching(
            round_sites(campaign, round_, time_zone, *columns), status, team_id, building_id
        )

    cols = effective_columns()
    query = sites(*_row_columns(), func.count().over()).order_by(
        cols.building_id, Site.parent_id.is_not(None), Site.name_zh, Site.id
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows, total = [], 0
    for *values, count in session.execute(query):
        rows.append(_site_row(values))
        total = count
    if not rows and offset:  # past the end: count apart
        total = session.execute(sites(func.count())).scalar_one()
    return rows, total


def _row_columns() -> tuple[Any, ...]:
    cols = effective_columns()
    return (
        Site.id,
        Site.name_zh,
        Site.name_en,
        Site.kind,
        Site.address,
        cols.building_id,
        cols.team_id,
        RoundSite.inspector_id,
        cols.state,
        RoundSite.outcome,
        RoundSite.failing,
        RoundSite.covered_on,
        Site.latitude,
        Site.longitude,
    )


def _site_row(values: Any) -> RoundSiteRow:
    sid, zh, en, kind, address, building, team, inspector, state, outcome, failing, on, lat, lon = (
        values
    )
    return RoundSiteRow(
        site_id=sid,
        name_zh=zh,
        name_en=en,
        kind=SiteKind(kind),
        address=address,
        building_id=building,
        team_id=team,
        inspector_id=inspector,
        state=CoverageState(state),
        outcome=Outcome(outcome) if outcome else None,
        failing=bool(failing),
        covered_on=on,
        latitude=lat,
        longitude=lon,
    )


# --- what the round found -------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureRate:
    item_code: str
    text: str
    failed: int
    applicable: int

    @property
    def percent(self) -> int:
        return percent(self.failed, self.applicable)


def failure_rates(*, session: Session, round_: CampaignRound) -> list[MeasureRate]:
    """Per checklist item: failed / applicable among the inspections that covered the round."""
    counts = session.exec(
        select(Answer.item_code, Answer.result, func.count())
        .join(RoundSite, RoundSite.inspection_id == Answer.inspection_id)
        .where(RoundSite.round_id == round_.id, Answer.result != Result.na)
        .group_by(Answer.item_code, Answer.result)
    ).all()
    failed: Counter[str] = Counter()
    applicable: Counter[str] = Counter()
    for code, result, n in counts:
        applicable[code] += n
        if result == Result.failed:
            failed[code] += n
    texts = _item_texts(session, round_, set(applicable))
    rates = [
        MeasureRate(code, texts.get(code, code), failed[code], applicable[code])
        for code in applicable
    ]
    return sorted(rates, key=lambda r: (-r.percent, r.item_code))


def _item_texts(session: Session, round_: CampaignRound, codes: set[str]) -> dict[str, str]:
    """The items' texts in the newest version used by the round's inspections."""
    if not codes:
        return {}
    versions = (
        select(Inspection.version_id)
        .join(RoundSite, RoundSite.inspection_id == Inspection.id)
        .where(RoundSite.round_id == round_.id)
    )
    texts: dict[str, str] = {}
    for code, zh, en in session.exec(
        select(TemplateItem.code, TemplateItem.text_zh, TemplateItem.text_en)
        .join(TemplateVersion, TemplateVersion.id == TemplateItem.version_id)
        .where(col(TemplateItem.version_id).in_(versions), col(TemplateItem.code).in_(codes))
        .order_by(TemplateVersion.version)
    ):
        texts[code] = pick(zh, en)
    return texts


def progress(
    *, session: Session, round_: CampaignRound, total: int, today: date
) -> list[tuple[date, int, float]]:
    """(day, covered so far, even pace) for each day of the round up to today."""
    per_day = dict(
        session.exec(
            select(RoundSite.covered_on, func.count())
            .where(RoundSite.round_id == round_.id, RoundSite.state == State.covered)
            .group_by(RoundSite.covered_on)
        ).all()
    )
    days = (round_.ends_on - round_.starts_on).days + 1
    last = min(today, round_.ends_on)
    series = []
    running = sum(n for d, n in per_day.items() if d is not None and d < round_.starts_on)
    day = round_.starts_on
    while day <= last:
        running += per_day.get(day, 0)
        elapsed = (day - round_.starts_on).days + 1
        series.append((day, running, total * elapsed / days))
        day += timedelta(days=1)
    return series


def failing_again(
    *, session: Session, earlier: CampaignRound, later: CampaignRound
) -> list[tuple[int, str]]:
    """Sites whose covering inspection failed in both rounds (round 2 beside round 1)."""
    first = select(RoundSite.site_id).where(
        RoundSite.round_id == earlier.id, col(RoundSite.failing).is_(True)
    )
    rows = session.exec(
        select(Site.id, Site.name_zh, Site.name_en)
        .join(RoundSite, RoundSite.site_id == Site.id)
        .where(
            RoundSite.round_id == later.id,
            col(RoundSite.failing).is_(True),
            col(Site.id).in_(first),
        )
        .order_by(Site.name_zh)
    ).all()
    return [(int(sid or 0), pick(zh, en)) for sid, zh, en in rows]


def round_totals(
    *, session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> Tally:
    """Covered / unreachable / total of a round (one grouped query), kept like `coverage`."""
    return kept(
        session,
        campaign,
        round_,
        ("totals", time_zone),
        lambda: _totals(session, campaign, round_, time_zone),
    )


def _totals(session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str) -> Tally:
    cols = effective_columns()
    tally = Tally()
    query = round_sites(campaign, round_, time_zone, cols.state, func.count()).group_by(cols.state)
    for state, n in session.execute(query):
        tally.add(state, n)
    return tally
