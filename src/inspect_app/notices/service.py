"""Issue notices when an inspection with failures is submitted, reissue corrections, read them.

Numbers come from a counter row per (subdistrict, office year), bumped by one upsert in the
submit's own transaction: PostgreSQL's `INSERT ... ON CONFLICT DO UPDATE` takes the row's lock
until the transaction ends, and SQLite writers are serialised (`BEGIN IMMEDIATE`), so two
submissions never get the same number, and a submission that fails gives its number back with
its rollback, so none is skipped."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import object_session
from sqlmodel import Session, func, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.links import service as links
from inspect_app.models import (
    Inspection,
    Notice,
    NoticeCounter,
    NoticeSignature,
    Site,
    Subdistrict,
)
from inspect_app.notices import content as contents
from inspect_app.sites.service import site_scope
from inspect_app.timezone import today_in

MAX_LIMIT = 200


@event.listens_for(Notice, "before_update")
@event.listens_for(Notice, "before_delete")
def _refuse_change(_mapper: object, _connection: object, target: Notice) -> None:
    """An issued notice is never changed or removed: a correction is a new notice (`reissue`)."""
    raise Conflict(_("An issued notice cannot be changed; issue a correction instead."))


def next_seq(*, session: Session, subdistrict_id: int, year: int) -> int:
    """The next number of this subdistrict's year, taken in the caller's transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(NoticeCounter)
        .values(subdistrict_id=subdistrict_id, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["subdistrict_id", "year"], set_={"last": NoticeCounter.last + 1}
        )
        .returning(NoticeCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


def issue(
    *,
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    time_zone: str,
    replaces: Notice | None = None,
) -> Notice:
    """A new notice for a submitted inspection: the next number, the content as it stands."""
    site = session.get_one(Site, inspection.site_id)
    subdistrict = session.get_one(Subdistrict, site.subdistrict_id)
    assert subdistrict.id is not None and inspection.id is not None and site.id is not None
    today = today_in(time_zone)
    seq = next_seq(session=session, subdistrict_id=subdistrict.id, year=today.year)
    number = contents.format_number(contents.prefix_of(subdistrict), today.year, seq)
    body = contents.build(
        session=session,
        inspection=inspection,
        number=number,
        issued_on=today,
        replaces=replaces.number if replaces else None,
        time_zone=time_zone,
    )
    text = contents.canonical(body)
    notice = Notice(
        number=number,
        subdistrict_id=subdistrict.id,
        year=today.year,
        seq=seq,
        inspection_id=inspection.id,
        site_id=site.id,
        replaces_id=replaces.id if replaces else None,
        content=text,
        content_hash=contents.digest(text),
        issued_by=user.id,
    )
    session.add(notice)
    session.flush()
    assert notice.id is not None
    # The business's link (QR code on the notice) is replaced with each notice of the site.
    links.replace_for_notice(session=session, site=site, notice_id=notice.id, by=user.id)
    return notice


@inspections.on_submitted
def issue_on_submit(
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    findings: list[inspections.Finding],
    time_zone: str,
) -> None:
    """A submitted inspection with failures gets its notice in the same transaction."""
    if findings:
        issue(session=session, user=user, inspection=inspection, time_zone=time_zone)


def register() -> None:
    """Make sure submissions issue notices (importing this module already does; callers that
    only submit, like the demo's history, say so)."""
    inspections.on_submitted(issue_on_submit)


def reissue(*, session: Session, user: CurrentUser, notice_id: int, time_zone: str) -> Notice:
    """A correction: a new number naming the notice it replaces, with the content as it stands
    now. Only the office, and only the newest notice of an inspection (a replaced one stays as
    it was, for the record)."""
    old = get_notice(session=session, user=user, notice_id=notice_id)
    if not user.sees_whole_subdistrict:
        raise Forbidden(_("Only the office issues corrected notices."))
    newer = session.exec(select(Notice.id).where(Notice.replaces_id == old.id)).first()
    if newer is not None:
        raise Conflict(_("This notice has already been replaced."))
    inspection = session.get_one(Inspection, old.inspection_id)
    return issue(
        session=session, user=user, inspection=inspection, time_zone=time_zone, replaces=old
    )


def get_notice(*, session: Session, user: CurrentUser, notice_id: int) -> Notice:
    """The notice if this user may see its site; 404 otherwise."""
    found = session.exec(
        select(Notice)
        .join(Site, Site.id == Notice.site_id)
        .where(Notice.id == notice_id, *site_scope(user))
    ).first()
    if found is None:
        raise NotFound(_("This notice does not exist or is not visible to you."))
    return found


def latest_for(
    *, session: Session, user: CurrentUser, uuid: str
) -> tuple[Inspection, Notice | None]:
    """An inspection this user may see, and its newest notice (None: none issued)."""
    inspection = inspections.get_inspection(session=session, user=user, uuid=uuid)
    notice = session.exec(
        select(Notice).where(Notice.inspection_id == inspection.id).order_by(Notice.id.desc())
    ).first()
    return inspection, notice


def list_notices(
    *, session: Session, user: CurrentUser, site_id: int | None, limit: int, offset: int
) -> tuple[list[Notice], int]:
    """Notices of the sites this user sees (of one site when named), newest first."""
    where = [*site_scope(user)]
    if site_id is not None:
        where.append(Notice.site_id == site_id)
    base = select(Notice).join(Site, Site.id == Notice.site_id).where(*where)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(Notice.issued_at.desc(), Notice.id.desc())
        .limit(min(max(limit, 1), MAX_LIMIT))
        .offset(max(offset, 0))
    ).all()
    return list(rows), int(total)


