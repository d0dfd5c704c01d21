"""Read side of rectification: the filtered list (and its exports), the owner's list, the
inspector's "today"; the supervisors' overdue board is in board.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from inspect_app.auth.service import CurrentUser
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    ACTIVE_STATUSES,
    Answer,
    ChecklistTemplate,
    DeadlineRules,
    EventKind,
    Inspection,
    RecheckRequest,
    RecheckState,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Role,
    Severity,
    Site,
    SiteKind,
    Team,
    TemplateItem,
    TemplateVersion,
    User,
)
from inspect_app.rectifications.board import Board as Board  # re-exported: queries.Board
from inspect_app.rectifications.board import board as board  # re-exported: queries.board
from inspect_app.sites.service import site_scope
from inspect_app.timezone import add_days

Status = RectificationStatus
Sort = tuple[tuple[ColumnElement[Any] | Mapped[Any], bool], ...]  # (column, descending) pairs

PAGE_BY_IDS = 500  # pages up to this size are found by id first (see list_items)
_severity_rank = case({"high": 0, "medium": 1, "low": 2}, value=Rectification.severity)
SORTS = {  # name -> (column, descending) pairs; the item id last, so pages never overlap
    "deadline": ((Rectification.deadline, False), (Rectification.id, False)),
    "-deadline": ((Rectification.deadline, True), (Rectification.id, True)),
    "created": ((Rectification.created_at, False), (Rectification.id, False)),
    "-created": ((Rectification.created_at, True), (Rectification.id, True)),
    "site": ((Site.name_zh, False), (Rectification.deadline, False), (Rectification.id, False)),
    "severity": (
        (_severity_rank, False),
        (Rectification.deadline, False),
        (Rectification.id, False),
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

    def query_string(self, **changes: object) -> str:
        from urllib.parse import urlencode

        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return urlencode(
            {
                k: ("true" if v is True else v)
                for k, v in values.items()
                if v not in (None, "", False) and not (k == "sort" and v == "deadline")
            }
        )


@dataclass(frozen=True)
class Named:
    """What a list shows of a site or a team: its id and names (not the whole row)."""

    id: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Item(DeadlineRules):
    """A rectification item's values as read for a list (services only read these; loading
    them as plain columns costs a fraction of an ORM object)."""

    id: int
    inspection_id: int
    answer_id: int
    site_id: int
    item_code: str
    severity: Severity
    deadline: date
    status: RectificationStatus
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


ITEM_COLUMNS = tuple(getattr(Rectification, f.name) for f in fields(Item))


@dataclass
class Row:
    """One rectification item with what a list needs to show about it."""

    item: Item
    site: Named
    template_code: str
    text_zh: str
    text_en: str
    guidance_zh: str = ""
    guidance_en: str = ""
    team: Named | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _base(user: CurrentUser, *extra: Mapped[Any]) -> Select[*tuple[Any, ...]]:
    """Items in scope with their site, checklist item and team (and any extra columns, which
    land in `Row.extra`), as plain columns."""
    stmt: Select[*tuple[Any, ...]] = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            *ITEM_COLUMNS,
            Site.id,
            Site.name_zh,
            Site.name_en,
            ChecklistTemplate.code,
            TemplateItem.text_zh,
            TemplateItem.text_en,
            TemplateItem.guidance_zh,
            TemplateItem.guidance_en,
            Team.id,
            Team.name_zh,
            Team.name_en,
            *extra,
        )
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
    return stmt


def _conditions(f: ItemFilter, today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    statuses = _statuses(f)
    if statuses is not None:
        where.append(Rectification.status.in_(statuses))
    # Overdue (Rectification.overdue_clause) in two halves: the statuses are in _statuses' one
    # IN list (the same condition twice misled PostgreSQL's planner), the date here.
    if f.overdue:
        where.append(Rectification.deadline < today)
    if f.overdue_min is not None:
        where.append(Rectification.deadline <= add_days(today, -f.overdue_min))
    if f.overdue_max is not None:
        where.append(Rectification.deadline >= add_days(today, -f.overdue_max))
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


def _statuses(f: ItemFilter) -> list[Status] | None:
    """The statuses a filter allows (None: any), as one condition: the same condition twice
    (status=active with overdue=true) made PostgreSQL expect a few rows and plan for them."""
    if f.status in Status.__members__:
        allowed = [Status(f.status)]
    elif f.status == "active":
        allowed = sorted(ACTIVE_STATUSES)
    else:
        allowed = None
    if f.overdue:
        allowed = [s for s in (allowed or sorted(ACTIVE_STATUSES)) if s.is_active]
    return allowed


def _rows(result: Iterable[Sequence[Any]], extra: tuple[str, ...] = ()) -> list[Row]:
    n, named = len(ITEM_COLUMNS), len(ITEM_COLUMNS) + 11
    return [
        Row(
            item=Item(*row[:n]),
            site=Named(site_id, site_zh, site_en),
            template_code=code,
            text_zh=text_zh,
            text_en=text_en,
            guidance_zh=guide_zh,
            guidance_en=guide_en,
            team=Named(team_id, team_zh, team_en) if team_id is not None else None,
            extra=dict(zip(extra, row[named:], strict=True)),
        )
        for row in result
        for (site_id, site_zh, site_en, code, text_zh, text_en, guide_zh, guide_en,
             team_id, team_zh, team_en) in (row[n:named],)
    ]  # fmt: skip


def _keys(user: CurrentUser, f: ItemFilter) -> SelectOfScalar[int | None]:
    """Ids of the items a filter selects: only the tables its conditions and sorts need."""
    stmt = (
        select(Rectification.id)
        .join(Site, Site.id == Rectification.site_id)
        .where(*site_scope(user))
    )
    if f.template:
        stmt = (
            stmt.join(Inspection, Inspection.id == Rectification.inspection_id)
            .join(TemplateVersion, TemplateVersion.id == Inspection.version_id)
            .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        )
    return stmt


def list_items(
    *,
    session: Session,
    user: CurrentUser,
    f: ItemFilter,
    today: date,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """A page of the filtered, sorted list and the total; limit=None gives every row (exports).

    A page's ids and the total come from one scan of the item and site tables (a window
    count); then only the page's rows are read in full. Exports are read in one go."""
    where = _conditions(f, today)
    sort = SORTS.get(f.sort, SORTS["deadline"])
    order = _order(sort)
    if limit is None:
        rows = _rows(session.exec(_base(user).where(*where).order_by(*order)))
        return rows, len(rows)
    keys = _keys(user, f).where(*where)
    if limit > PAGE_BY_IDS:
        total = session.exec(select(func.count()).select_from(keys.subquery())).one()
        stmt = _base(user).where(*where).order_by(*order).limit(limit).offset(offset)
        return _rows(session.exec(stmt)), total
    found = session.execute(_page_of_ids(keys, sort, limit, offset)).all()
    if not found:
        total = session.exec(select(func.count()).select_from(keys.subquery())).one()
        return [], total
    ids = [item_id for item_id, _total in found]
    by_id = {r.item.id: r for r in rows_by_ids(session=session, user=user, ids=ids)}
    return [by_id[i] for i in ids], found[0][1]


