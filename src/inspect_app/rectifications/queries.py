"""Read side of rectification: the filtered list (and its exports), the owner's list, the
inspector's "today", and the supervisors' overdue board."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.models import (
    ChecklistTemplate,
    Inspection,
    Rectification,
    RectificationStatus,
    Severity,
    Site,
    SiteKind,
    Team,
    TemplateItem,
    TemplateVersion,
)
from inspect_app.sites.service import site_scope

Status = RectificationStatus
ACTIVE = (Status.open, Status.fix_reported)
AGE_BUCKETS = (("1-3", 1, 3), ("4-7", 4, 7), ("8-14", 8, 14), ("15+", 15, None))
SORTS = {
    "deadline": (Rectification.deadline, Rectification.id),
    "-deadline": (Rectification.deadline.desc(), Rectification.id.desc()),
    "created": (Rectification.created_at, Rectification.id),
    "-created": (Rectification.created_at.desc(), Rectification.id.desc()),
    "site": (Site.name_zh, Rectification.deadline),
    "severity": (
        case({"high": 0, "medium": 1, "low": 2}, value=Rectification.severity),
        Rectification.deadline,
    ),
}


@dataclass(frozen=True)
class ItemFilter:
    """Every filter of the list; the same object drives the page, the API and the exports."""

    status: str = ""
    overdue: bool = False
    site_id: int | None = None
    team_id: int | None = None
    site_kind: str = ""
    template: str = ""
    item: str = ""
    severity: str = ""
    deadline_from: date | None = None
    deadline_to: date | None = None
    overdue_min: int | None = None
    overdue_max: int | None = None
    sort: str = "deadline"

    def query_string(self, **changes) -> str:
        from urllib.parse import urlencode

        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return urlencode(
            {
                k: ("true" if v is True else v)
                for k, v in values.items()
                if v not in (None, "", False) and not (k == "sort" and v == "deadline")
            }
        )


@dataclass
class Row:
    """One rectification item with what a list needs to show about it."""

    item: Rectification
    site: Site
    template_code: str
    text_zh: str
    text_en: str
    guidance_zh: str = ""
    guidance_en: str = ""
    team: Team | None = None
    extra: dict = field(default_factory=dict)


def _base(user: CurrentUser):
    return (
        select(Rectification, Site, TemplateItem, ChecklistTemplate, Team)
        .join(Site, Site.id == Rectification.site_id)
        .join(Inspection, Inspection.id == Rectification.inspection_id)
        .join(TemplateVersion, TemplateVersion.id == Inspection.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .join(
            TemplateItem,
            and_(
                TemplateItem.version_id == Inspection.version_id,
                TemplateItem.code == Rectification.item_code,
            ),
        )
        .outerjoin(Team, Team.id == Site.team_id)
        .where(*site_scope(user))
    )


def _conditions(f: ItemFilter, today: date) -> list:
    where = []
    if f.status in Status.__members__:
        where.append(Rectification.status == Status(f.status))
    elif f.status == "active":
        where.append(Rectification.status.in_(ACTIVE))
    if f.overdue:
        where += [Rectification.status.in_(ACTIVE), Rectification.deadline < today]
    if f.overdue_min is not None:
        where.append(Rectification.deadline <= today - timedelta(days=f.overdue_min))
    if f.overdue_max is not None:
        where.append(Rectification.deadline >= today - timedelta(days=f.overdue_max))
    if f.site_id is not None:
        where.append(Rectification.site_id == f.site_id)
    if f.team_id is not None:
        where.append(Site.team_id == f.team_id)
    if f.site_kind in SiteKind.__members__:
        where.append(Site.kind == SiteKind(f.site_kind))
    if f.template:
        where.append(ChecklistTemplate.code == f.template)
    if f.item:
        where.append(Rectification.item_code == f.item)
    if f.severity in Severity.__members__:
        where.append(Rectification.severity == Severity(f.severity))
    if f.deadline_from:
        where.append(Rectification.deadline >= f.deadline_from)
    if f.deadline_to:
        where.append(Rectification.deadline <= f.deadline_to)
    return where


def _rows(result) -> list[Row]:
    return [
        Row(
            item=r,
            site=s,
            template_code=t.code,
            text_zh=i.text_zh,
            text_en=i.text_en,
            guidance_zh=i.guidance_zh,
            guidance_en=i.guidance_en,
            team=team,
        )
        for r, s, i, t, team in result
    ]


def list_items(
    *,
    session: Session,
    user: CurrentUser,
    f: ItemFilter,
    today: date,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """A page of the filtered, sorted list and the total; limit=None gives every row (exports)."""
    where = _conditions(f, today)
    base = _base(user).where(*where)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    stmt = base.order_by(*SORTS.get(f.sort, SORTS["deadline"]))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return _rows(session.exec(stmt)), total


def owner_items(*, session: Session, user: CurrentUser, today: date) -> list[Row]:
    """An owner's active items: overdue first, then by deadline."""
    stmt = (
        _base(user)
        .where(Rectification.status.in_(ACTIVE))
        .order_by(
            case((Rectification.deadline < today, 0), else_=1),
            Rectification.deadline,
            Rectification.id,
        )
    )
    return _rows(session.exec(stmt))


@dataclass
class DueSite:
    site: Site
    fix_reported: int
    overdue: int
    oldest_deadline: date


