"""What the business's page shows (read only: opening it writes nothing): the site, its
notices' numbers, its active items with the finding (the inspector's note, the measure's
guidance, photos), deadlines, and the re-check application if one is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.models import EventKind, Notice, Photo, RecheckRequest, Site
from inspect_app.rectifications import queries, recheck
from inspect_app.rectifications import service as rectifications


@dataclass(frozen=True)
class Entry:
    """One active item on the business's page."""

    row: queries.Row
    finding: str  # the inspector's note ("what is wrong")
    photos: list[Photo]  # the finding's photos
    fix_photos: list[Photo]  # photos sent with the latest report of a fix
    days_left: int  # negative: overdue by that many days


@dataclass(frozen=True)
class BusinessPage:
    site: Site
    notices: list[str]
    entries: list[Entry]
    recheck: RecheckRequest | None
    had_items: bool


def business_page(
    *, session: Session, user: CurrentUser, site_id: int, today: date
) -> BusinessPage:
    site = session.get_one(Site, site_id)
    notices = session.exec(
        select(Notice.number).where(Notice.site_id == site_id).order_by(Notice.id.desc())
    ).all()
    entries = []
    for row in queries.active_site_rows(session=session, user=user, site_id=site_id, today=today):
        events = rectifications.events(session=session, item=row.item)
        photos = rectifications.photos_of(session=session, item=row.item)
        reports = [e for e in events if e.kind == EventKind.fix_reported]
        finding = events[0].note if events and events[0].kind == EventKind.created else ""
        entries.append(
            Entry(
                row=row,
                finding=finding,
                photos=photos["finding"],
                fix_photos=photos.get(str(reports[-1].id), []) if reports else [],
                days_left=(row.item.deadline - today).days,
            )
        )
    return BusinessPage(
        site=site,
        notices=list(notices),
        entries=entries,
        recheck=recheck.open_request(session=session, site_id=site_id),
        had_items=rectifications.site_closed_out(session=session, site_id=site_id) is not None,
    )
