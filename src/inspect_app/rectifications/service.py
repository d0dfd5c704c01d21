"""Rectification items from "open" to "closed": every change an append-only event, every
illegal transition a 409, every state change idempotent under a client request id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from inspect_app import labels
from inspect_app.auth.service import CurrentUser
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.models import (
    ACTIVE_STATUSES,
    EventKind,
    FollowUpVisit,
    Inspection,
    Photo,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Role,
    Site,
    utcnow,
)
from inspect_app.photos.service import Slot
from inspect_app.rectifications import recheck
from inspect_app.rectifications.queries import Item
from inspect_app.settings import Settings
from inspect_app.sites.service import get_site, site_scope
from inspect_app.timezone import deadline_window

Status = RectificationStatus


def get_rectification(*, session: Session, user: CurrentUser, item_id: int) -> Rectification:
    """The item if its site is visible to this user; otherwise 404."""
    item = session.exec(
        select(Rectification)
        .join(Site, Site.id == Rectification.site_id)
        .where(Rectification.id == item_id, *site_scope(user))
    ).first()
    if item is None:
        raise NotFound(_("This rectification item does not exist or is not visible to you."))
    return item


def events(*, session: Session, item: Rectification | Item) -> list[RectificationEvent]:
    return list(
        session.exec(
            select(RectificationEvent)
            .where(RectificationEvent.rectification_id == item.id)
            .order_by(RectificationEvent.at, RectificationEvent.id)
        )
    )


def photos_of(*, session: Session, item: Rectification | Item) -> dict[str, list[Photo]]:
    """The finding's photos ('finding') and each event's photos (by event id as text)."""
    out: dict[str, list[Photo]] = {
        "finding": list(
            session.exec(
                select(Photo)
                .where(Photo.inspection_id == item.inspection_id, Photo.item_code == item.item_code)
                .order_by(Photo.created_at)
            )
        )
    }
    for photo in session.exec(
        select(Photo)
        .where(Photo.rectification_id == item.id, Photo.event_id.is_not(None))
        .order_by(Photo.created_at)
    ):
        out.setdefault(str(photo.event_id), []).append(photo)
    return out


# --- transitions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a client asks for; `request_id` makes a replay return the first answer."""

    note: str = ""
    photo_uuids: tuple[str, ...] = ()
    new_deadline: date | None = None
    request_id: str | None = None
    visit_uuid: str | None = None  # the follow-up visit a verdict belongs to


def _replayed(
    session: Session, item: Rectification, kind: EventKind, request_id: str | None
) -> bool:
    if not request_id:
        return False
    seen = session.exec(
        select(RectificationEvent).where(RectificationEvent.request_id == request_id)
    ).first()
    if seen is None:
        return False
    if seen.rectification_id != item.id or seen.kind != kind:
        raise Conflict(_("This request id was already used for a different change."))
    return True


def _refuse(item: Rectification, action: str) -> Conflict:
    return Conflict(
        _(
            "This item is %(status)s; it cannot be %(action)s now.",
            status=labels.status_in_sentence(item.status),
            action=action,
        )
    )


def _attach_photos(
    session: Session, item: Rectification, user: CurrentUser, uuids: tuple[str, ...]
) -> list[Photo]:
    """Photos uploaded for this item by this user and not yet part of an event."""
    if not uuids:
        return []
    photos = list(session.exec(select(Photo).where(Photo.uuid.in_(uuids))))
    if len(photos) != len(set(uuids)) or any(
        p.rectification_id != item.id or p.uploaded_by != user.id or p.event_id is not None
        for p in photos
    ):
        raise Invalid(
            _("Some photos were not uploaded for this item."),
            fields={"photo_ids": _("Upload the photos for this item first.")},
        )
    return photos


def _record(
    session: Session,
    item: Rectification,
    user: CurrentUser,
    kind: EventKind,
    to_status: RectificationStatus,
    change: Change,
    photos: list[Photo],
    new_deadline: date | None = None,
    visit_id: int | None = None,
) -> Rectification:
    assert item.id is not None
    event = RectificationEvent(
        rectification_id=item.id,
        kind=kind,
        actor_id=user.id,
        from_status=item.status,
        to_status=to_status,
        note=change.note.strip()[:2000],
        old_deadline=item.deadline,
        new_deadline=new_deadline,
        visit_id=visit_id,
        request_id=change.request_id,
    )
    session.add(event)
    session.flush()
    for photo in photos:
        photo.event_id = event.id
        session.add(photo)
    item.status = to_status
    if new_deadline is not None:
        item.deadline = new_deadline
    item.updated_at = event.at
    if to_status in (Status.closed, Status.cancelled):
        item.resolved_at = event.at
    session.add(item)
    session.flush()
    if not item.status.is_active and site_closed_out(session=session, site_id=item.site_id):
        recheck.settle(session=session, site_id=item.site_id)
    return item


