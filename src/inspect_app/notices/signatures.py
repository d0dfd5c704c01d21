"""Signatures on a notice, made on a phone (also without signal): the inspector's, then the
business representative's, or the record that they refused to sign (拒签) with a witness.

The phone sends strokes as lists of whole-number points, never SVG: the server writes the SVG
itself (one path per stroke, nothing else), so no markup of a client's is ever stored or
printed. Each signature seals the notice's hash with every signature so far (notices.content);
a signature is never changed or removed, and a replay of its UUID returns it as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length
from inspect_app.errors import Conflict, Forbidden, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.models import (
    Inspection,
    InspectionStatus,
    Notice,
    NoticeSignature,
    SignatureRole,
    User,
)
from inspect_app.notices import content as contents
from inspect_app.notices import service
from inspect_app.timezone import check_client_time

MAX_STROKES = 300
MAX_POINTS = 20_000  # over every stroke of one signature
MIN_SIDE = 20  # the canvas, in the phone's CSS pixels
MAX_WIDTH = 2000
MAX_HEIGHT = 1000
NAME_MAX = column_length(NoticeSignature, "signer_name")
CLOCK_BEHIND = timedelta(days=1)  # a phone's clock may be this far behind the inspection's
BUSINESS = "business"
STROKE = 'fill="none" stroke="#000" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"'


@event.listens_for(NoticeSignature, "before_update")
@event.listens_for(NoticeSignature, "before_delete")
def _refuse_change(_mapper: object, _connection: object, target: NoticeSignature) -> None:
    """A signature, once recorded, is part of the notice's record."""
    raise Conflict(_("A recorded signature cannot be changed or removed."))


@dataclass(frozen=True)
class Drawing:
    """What the pad drew: the canvas's size and each stroke as [x0, y0, x1, y1, ...]."""

    width: int
    height: int
    strokes: list[list[int]]


def _bad_drawing(message: str) -> Invalid:
    return Invalid(message, fields={"drawing": message})


def svg_of(drawing: Drawing) -> str:
    """The SVG of a drawing, written here: a viewBox of the canvas and one path per stroke.
    Refuses an empty drawing and any stroke out of the canvas or beyond the bounds."""
    if not drawing.strokes or not any(drawing.strokes):
        raise _bad_drawing(_("Sign in the box first."))
    if len(drawing.strokes) > MAX_STROKES:
        raise _bad_drawing(_("Too many strokes (at most %(n)s).", n=MAX_STROKES))
    if sum(len(s) for s in drawing.strokes) > 2 * MAX_POINTS:
        raise _bad_drawing(_("Too many points (at most %(n)s).", n=MAX_POINTS))
    w, h = drawing.width, drawing.height
    if not (MIN_SIDE <= w <= MAX_WIDTH and MIN_SIDE <= h <= MAX_HEIGHT):
        raise _bad_drawing(_("The signature box has an impossible size."))
    paths = []
    for stroke in drawing.strokes:
        if not stroke:
            continue
        if len(stroke) % 2 or not all(type(v) is int for v in stroke):
            raise _bad_drawing(_("A stroke must be pairs of whole numbers."))
        xs, ys = stroke[0::2], stroke[1::2]
        if min(xs) < 0 or max(xs) > w or min(ys) < 0 or max(ys) > h:
            raise _bad_drawing(_("A stroke goes outside the signature box."))
        points = list(zip(xs, ys, strict=True))
        if len(points) == 1:
            points.append(points[0])  # a dot: a zero-length line with round caps
        d = "M" + " L".join(f"{x} {y}" for x, y in points)
        paths.append(f'<path d="{d}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" {STROKE}>{"".join(paths)}</svg>'
    )


def _name(text: str, field: str, required: str | None) -> str:
    name = " ".join(text.split())
    if len(name) > NAME_MAX:
        message = _("At most %(n)s characters.", n=NAME_MAX)
        raise Invalid(message, fields={field: message})
    if not name and required:
        raise Invalid(required, fields={field: required})
    return name


@dataclass(frozen=True)
class Signing:
    """A signature as the phone sent it."""

    role: SignatureRole
    signer_name: str
    witness_name: str
    signed_at: datetime
    drawing: Drawing | None


def _candidate(
    session: Session, user: CurrentUser, inspection: Inspection, signing: Signing
) -> NoticeSignature:
    """The signature as it would be stored (not yet on a notice), checked: names, drawing and
    time."""
    signed_at = check_client_time(signing.signed_at, "signed_at").astimezone(UTC)
    if signed_at < inspection.started_at - CLOCK_BEHIND:
        message = _("The signing time is before the inspection began: check the phone's clock.")
        raise Invalid(message, fields={"signed_at": message})
    role = signing.role
    if role == SignatureRole.inspector:
        me = session.get_one(User, user.id)
        signer, witness = me.display_name or me.username, ""
    elif role == SignatureRole.representative:
        signer = _name(signing.signer_name, "signer_name", _("Write the representative's name."))
        witness = ""
    else:
        signer = _name(signing.signer_name, "signer_name", None)
        witness = _name(signing.witness_name, "witness_name", _("Name the witness."))
    if role == SignatureRole.refused:
        if signing.drawing is not None:
            raise _bad_drawing(_("A refusal to sign has no signature drawing."))
        svg = None
    else:
        if signing.drawing is None:
            raise _bad_drawing(_("Sign in the box first."))
        svg = svg_of(signing.drawing)
    return NoticeSignature(  # its uuid, notice, slot and seal are set once it may be stored
        uuid="",
        notice_id=0,
        slot="",
        sealed_hash="",
        role=role,
        signer_name=signer,
        witness_name=witness,
        signed_at=signed_at.replace(microsecond=0),
        svg=svg,
        svg_sha256=contents.svg_digest(svg),
        recorded_by=user.id,
    )