@dataclass(frozen=True)
class LastChange:
    """An item's latest event: what it did, when, and who did it (a name and a role)."""

    kind: EventKind
    at: datetime
    actor: str
    role: Role


# What an export adds to a list row (into Row.extra, under these names).
EXPORT_COLUMNS = {
    "checklist_zh": ChecklistTemplate.title_zh,
    "checklist_en": ChecklistTemplate.title_en,
    "note": Answer.note,
    "contact_name": Site.contact_name,
    "contact_phone": Site.contact_phone,
}
EVENT_BATCH = 500  # items whose last change is read in one query


def export_rows(
    *, session: Session, user: CurrentUser, f: ItemFilter, today: date, limit: int
) -> list[Row]:
    """Every row the filter selects (up to limit), in the list's order, with what an export
    adds: the checklist's title, the finding note (the failed answer's), the business's contact,
    and the last change as `extra["last"]` (read a batch of items at a time: one pass)."""
    stmt = (
        _base(user, *EXPORT_COLUMNS.values())
        .join(Answer, Answer.id == Rectification.answer_id)
        .where(*_conditions(f, today))
        .order_by(*_order(SORTS.get(f.sort, SORTS["deadline"])))
        .limit(limit)
    )
    rows = _rows(session.exec(stmt), tuple(EXPORT_COLUMNS))
    for start in range(0, len(rows), EVENT_BATCH):
        batch = rows[start : start + EVENT_BATCH]
        last = last_changes(session=session, ids=[r.item.id for r in batch])
        for row in batch:
            row.extra["last"] = last.get(row.item.id)
    return rows


