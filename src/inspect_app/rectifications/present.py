"""Turn rectification rows into API shapes and page links (shared by the API and the pages)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import MAX_ID, parse_flag, parse_whole
from inspect_app.errors import AppError
from inspect_app.i18n import gettext as _
from inspect_app.models import Inspection
from inspect_app.photos.schemas import photo_out
from inspect_app.photos.service import blobs_for
from inspect_app.rectifications import history, queries, service
from inspect_app.rectifications.schemas import (
    BoardOut,
    CountOut,
    DayOut,
    EventOut,
    RectificationDetail,
    RectificationOut,
)
from inspect_app.timezone import FILTER_WINDOW, MAX_DAYS_LATE

ID_FIELDS = ("site_id", "team_id")
DAY_FIELDS = ("overdue_min", "overdue_max")
DATE_FIELDS = ("deadline_from", "deadline_to")
TEXT_FIELDS = ("status", "site_kind", "template", "item", "severity", "sort")


def parse_filter(query: Mapping[str, str]) -> queries.ItemFilter:
    """The list's filter from a query string; a bad number or a date outside FILTER_WINDOW is a
    400 naming the field and what it takes."""
    values: dict = {}
    errors: dict[str, str] = {}
    limits = [(name, MAX_ID) for name in ID_FIELDS] + [(name, MAX_DAYS_LATE) for name in DAY_FIELDS]
    for name, highest in limits:
        raw = (query.get(name) or "").strip()
        if raw:
            values[name] = parse_whole(raw, high=highest)
            if values[name] is None and name in ID_FIELDS:
                errors[name] = _("Choose one from the list.")  # ids come from the filter's menus
            elif values[name] is None:
                errors[name] = _("Enter a whole number from 0 to %(n)s.", n=highest)
    for name in DATE_FIELDS:
        raw = (query.get(name) or "").strip()
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors[name] = _("Enter a date.")
                continue
            if day not in FILTER_WINDOW:
                errors[name] = FILTER_WINDOW.message()
            values[name] = day
    for name in TEXT_FIELDS:
        raw = (query.get(name) or "").strip()
        if raw:
            values[name] = raw[:40]
    values["overdue"] = parse_flag(query.get("overdue"))
    if errors:
        raise AppError(_("Some filters are not valid."), fields=errors)
    return queries.ItemFilter(**values)


def row_out(row: queries.Row, today: date) -> RectificationOut:
    item = row.item
    return RectificationOut(
        id=item.id,
        site_id=row.site.id,
        site_name_zh=row.site.name_zh,
        site_name_en=row.site.name_en,
        template_code=row.template_code,
        item_code=item.item_code,
        text_zh=row.text_zh,
        text_en=row.text_en,
        severity=item.severity,
        status=item.status,
        deadline=item.deadline,
        active=item.status.is_active,
        overdue=item.is_overdue(today),
        days_left=item.days_left(today),
        created_at=item.created_at,
        resolved_at=item.resolved_at,
    )


def detail_out(
    *, session: Session, user: CurrentUser, row: queries.Row, today: date
) -> RectificationDetail:
    photos = service.photos_of(session=session, item=row.item)
    blobs = {b.sha256: b for b in blobs_for(session=session, photos=photos)}

    def out(group: str) -> list:
        return [photo_out(p, blobs[p.sha256], staff=user.is_staff) for p in photos.get(group, [])]

    inspection = session.get(Inspection, row.item.inspection_id)
    events = service.events(session=session, item=row.item)
    people = history.actors(session=session, reader=user, user_ids=(e.actor_id for e in events))
    return RectificationDetail(
        **row_out(row, today).model_dump(exclude={"inspection_uuid"}),
        inspection_uuid=inspection.uuid if inspection else None,
        guidance_zh=row.guidance_zh,
        guidance_en=row.guidance_en,
        finding_photos=out("finding"),
        events=[
            EventOut(
                **e.model_dump(exclude={"rectification_id", "request_id"}),
                actor_name=people[e.actor_id].name,
                actor_role=people[e.actor_id].role,
                actor_role_label=people[e.actor_id].role_label,
                photos=out(str(e.id)),
            )
            for e in events
        ],
    )


def find_row(*, session: Session, user: CurrentUser, item_id: int) -> queries.Row:
    """The list row of one item, after the one access check (`service.get_rectification`:
    404 when its site is not visible)."""
    item = service.get_rectification(session=session, user=user, item_id=item_id)
    return queries.rows_by_ids(session=session, user=user, ids=[item.id])[0]


def board_out(board: queries.Board) -> BoardOut:
    link = "/rectifications?overdue=true&status=active"
    return BoardOut(
        active=board.active,
        overdue=board.overdue,
        by_team=[
            CountOut(
                key=str(t or ""),
                label_zh=zh or _("No team"),
                label_en=en or _("No team"),
                count=n,
                link=f"{link}&team_id={t}" if t else link,
            )
            for t, zh, en, n in board.by_team
        ],
        by_site=[
            CountOut(
                key=str(s), label_zh=zh, label_en=en or zh, count=n, link=f"{link}&site_id={s}"
            )
            for s, zh, en, n in board.by_site
        ],
        by_item=[
            CountOut(
                key=f"{t}/{c}",
                label_zh=zh,
                label_en=en,
                count=n,
                link=f"{link}&template={t}&item={c}",
            )
            for t, c, zh, en, n in board.by_item
        ],
        by_age=[
            CountOut(
                key=label,
                label_zh=label,
                label_en=label,
                count=n,
                link=f"{link}&overdue_min={low}" + (f"&overdue_max={high}" if high else ""),
            )
            for label, low, high, n in board.by_age
        ],
        last_30_days=[DayOut(day=d, open=o, overdue=od) for d, o, od in board.series],
    )