@inspections.on_submitted
def open_items(
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    findings: list[inspections.Finding],
    time_zone: str,
) -> None:
    """One open item per finding of a submitted inspection, due by the deadline the inspector
    set, its first event carrying the inspector's note."""
    assert inspection.id is not None
    for finding in findings:
        assert finding.answer.id is not None and finding.answer.deadline is not None
        item = Rectification(
            inspection_id=inspection.id,
            answer_id=finding.answer.id,
            site_id=inspection.site_id,
            item_code=finding.answer.item_code,
            severity=finding.severity,
            deadline=finding.answer.deadline,
        )
        session.add(item)
        session.flush()
        record_creation(session=session, item=item, actor_id=user.id, note=finding.answer.note)


def record_creation(
    *, session: Session, item: Rectification, actor_id: int, note: str = ""
) -> None:
    """The first event of an item, written when its inspection is submitted; its note is the
    inspector's finding ("what is wrong"), which the owner reads on the item."""
    assert item.id is not None
    session.add(
        RectificationEvent(
            rectification_id=item.id,
            kind=EventKind.created,
            actor_id=actor_id,
            from_status=None,
            to_status=Status.open,
            note=note,
            new_deadline=item.deadline,
        )
    )


def report_fixed(
    *, session: Session, user: CurrentUser, item_id: int, change: Change
) -> Rectification:
    """The owner says it is fixed, with a note and at least one photo of the fix."""
    item = get_rectification(session=session, user=user, item_id=item_id)
    if _replayed(session, item, EventKind.fix_reported, change.request_id):
        return item
    if user.role != Role.owner:
        raise Forbidden(_("Only the business reports its own fixes."))
    if item.status != Status.open:
        raise _refuse(item, _("reported fixed"))
    photos = _attach_photos(session, item, user, change.photo_uuids)
    if not photos:
        raise Invalid(
            _("Add at least one photo of the fix."),
            fields={"photo_ids": _("Add at least one photo of the fix.")},
        )
    return _record(session, item, user, EventKind.fix_reported, Status.fix_reported, change, photos)


def verify(
    *,
    session: Session,
    user: CurrentUser,
    item_id: int,
    outcome: str,
    change: Change,
    today: date,
    horizon_days: int = Settings.deadline_horizon_days,
) -> Rectification:
    """On a follow-up visit: closed (an 'after' photo required) or not fixed (back to open,
    maybe with a new deadline inside the deadline window)."""
    item = get_rectification(session=session, user=user, item_id=item_id)
    kind = {"closed": EventKind.verified_closed, "not_fixed": EventKind.verified_not_fixed}.get(
        outcome
    )
    if kind is None:
        raise Invalid(
            _("The outcome is closed or not_fixed."), fields={"outcome": _("Choose an outcome.")}
        )
    if _replayed(session, item, kind, change.request_id):
        return item
    if user.role != Role.inspector:
        raise Forbidden(_("Only inspectors verify items on a follow-up visit."))
    if not item.status.is_active:
        raise _refuse(item, _("verified"))
    visit_id = _visit_for(session, user, item, change.visit_uuid)
    photos = _attach_photos(session, item, user, change.photo_uuids)
    if kind == EventKind.verified_closed:
        if not photos:
            raise Invalid(
                _("Add an 'after' photo before closing the item."),
                fields={"photo_ids": _("Add an 'after' photo before closing the item.")},
            )
        return _record(session, item, user, kind, Status.closed, change, photos, visit_id=visit_id)
    if change.new_deadline is not None:
        deadline_window(today, horizon_days).check(change.new_deadline, "new_deadline")
    return _record(
        session, item, user, kind, Status.open, change, photos, change.new_deadline, visit_id
    )


def _visit_for(
    session: Session, user: CurrentUser, item: Rectification, visit_uuid: str | None
) -> int | None:
    """The visit a verdict is recorded on: the inspector's own visit to the item's site."""
    if not visit_uuid:
        return None
    visit = get_visit(session=session, user=user, uuid=visit_uuid)
    if visit.site_id != item.site_id or visit.inspector_id != user.id:
        raise Conflict(_("This follow-up visit is at another site or by another inspector."))
    return visit.id


