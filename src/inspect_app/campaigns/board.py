"""What the campaign pages read besides the API's shapes: the coverage board of a round (the
same `coverage.coverage` the API sends, plus failure rates, progress, positions and the round
before it), a page of its sites with the names they show, and the choices of the forms (teams,
buildings, inspectors). Everything is read for the office of the campaign's subdistrict, after
`service.get_campaign` / `service.get_round` checked access."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from inspect_app import labels
from inspect_app.campaigns import charts, coverage, service
from inspect_app.campaigns.schemas import AssignmentIn, RoundStatus
from inspect_app.campaigns.scope import effective_columns, round_sites
from inspect_app.i18n import localized, pick
from inspect_app.models import (
    Campaign,
    CampaignRound,
    ChecklistTemplate,
    CoverageState,
    Role,
    RoundSite,
    ScopeKind,
    Site,
    SiteKind,
    Team,
    TeamMember,
    User,
)

# How a site is drawn on the plot: its state, with "failing" for a covered site that failed.
Point = tuple[float, float, str]
FAILING = "failing"


@dataclass(frozen=True)
class Beside:
    """The round before this one, for "round N beside round N-1"."""

    round_: CampaignRound
    whole: coverage.Tally
    failing: int
    again: list[tuple[int, str]]  # sites that failed in both rounds: (id, name)


@dataclass
class Board:
    campaign: Campaign
    round_: CampaignRound
    status: RoundStatus
    today: date
    found: coverage.Coverage
    rates: list[coverage.MeasureRate]
    series: list[tuple[date, int, float]]
    points: list[Point]
    unplaced: int  # sites without coordinates (not on the plot)
    beside: Beside | None
    rounds: list[CampaignRound] = field(default_factory=list)
    site_map: str = ""  # the SVG plot of `points` (charts.map_svg)

    @property
    def days_left(self) -> int:
        return (self.round_.ends_on - self.today).days

    def _numbered(self, number: int) -> CampaignRound | None:
        return next((r for r in self.rounds if r.number == number), None)

    @property
    def earlier(self) -> CampaignRound | None:
        return self._numbered(self.round_.number - 1)

    @property
    def later(self) -> CampaignRound | None:
        return self._numbered(self.round_.number + 1)

    @property
    def point_counts(self) -> Counter[str]:
        return Counter(state for _lat, _lon, state in self.points)

    @property
    def behind_pace(self) -> int:
        """Sites the round is behind an even pace today (negative: ahead)."""
        if not self.series:
            return 0
        _day, covered, pace = self.series[-1]
        return int(pace) - covered


def board(
    *, session: Session, campaign: Campaign, round_: CampaignRound, today: date, time_zone: str
) -> Board:
    found = coverage.coverage(
        session=session, campaign=campaign, round_=round_, time_zone=time_zone
    )
    for tally in found.by_kind:
        tally.label = labels.kind(str(tally.key))
    status = service.round_status(round_, today)
    rounds = service.rounds_of(session=session, campaign=campaign)
    # What reads every site or every answer of the round is kept while the round's data stay
    # the same (coverage.kept): a district's board is read again and again between visits.
    points, unplaced, site_map = coverage.kept(
        session,
        campaign,
        round_,
        ("points", time_zone),
        lambda: _placed(session, campaign, round_, time_zone),
    )
    rates = coverage.kept(
        session,
        campaign,
        round_,
        ("rates",),
        lambda: coverage.failure_rates(session=session, round_=round_),
    )
    return Board(
        campaign=campaign,
        round_=round_,
        status=status,
        today=today,
        found=found,
        rates=rates,
        series=(
            coverage.progress(session=session, round_=round_, total=found.whole.total, today=today)
            if status != RoundStatus.upcoming
            else []
        ),
        points=points,
        unplaced=unplaced,
        beside=_beside(session, campaign, round_, rounds, time_zone),
        rounds=rounds,
        site_map=site_map,
    )


def _placed(
    session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> tuple[list[Point], int, str]:
    points, unplaced = positions(
        session=session, campaign=campaign, round_=round_, time_zone=time_zone
    )
    return points, unplaced, charts.map_svg(points)


def positions(
    *, session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> tuple[list[Point], int]:
    """Where each site of the round is and how it stands; and how many have no position."""
    cols = effective_columns()
    query = round_sites(
        campaign, round_, time_zone, Site.latitude, Site.longitude, cols.state, RoundSite.failing
    )
    points: list[Point] = []
    unplaced = 0
    for lat, lon, state, failing in session.execute(query):
        if lat is None or lon is None:
            unplaced += 1
        else:
            points.append(
                (lat, lon, FAILING if state == CoverageState.covered and failing else state)
            )
    return points, unplaced


def _beside(
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    rounds: list[CampaignRound],
    time_zone: str,
) -> Beside | None:
    earlier = next((r for r in rounds if r.number == round_.number - 1), None)
    if earlier is None:
        return None
    found = coverage.coverage(
        session=session, campaign=campaign, round_=earlier, time_zone=time_zone
    )
    earlier_version = coverage.round_version(session=session, campaign=campaign, round_=earlier)
    again = coverage.kept(
        session,
        campaign,
        round_,
        ("again", earlier.id, earlier_version),
        lambda: coverage.failing_again(session=session, earlier=earlier, later=round_),
    )
    return Beside(round_=earlier, whole=found.whole, failing=found.failing, again=again)


# --- names and choices ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def teams(
    *, session: Session, subdistrict_id: int | None, active_only: bool = False
) -> list[Choice]:
    """The teams of a subdistrict (None: of every one, for a city-wide account)."""
    query = select(Team).order_by(Team.id)
    if subdistrict_id is not None:
        query = query.where(Team.subdistrict_id == subdistrict_id)
    if active_only:
        query = query.where(col(Team.active).is_(True))
    return [Choice(t.id, localized(t, "name")) for t in session.exec(query) if t.id is not None]


def buildings(*, session: Session, subdistrict_id: int | None) -> list[Choice]:
    """The buildings and compounds a campaign may cover (with their tenants)."""
    query = select(Site).where(
        col(Site.active).is_(True), col(Site.kind).in_([SiteKind.building, SiteKind.compound])
    )
    if subdistrict_id is not None:
        query = query.where(Site.subdistrict_id == subdistrict_id)
    rows = session.exec(query.order_by(Site.name_zh))
    return [Choice(s.id, localized(s, "name")) for s in rows if s.id is not None]


def inspectors(*, session: Session, subdistrict_id: int) -> list[Choice]:
    """Active inspectors of the subdistrict, each with the teams they are in."""
    rows = session.exec(
        select(User, Team)
        .join(TeamMember, col(TeamMember.user_id) == User.id, isouter=True)
        .join(Team, col(Team.id) == TeamMember.team_id, isouter=True)
        .where(
            User.role == Role.inspector,
            col(User.active).is_(True),
            User.subdistrict_id == subdistrict_id,
        )
        .order_by(User.username, Team.id)
    )
    names: dict[int, str] = {}
    team_names: dict[int, list[str]] = {}
    for user, team in rows:
        assert user.id is not None
        names[user.id] = user.display_name or user.username
        if team is not None:
            team_names.setdefault(user.id, []).append(localized(team, "name"))
    return [
        Choice(uid, f"{name} · {', '.join(team_names[uid])}" if uid in team_names else name)
        for uid, name in names.items()
    ]


def target_name(*, session: Session, data: AssignmentIn) -> str:
    """The team or inspector sites were given to, as the result message names them."""
    if data.to_team_id is not None:
        team = session.get(Team, data.to_team_id)
        return localized(team, "name") if team else ""
    names = person_names(session=session, user_ids={data.to_inspector_id or 0})
    return names.get(data.to_inspector_id or 0, "")


def person_names(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(select(User).where(col(User.id).in_(sorted(user_ids))))
    return {u.id: u.display_name or u.username for u in rows if u.id is not None}


def site_names(*, session: Session, site_ids: set[int]) -> dict[int, str]:
    if not site_ids:
        return {}
    rows = session.exec(
        select(Site.id, Site.name_zh, Site.name_en).where(col(Site.id).in_(sorted(site_ids)))
    )
    return {sid: pick(zh, en) for sid, zh, en in rows if sid is not None}


@dataclass(frozen=True)
class ListFilter:
    """Which of a round's sites the list shows, and which page of them."""

    status: str = "uncovered"  # one of coverage.STATUS_FILTERS
    team_id: int | None = None
    building_id: int | None = None
    page: int = 1
    page_size: int | None = None  # None: all of them (an export)

    @property
    def query(self) -> str:
        """The filters as a query string (without the page)."""
        sent = {"status": self.status, "team_id": self.team_id, "building_id": self.building_id}
        return urlencode({k: v for k, v in sent.items() if v is not None})