def _same(stored: NoticeSignature, new: NoticeSignature) -> bool:
    keys = ["role", "witness_name", "signed_at", "svg"]
    if stored.role != SignatureRole.inspector:
        keys.append("signer_name")  # the inspector's is the account's name, not sent
    return all(getattr(stored, k) == getattr(new, k) for k in keys)


def _replay(
    session: Session, inspection: Inspection, uuid: str, new: NoticeSignature
) -> NoticeSignature | None:
    """The signature stored under this UUID (a replay), None when new; 409 when it differs."""
    stored = session.exec(select(NoticeSignature).where(NoticeSignature.uuid == uuid)).first()
    if stored is None:
        return None
    notice = session.get_one(Notice, stored.notice_id)
    if notice.inspection_id != inspection.id:
        raise Conflict(_("This signature id is already used on another notice."))
    if not _same(stored, new):
        raise Conflict(_("This signature id is already used for a different signature."))
    return stored


def _notice_to_sign(session: Session, inspection: Inspection) -> Notice:
    """The inspection's newest notice, locked until the transaction ends (PostgreSQL; SQLite
    writers take turns), so two signatures never seal the same previous hash."""
    if inspection.status != InspectionStatus.submitted:
        raise Conflict(
            _("This inspection is not submitted yet: its notice is issued when it is submitted.")
        )
    notice = session.exec(
        select(Notice)
        .where(Notice.inspection_id == inspection.id)
        .order_by(Notice.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if notice is None:
        raise Conflict(
            _("This inspection found nothing to put right, so it has no notice to sign.")
        )
    return notice


def _slot(
    user: CurrentUser, inspection: Inspection, role: SignatureRole, taken: list[NoticeSignature]
) -> str:
    """Who may sign where: each inspector named on the notice once; the business once (its
    representative's signature or the refusal)."""
    if role == SignatureRole.inspector:
        if user.id != inspection.inspector_id:
            raise Forbidden(_("Only the inspector named on the notice signs it as inspector."))
        slot = f"inspector:{user.id}"
        if any(s.slot == slot for s in taken):
            raise Conflict(_("You have already signed this notice."))
        return slot
    done = next((s for s in taken if s.slot == BUSINESS), None)
    if done is not None and done.role == SignatureRole.refused:
        raise Conflict(_("This notice already records that the representative refused to sign."))
    if done is not None:
        raise Conflict(_("The business's representative has already signed this notice."))
    return BUSINESS


def record(
    *, session: Session, user: CurrentUser, inspection_uuid: str, uuid: str, signing: Signing
) -> tuple[NoticeSignature, bool]:
    """Record a signature on the inspection's newest notice: (the signature, True when new).
    Staff who see the inspection only; a replay returns the stored signature."""
    inspection = inspections.get_inspection(session=session, user=user, uuid=inspection_uuid)
    if not user.is_staff:
        raise Forbidden(_("Only the office's staff record signatures on a notice."))
    sig = _candidate(session, user, inspection, signing)
    stored = _replay(session, inspection, uuid, sig)
    if stored is not None:
        return stored, False
    notice = _notice_to_sign(session, inspection)
    assert notice.id is not None
    taken = service.signatures_of(session=session, notice=notice)
    sig.uuid, sig.notice_id = uuid, notice.id
    sig.slot = _slot(user, inspection, signing.role, taken)
    sealed = [contents.signature_entry(s) for s in (*taken, sig)]
    sig.sealed_hash = contents.sealed(notice.content, sealed)
    session.add(sig)
    session.flush()
    return sig, True


@dataclass(frozen=True)
class SigningState:
    """What the sign page shows: the notice to sign (the inspection's newest; None when there
    is none yet), and who has signed it."""

    inspection: Inspection
    notice: Notice | None
    signed: list[NoticeSignature]
    inspector_name: str  # of the inspector named on the notice
    signs_as_inspector: bool  # this user is that inspector

    @property
    def mine(self) -> NoticeSignature | None:
        return next((s for s in self.signed if s.role == SignatureRole.inspector), None)

    @property
    def business(self) -> NoticeSignature | None:
        return next((s for s in self.signed if s.slot == BUSINESS), None)


def signing_state(*, session: Session, user: CurrentUser, inspection_uuid: str) -> SigningState:
    """The sign page's state; staff who see the inspection only (owners 403, others 404)."""
    inspection, notice = service.latest_for(session=session, user=user, uuid=inspection_uuid)
    if not user.is_staff:
        raise Forbidden(_("Only the office's staff record signatures on a notice."))
    inspector = session.get_one(User, inspection.inspector_id)
    signed = service.signatures_of(session=session, notice=notice) if notice else []
    return SigningState(
        inspection=inspection,
        notice=notice,
        signed=signed,
        inspector_name=inspector.display_name or inspector.username,
        signs_as_inspector=user.id == inspection.inspector_id,
    )