def extend(
    *,
    session: Session,
    user: CurrentUser,
    item_id: int,
    change: Change,
    today: date,
    horizon_days: int = Settings.deadline_horizon_days,
) -> Rectification:
    """A supervisor moves the deadline later (inside the deadline window); the reason is
    required."""
    item = get_rectification(session=session, user=user, item_id=item_id)
    if _replayed(session, item, EventKind.extended, change.request_id):
        return item
    _require_supervisor(user)
    if not item.status.is_active:
        raise _refuse(item, _("extended"))
    errors = _reason_errors(change)
    window = deadline_window(today, horizon_days)
    if change.new_deadline is not None and change.new_deadline not in window:
        errors["new_deadline"] = window.message()
    elif change.new_deadline is None or change.new_deadline < item.deadline:
        errors["new_deadline"] = _("Choose a date after the current deadline.")
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    return _record(
        session, item, user, EventKind.extended, item.status, change, [], change.new_deadline
    )


def cancel(*, session: Session, user: CurrentUser, item_id: int, change: Change) -> Rectification:
    """A supervisor cancels an item raised in error; the reason is required."""
    item = get_rectification(session=session, user=user, item_id=item_id)
    if _replayed(session, item, EventKind.cancelled, change.request_id):
        return item
    _require_supervisor(user)
    if not item.status.is_active:
        raise _refuse(item, _("cancelled"))
    errors = _reason_errors(change)
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    return _record(session, item, user, EventKind.cancelled, Status.cancelled, change, [])


def _require_supervisor(user: CurrentUser) -> None:
    if not user.sees_whole_subdistrict:
        raise Forbidden(_("Only a supervisor may extend or cancel items."))


def _reason_errors(change: Change) -> dict[str, str]:
    return {} if change.note.strip() else {"reason": _("Give a reason.")}


# --- follow-up visits -----------------------------------------------------------------------


def start_visit(*, session: Session, user: CurrentUser, site_id: int, uuid: str) -> FollowUpVisit:
    if user.role != Role.inspector:
        raise Forbidden(_("Only inspectors make follow-up visits."))
    site = get_site(session=session, user=user, site_id=site_id)
    existing = session.exec(select(FollowUpVisit).where(FollowUpVisit.uuid == uuid)).first()
    if existing is not None:
        if existing.site_id != site.id or existing.inspector_id != user.id:
            raise Conflict(_("This visit id is already used for another site."))
        return existing
    assert site.id is not None
    visit = FollowUpVisit(uuid=uuid, site_id=site.id, inspector_id=user.id, started_at=utcnow())
    session.add(visit)
    session.flush()
    recheck.settle(session=session, site_id=site.id)  # the re-check applied for is made
    return visit


def get_visit(*, session: Session, user: CurrentUser, uuid: str) -> FollowUpVisit:
    visit = session.exec(
        select(FollowUpVisit)
        .join(Site, Site.id == FollowUpVisit.site_id)
        .where(FollowUpVisit.uuid == uuid, *site_scope(user))
    ).first()
    if visit is None:
        raise NotFound(_("This visit does not exist or is not visible to you."))
    return visit


def site_closed_out(*, session: Session, site_id: int) -> bool | None:
    """True when the site had items and none remains open; None when it never had any."""
    statuses = set(
        session.exec(select(Rectification.status).where(Rectification.site_id == site_id))
    )
    if not statuses:
        return None
    return not statuses & ACTIVE_STATUSES


def require_photo_slot(*, user: CurrentUser, item: Rectification) -> None:
    """Owners add photos of a fix to an open item; inspectors add 'after' photos on a visit."""
    if user.role == Role.owner and item.status == Status.open:
        return
    if user.role == Role.inspector and item.status.is_active:
        return
    if user.role in (Role.owner, Role.inspector):
        raise _refuse(item, _("given photos"))
    raise Forbidden(_("Only the business and inspectors add photos to an item."))


@dataclass(frozen=True)
class EvidencePhotos:
    """Where a photo of a fix or an 'after' photo goes (a `photos.intake.PhotoTarget`)."""

    user: CurrentUser
    item_id: int

    def locate(self, session: Session) -> Slot:
        item = get_rectification(session=session, user=self.user, item_id=self.item_id)
        return Slot(item_code=item.item_code, rectification_id=item.id)

    def admit(self, session: Session, item_code: str) -> Slot:
        item = get_rectification(session=session, user=self.user, item_id=self.item_id)
        require_photo_slot(user=self.user, item=item)
        return Slot(item_code=item.item_code, rectification_id=item.id)