@dataclass(frozen=True)
class SitePage:
    """A page of a round's sites and the names its rows show."""

    rows: list[coverage.RoundSiteRow]
    total: int
    teams: dict[int, str]
    buildings: dict[int, str]
    people: dict[int, str]


def site_page(
    *,
    session: Session,
    campaign: Campaign,
    round_: CampaignRound,
    time_zone: str,
    f: ListFilter,
) -> SitePage:
    rows, total = coverage.site_rows(
        session=session,
        campaign=campaign,
        round_=round_,
        time_zone=time_zone,
        status=f.status,
        team_id=f.team_id,
        building_id=f.building_id,
        limit=f.page_size,
        offset=(f.page - 1) * (f.page_size or 0),
    )
    team_names = {
        c.id: c.label for c in teams(session=session, subdistrict_id=campaign.subdistrict_id)
    }
    return SitePage(
        rows=rows,
        total=total,
        teams=team_names,
        buildings=site_names(
            session=session, site_ids={r.building_id for r in rows if r.building_id}
        ),
        people=person_names(
            session=session, user_ids={r.inspector_id for r in rows if r.inspector_id}
        ),
    )


# --- what a campaign is ---------------------------------------------------------------------


def facts(*, session: Session, campaign: Campaign) -> dict[str, object]:
    """What a campaign checks and where, as its pages say it."""
    return {
        "checklist": checklist_title(session=session, campaign=campaign),
        "scope_detail": scope_detail(session=session, campaign=campaign),
        "listed": service.listed_count(session=session, campaign=campaign),
    }


def template_code(*, session: Session, campaign: Campaign) -> str:
    template = session.get(ChecklistTemplate, campaign.template_id)
    return template.code if template else ""


def checklist_title(*, session: Session, campaign: Campaign) -> str:
    template = session.get(ChecklistTemplate, campaign.template_id)
    return localized(template, "title") if template else ""


def scope_detail(*, session: Session, campaign: Campaign) -> str:
    """The scope's particulars: the kinds, the building or the team it names ('' for all)."""
    if campaign.scope == ScopeKind.kinds:
        return ", ".join(labels.kind(k) for k in campaign.scope_kinds.split(",") if k)
    if campaign.scope == ScopeKind.building and campaign.scope_site_id:
        return site_names(session=session, site_ids={campaign.scope_site_id}).get(
            campaign.scope_site_id, ""
        )
    if campaign.scope == ScopeKind.team and campaign.scope_team_id:
        team = session.get(Team, campaign.scope_team_id)
        return localized(team, "name") if team else ""
    return ""