def last_changes(*, session: Session, ids: list[int]) -> dict[int, LastChange]:
    """The latest event of each of these items, with its actor's name and role."""
    stmt = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            RectificationEvent.rectification_id,
            RectificationEvent.kind,
            RectificationEvent.at,
            User.display_name,
            User.username,
            User.role,
            User.link_site_id,
        )
        .join(User, User.id == RectificationEvent.actor_id)
        .where(RectificationEvent.rectification_id.in_(ids))
        .order_by(RectificationEvent.rectification_id, RectificationEvent.at, RectificationEvent.id)
    )
    return {  # in event order, so each item keeps its last
        item_id: LastChange(
            kind, at, _("the business, via the notice link") if link else name or username, role
        )
        for item_id, kind, at, name, username, role, link in session.exec(stmt)
    }


def _order(sort: Sort) -> list[ColumnElement[Any] | Mapped[Any]]:
    return [column.desc() if descending else column for column, descending in sort]


def _page_of_ids(
    keys: SelectOfScalar[int | None], sort: Sort, limit: int, offset: int
) -> Select[Any, int]:
    """A page of ids with the total: every match first (a materialised CTE), then the window
    count, order and limit over those. Written in one query, PostgreSQL walked the deadline
    index in order to stop early, and read all 300,000 items for the count."""
    matched = (
        keys.add_columns(*(column.label(f"o{i}") for i, (column, _d) in enumerate(sort)))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    order = [
        matched.c[f"o{i}"].desc() if descending else matched.c[f"o{i}"]
        for i, (_column, descending) in enumerate(sort)
    ]
    return select(matched.c.id, func.count().over()).order_by(*order).limit(limit).offset(offset)


def owner_items(*, session: Session, user: CurrentUser, today: date) -> list[Row]:
    """An owner's active items: overdue first, then by deadline."""
    stmt = (
        _base(user)
        .where(Rectification.active_clause())
        .order_by(
            case((Rectification.overdue_clause(today), 0), else_=1),
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
    recheck_due: date | None = None  # a re-check applied for (复查申请), due on this day
    urgent_on: date | None = None  # the earliest deadline or re-check due date: the order


def inspector_today(*, session: Session, user: CurrentUser, today: date) -> list[DueSite]:
    """My teams' sites with items to verify (reported fixed, or overdue) or a re-check applied
    for, most urgent first."""
    due = or_(Rectification.status == Status.fix_reported, Rectification.overdue_clause(today))
    stmt = (
        select(
            Site,
            func.sum(case((Rectification.status == Status.fix_reported, 1), else_=0)),
            func.sum(case((Rectification.overdue_clause(today), 1), else_=0)),
            func.min(Rectification.deadline),
        )
        .join(Rectification, Rectification.site_id == Site.id)
        .where(*site_scope(user), due)
        .group_by(Site.id)
    )
    found = {
        site.id: DueSite(site, int(fr or 0), int(od or 0), None, first)
        for site, fr, od, first in session.exec(stmt)
    }
    asked = select(Site, RecheckRequest.due_on).join(
        RecheckRequest, RecheckRequest.site_id == Site.id
    )
    for site, due_on in session.exec(
        asked.where(*site_scope(user), RecheckRequest.state == RecheckState.open)
    ):
        was = found.get(site.id) or DueSite(site, 0, 0)
        first = min(d for d in (was.urgent_on, due_on) if d is not None)
        found[site.id] = DueSite(site, was.fix_reported, was.overdue, due_on, first)
    return sorted(found.values(), key=lambda d: (d.urgent_on or date.max, d.site.id or 0))


def active_site_rows(
    *, session: Session, user: CurrentUser, site_id: int, today: date
) -> list[Row]:
    """A site's open and fix-reported items, earliest deadline first (the site page, a visit)."""
    f = ItemFilter(site_id=site_id, status="active")
    return list_items(session=session, user=user, f=f, today=today, limit=None)[0]


def rows_by_ids(*, session: Session, user: CurrentUser, ids: Sequence[int | None]) -> list[Row]:
    return _rows(
        session.exec(_base(user).where(Rectification.id.in_(ids)).order_by(Rectification.id))
    )
