"""Who did what to rectification items, and what came of it: the person and role behind each
event, the outcome of the latest verdict, the before / fix / after photos, and a site's
follow-up visits and recently closed items.

Privacy: a reader sees each actor's display name and role. Staff (and the actor themself)
also see a username when the account has no display name; a business owner never sees anyone
else's username, only a display name or, failing that, the role alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from inspect_app import labels
from inspect_app.auth.service import CurrentUser
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    EventKind,
    FollowUpVisit,
    Photo,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Role,
    User,
)
from inspect_app.rectifications import queries

CHUNK = 500  # ids per query: well under every engine's limit on bound parameters
VERDICTS = (EventKind.verified_closed, EventKind.verified_not_fixed)
OUTCOMES = (EventKind.fix_reported, *VERDICTS, EventKind.cancelled)
SITE_LIST_SIZE = 10


@dataclass(frozen=True)
class Actor:
    """The person behind an event as one reader may see them."""

    id: int
    name: str  # "" when this reader may not see any name (then the role alone is shown)
    role: Role
    via_link: bool = False  # the business, acting through its notice link (no account)

    @property
    def role_label(self) -> str:
        return labels.role(self.role)

    @property
    def text(self) -> str:
        """ "Name · Role" (or the role alone), for pages and exports."""
        if self.via_link:
            return self.name
        return f"{self.name} · {self.role_label}" if self.name else self.role_label


def visible_name(user: User, reader: CurrentUser) -> str:
    if user.link_site_id is not None:
        return _("the business, via the notice link")
    if user.display_name:
        return user.display_name
    return user.username if reader.is_staff or user.id == reader.id else ""


def actors(*, session: Session, reader: CurrentUser, user_ids: Iterable[int]) -> dict[int, Actor]:
    """Each user id's Actor as `reader` may see it."""
    wanted = sorted(set(user_ids))
    found: dict[int, Actor] = {}
    for start in range(0, len(wanted), CHUNK):
        for user in session.exec(select(User).where(User.id.in_(wanted[start : start + CHUNK]))):
            assert user.id is not None
            found[user.id] = Actor(
                user.id, visible_name(user, reader), user.role, user.link_site_id is not None
            )
    return found


@dataclass(frozen=True)
class LastEvent:
    kind: EventKind
    at: datetime
    actor: Actor


def last_events(
    *, session: Session, reader: CurrentUser, item_ids: Sequence[int]
) -> dict[int, LastEvent]:
    """Each item's latest event with its actor (for lists and exports); the caller has already
    scoped `item_ids` to what the reader may see."""
    latest: list[RectificationEvent] = []
    ids = list(item_ids)
    for start in range(0, len(ids), CHUNK):
        newest = (
            select(func.max(RectificationEvent.id))
            .where(RectificationEvent.rectification_id.in_(ids[start : start + CHUNK]))
            .group_by(RectificationEvent.rectification_id)
        )
        latest += session.exec(select(RectificationEvent).where(RectificationEvent.id.in_(newest)))
    people = actors(session=session, reader=reader, user_ids=(e.actor_id for e in latest))
    return {e.rectification_id: LastEvent(e.kind, e.at, people[e.actor_id]) for e in latest}


def outcome(events: Sequence[RectificationEvent]) -> RectificationEvent | None:
    """The event that says where the item stands: the latest report, verdict or cancellation."""
    return next((e for e in reversed(events) if e.kind in OUTCOMES), None)


@dataclass(frozen=True)
class Comparison:
    """The photos side by side: the finding, the business's latest fix, the inspector's check
    of that fix."""

    before: list[Photo]
    fix: list[Photo]
    after: list[Photo]


def comparison(photos: dict[str, list[Photo]], events: Sequence[RectificationEvent]) -> Comparison:
    """`photos` as `service.photos_of` gives them; the after photos are those of the latest
    verdict given since the latest fix report (a verdict on an older fix is not shown)."""
    fix = after = None
    for event in events:
        if event.kind == EventKind.fix_reported:
            fix, after = event, None
        elif event.kind in VERDICTS and photos.get(str(event.id)):
            after = event
    return Comparison(
        before=photos.get("finding", []),
        fix=photos.get(str(fix.id), []) if fix else [],
        after=photos.get(str(after.id), []) if after else [],
    )


# --- follow-up visits and closed items of a site ---------------------------------------------


@dataclass(frozen=True)
class VisitSummary:
    visit: FollowUpVisit
    inspector: Actor
    closed: int
    not_fixed: int


def site_visits(
    *, session: Session, reader: CurrentUser, site_id: int, limit: int = SITE_LIST_SIZE
) -> list[VisitSummary]:
    """A site's latest follow-up visits with how many items each closed or found not fixed;
    the caller has checked that the reader may see the site."""
    visits = list(
        session.exec(
            select(FollowUpVisit)
            .where(FollowUpVisit.site_id == site_id)
            .order_by(FollowUpVisit.started_at.desc(), FollowUpVisit.id.desc())
            .limit(limit)
        )
    )
    counts = (
        select(
            RectificationEvent.visit_id,
            func.sum(case((RectificationEvent.kind == EventKind.verified_closed, 1), else_=0)),
            func.sum(case((RectificationEvent.kind == EventKind.verified_not_fixed, 1), else_=0)),
        )
        .where(RectificationEvent.visit_id.in_([v.id for v in visits]))
        .group_by(RectificationEvent.visit_id)
    )
    tally = {visit_id: (int(c or 0), int(n or 0)) for visit_id, c, n in session.exec(counts)}
    people = actors(session=session, reader=reader, user_ids=(v.inspector_id for v in visits))
    return [VisitSummary(v, people[v.inspector_id], *tally.get(v.id, (0, 0))) for v in visits]


def recently_closed(
    *, session: Session, user: CurrentUser, site_id: int, limit: int = SITE_LIST_SIZE
) -> list[queries.Row]:
    """A site's most recently closed items, newest first (scoped to what `user` may see)."""
    ids = list(
        session.exec(
            select(Rectification.id)
            .where(
                Rectification.site_id == site_id,
                Rectification.status == RectificationStatus.closed,
            )
            .order_by(Rectification.resolved_at.desc(), Rectification.id.desc())
            .limit(limit)
        )
    )
    by_id = {r.item.id: r for r in queries.rows_by_ids(session=session, user=user, ids=ids)}
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class Verdict:
    row: queries.Row
    event: RectificationEvent
    actor: Actor


def visit_verdicts(*, session: Session, user: CurrentUser, visit: FollowUpVisit) -> list[Verdict]:
    """The verdicts given on one visit, newest first, each with its item."""
    given = list(
        session.exec(
            select(RectificationEvent)
            .where(RectificationEvent.visit_id == visit.id)
            .order_by(RectificationEvent.at.desc(), RectificationEvent.id.desc())
        )
    )
    rows = queries.rows_by_ids(
        session=session, user=user, ids=sorted({e.rectification_id for e in given})
    )
    by_id = {r.item.id: r for r in rows}
    people = actors(session=session, reader=user, user_ids=(e.actor_id for e in given))
    return [
        Verdict(by_id[e.rectification_id], e, people[e.actor_id])
        for e in given
        if e.rectification_id in by_id
    ]
