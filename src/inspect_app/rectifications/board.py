"""The supervisors' overdue board: counts of overdue items by team, site, checklist item and
age, and a 30-day series, from one scoped read (the counting happens here, in one pass),
kept until the next rectification event."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import union_all
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.models import (
    ChecklistTemplate,
    Inspection,
    Rectification,
    RectificationStatus,
    Site,
    Team,
    TemplateItem,
    TemplateVersion,
)
from inspect_app.rectifications import chart
from inspect_app.rectifications.recent import Recent
from inspect_app.sites.service import scope_key, site_scope
from inspect_app.timezone import add_days, local

Status = RectificationStatus
AGE_BUCKETS = (("1-3", 1, 3), ("4-7", 4, 7), ("8-14", 8, 14), ("15+", 15, None))


@dataclass(frozen=True)
class Board:
    active: int
    overdue: int
    by_team: list[tuple[int | None, str, str, int]]
    by_site: list[tuple[int, str, str, int]]
    by_item: list[tuple[str, str, str, str, int]]
    by_age: list[tuple[str, int, int | None, int]]
    series: list[tuple[date, int, int]]


@dataclass(frozen=True)
class _BoardRow:
    site_id: int
    team_id: int | None
    status: Status
    deadline: date
    created: date  # in the office's calendar
    resolved: date | None
    version_id: int
    item_code: str


_boards = Recent(size=64)


def board(
    *, session: Session, user: CurrentUser, today: date, time_zone: str, days: int = 30
) -> Board:
    """Counts of overdue items by team, site, checklist item and age, and a 30-day series;
    kept until the next rectification event (see recent.py). The result is shared: callers
    must not change it."""
    return _boards.get(
        session,
        (scope_key(user), today, time_zone, days),
        lambda: _compute_board(session, user, today, ZoneInfo(time_zone), days),
    )


def _compute_board(
    session: Session, user: CurrentUser, today: date, tz: ZoneInfo, days: int
) -> Board:
    """One scoped query reads every item open at some point of the window (the active ones
    among them); the counting happens here, in one pass, instead of a query per count."""
    rows = _board_rows(session, user, add_days(today, 1 - days), tz)
    active = [r for r in rows if r.status.is_active]
    late = [r for r in active if r.deadline < today]  # overdue: active and past its deadline
    ages = [(today - r.deadline).days for r in late]
    by_age = [
        (label, low, high, sum(1 for a in ages if a >= low and (high is None or a <= high)))
        for label, low, high in AGE_BUCKETS
    ]
    return Board(
        active=len(active),
        overdue=len(late),
        by_team=_by_team(session, late),
        by_site=_by_site(session, late),
        by_item=_by_item(session, late),
        by_age=by_age,
        series=chart.daily_series([(r.created, r.resolved, r.deadline) for r in rows], today, days),
    )


def _board_rows(session: Session, user: CurrentUser, first: date, tz: ZoneInfo) -> list:
    """Items in scope not resolved before the window's first day ended: the active ones (an
    item has `resolved_at` exactly when it is closed or cancelled) and those resolved since.
    Two branches, so each reads its own range of the (site_id, resolved_at) index."""
    window = datetime.combine(add_days(first, 1), time.min, tzinfo=tz).astimezone(UTC)
    stmt = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            Rectification.site_id,
            Site.team_id,
            Rectification.status,
            Rectification.deadline,
            Rectification.created_at,
            Rectification.resolved_at,
            Inspection.version_id,
            Rectification.item_code,
        )
        .join(Site, Site.id == Rectification.site_id)
        .join(Inspection, Inspection.id == Rectification.inspection_id)
        .where(*site_scope(user))
    )
    both = union_all(
        stmt.where(Rectification.resolved_at.is_(None)),
        stmt.where(Rectification.resolved_at >= window),
    )
    return [
        _BoardRow(
            site,
            team,
            status,
            deadline,
            local(created, tz).date(),
            local(resolved, tz).date() if resolved else None,
            version,
            code,
        )
        for site, team, status, deadline, created, resolved, version, code in session.execute(both)
    ]


def _ranked(counts: Counter) -> list[tuple]:
    """Most first, then by key (None, i.e. no team, first as the SQL used to order it)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is not None, kv[0] or 0))


def _by_team(session: Session, late: list[_BoardRow]) -> list[tuple]:
    counts = Counter(r.team_id for r in late)
    names = {t.id: t for t in session.exec(select(Team).where(Team.id.in_(counts)))}
    return [
        (t, names[t].name_zh if t in names else None, names[t].name_en if t in names else None, n)
        for t, n in _ranked(counts)
    ]


def _by_site(session: Session, late: list[_BoardRow], top: int = 20) -> list[tuple]:
    ranked = _ranked(Counter(r.site_id for r in late))[:top]
    names = {
        site_id: (zh, en)
        for site_id, zh, en in session.exec(
            select(Site.id, Site.name_zh, Site.name_en).where(Site.id.in_([k for k, _n in ranked]))
        )
    }
    return [(k, *names[k], n) for k, n in ranked]


def _by_item(session: Session, late: list[_BoardRow]) -> list[tuple]:
    """Per checklist and item code over every version; the label is the first text by order."""
    versions = {r.version_id for r in late}
    texts = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            TemplateItem.version_id, TemplateItem.code, ChecklistTemplate.code,
            TemplateItem.text_zh, TemplateItem.text_en,
        )
        .join(TemplateVersion, TemplateVersion.id == TemplateItem.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .where(TemplateItem.version_id.in_(versions))
    ).all()  # fmt: skip
    found = {(v, code): (template, zh, en) for v, code, template, zh, en in texts}
    counts: Counter = Counter()
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    for r in late:
        if (r.version_id, r.item_code) not in found:
            continue
        template, zh, en = found[(r.version_id, r.item_code)]
        key = (template, r.item_code)
        counts[key] += 1
        seen = labels.get(key)
        labels[key] = (min(seen[0], zh), min(seen[1], en)) if seen else (zh, en)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(t, c, *labels[(t, c)], n) for (t, c), n in ranked]