def inspector_today(*, session: Session, user: CurrentUser, today: date) -> list[DueSite]:
    """My teams' sites with items to verify (reported fixed, or overdue), most urgent first."""
    due = or_(
        Rectification.status == Status.fix_reported,
        and_(Rectification.status == Status.open, Rectification.deadline < today),
    )
    stmt = (
        select(
            Site,
            func.sum(case((Rectification.status == Status.fix_reported, 1), else_=0)),
            func.sum(case((Rectification.deadline < today, 1), else_=0)),
            func.min(Rectification.deadline),
        )
        .join(Rectification, Rectification.site_id == Site.id)
        .where(*site_scope(user), due)
        .group_by(Site.id)
        .order_by(func.min(Rectification.deadline), Site.id)
    )
    return [
        DueSite(site, int(fr or 0), int(od or 0), oldest)
        for site, fr, od, oldest in session.exec(stmt)
    ]


# --- the overdue board ----------------------------------------------------------------------


@dataclass
class Board:
    active: int
    overdue: int
    by_team: list[tuple[int | None, str, str, int]]
    by_site: list[tuple[int, str, str, int]]
    by_item: list[tuple[str, str, str, str, int]]
    by_age: list[tuple[str, int | None, int | None, int]]
    series: list[tuple[date, int, int]]


def board(
    *, session: Session, user: CurrentUser, today: date, time_zone: str, days: int = 30
) -> Board:
    """Counts of overdue items by team, site, checklist item and age, and a 30-day series."""
    overdue = [Rectification.status.in_(ACTIVE), Rectification.deadline < today]
    scoped = (
        select(Rectification).join(Site, Site.id == Rectification.site_id).where(*site_scope(user))
    )

    def count(*where) -> int:
        return session.exec(select(func.count()).select_from(scoped.where(*where).subquery())).one()

    by_team = session.exec(
        select(Site.team_id, Team.name_zh, Team.name_en, func.count())
        .select_from(Rectification)
        .join(Site, Site.id == Rectification.site_id)
        .outerjoin(Team, Team.id == Site.team_id)
        .where(*site_scope(user), *overdue)
        .group_by(Site.team_id, Team.name_zh, Team.name_en)
        .order_by(func.count().desc(), Site.team_id)
    ).all()
    by_site = session.exec(
        select(Site.id, Site.name_zh, Site.name_en, func.count())
        .select_from(Rectification)
        .join(Site, Site.id == Rectification.site_id)
        .where(*site_scope(user), *overdue)
        .group_by(Site.id, Site.name_zh, Site.name_en)
        .order_by(func.count().desc(), Site.id)
        .limit(20)
    ).all()
    by_item = session.exec(
        select(
            ChecklistTemplate.code,
            Rectification.item_code,
            func.min(TemplateItem.text_zh),
            func.min(TemplateItem.text_en),
            func.count(),
        )
        .select_from(Rectification)
        .join(Site, Site.id == Rectification.site_id)
        .join(Inspection, Inspection.id == Rectification.inspection_id)
        .join(TemplateVersion, TemplateVersion.id == Inspection.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .join(
            TemplateItem,
            and_(
                TemplateItem.version_id == Inspection.version_id,
                TemplateItem.code == Rectification.item_code,
            ),
        )
        .where(*site_scope(user), *overdue)
        .group_by(ChecklistTemplate.code, Rectification.item_code)
        .order_by(func.count().desc(), ChecklistTemplate.code, Rectification.item_code)
    ).all()
    by_age = []
    for label, low, high in AGE_BUCKETS:
        where = [*overdue, Rectification.deadline <= today - timedelta(days=low)]
        if high is not None:
            where.append(Rectification.deadline >= today - timedelta(days=high))
        by_age.append((label, low, high, count(*where)))
    return Board(
        active=count(Rectification.status.in_(ACTIVE)),
        overdue=count(*overdue),
        by_team=[tuple(r) for r in by_team],
        by_site=[tuple(r) for r in by_site],
        by_item=[tuple(r) for r in by_item],
        by_age=by_age,
        series=daily_series(
            session=session, user=user, today=today, days=days, time_zone=time_zone
        ),
    )


def daily_series(
    *, session: Session, user: CurrentUser, today: date, days: int, time_zone: str
) -> list[tuple[date, int, int]]:
    """For each of the last `days` days: items open at its end, and how many were overdue.

    An item counts as open on day d from its creation until it was closed or cancelled; it was
    overdue on d when its (current) deadline was before d."""
    tz = ZoneInfo(time_zone)
    out = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
        alive = [
            Rectification.created_at < end,
            or_(Rectification.resolved_at.is_(None), Rectification.resolved_at >= end),
        ]
        stmt = (
            select(func.count(), func.sum(case((Rectification.deadline < day, 1), else_=0)))
            .select_from(Rectification)
            .join(Site, Site.id == Rectification.site_id)
            .where(*site_scope(user), *alive)
        )
        total, late = session.exec(stmt).one()
        out.append((day, int(total or 0), int(late or 0)))
    return out


def active_site_rows(
    *, session: Session, user: CurrentUser, site_id: int, today: date
) -> list[Row]:
    """A site's open and fix-reported items, earliest deadline first (the site page, a visit)."""
    f = ItemFilter(site_id=site_id, status="active")
    return list_items(session=session, user=user, f=f, today=today, limit=None)[0]


def rows_by_ids(*, session: Session, user: CurrentUser, ids: list[int]) -> list[Row]:
    return _rows(
        session.exec(_base(user).where(Rectification.id.in_(ids)).order_by(Rectification.id))
    )