def content_of(notice: Notice) -> dict[str, Any]:
    """The stored content, parsed (for pages and the API; the stored text is what is hashed)."""
    parsed: dict[str, Any] = json.loads(notice.content)
    return parsed


def signatures_of(*, session: Session, notice: Notice) -> list[NoticeSignature]:
    """A notice's signatures in the order they were recorded (the order they are hashed in)."""
    return list(
        session.exec(
            select(NoticeSignature)
            .where(NoticeSignature.notice_id == notice.id)
            .order_by(NoticeSignature.id)
        ).all()
    )


def current_hash(notice: Notice, signatures: list[NoticeSignature]) -> str:
    """The notice's hash now: sealed by its newest signature, else its content's."""
    return signatures[-1].sealed_hash if signatures else notice.content_hash


def verify(notice: Notice) -> bool:
    """Recomputed from what is stored: does the content match its hash, each SVG its SHA-256,
    and each signature the hash it sealed (the content with every signature up to it)?"""
    if contents.digest(notice.content) != notice.content_hash:
        return False
    session = object_session(notice)
    assert isinstance(session, Session), "verify a notice loaded through a session"
    sealed: list[dict[str, Any]] = []
    for sig in signatures_of(session=session, notice=notice):
        if contents.svg_digest(sig.svg) != sig.svg_sha256:
            return False
        sealed.append(contents.signature_entry(sig))
        if contents.sealed(notice.content, sealed) != sig.sealed_hash:
            return False
    return True


PREFIX_MAX = column_length(Subdistrict, "notice_prefix")
RECHECK_MAX = column_length(Subdistrict, "recheck_text_zh")


def configure(
    *,
    session: Session,
    code: str,
    prefix: str | None = None,
    recheck_zh: str | None = None,
    recheck_en: str | None = None,
) -> Subdistrict:
    """A subdistrict's notice settings (the CLI's `notice-settings`); None keeps a value, ""
    returns it to the default. Numbers already issued keep their prefix."""
    subdistrict = session.exec(select(Subdistrict).where(Subdistrict.code == code)).first()
    if subdistrict is None:
        raise NotFound(_("No subdistrict has the code %(code)s.", code=code))
    if prefix is not None:
        prefix = prefix.strip()
        if len(prefix) > PREFIX_MAX or any(c in prefix for c in "〔〕 \t\n"):
            raise Invalid(
                _("The prefix is at most %(n)s characters, without spaces or 〔〕.", n=PREFIX_MAX),
                fields={"prefix": _("Choose a shorter prefix.")},
            )
        subdistrict.notice_prefix = prefix
    for name, text in (("recheck_text_zh", recheck_zh), ("recheck_text_en", recheck_en)):
        if text is None:
            continue
        if len(text.strip()) > RECHECK_MAX:
            raise Invalid(
                _("The re-check wording is at most %(n)s characters.", n=RECHECK_MAX),
                fields={name: _("Shorten the wording.")},
            )
        setattr(subdistrict, name, text.strip())
    session.add(subdistrict)
    session.flush()
    return subdistrict
