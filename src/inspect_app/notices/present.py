"""What pages, PDFs and the API show of a notice (shared so views and api never meet)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Response
from sqlmodel import Session

from inspect_app.i18n import current_locale
from inspect_app.links import present as links
from inspect_app.models import Inspection, Notice, NoticeSignature, SignatureRole
from inspect_app.notices import content as contents
from inspect_app.notices import pdf, service
from inspect_app.notices.schemas import NoticeOut, SignatureOut


def lang() -> str:
    return "zh" if current_locale.get().startswith("zh") else "en"


def signature_out(sig: NoticeSignature) -> SignatureOut:
    return SignatureOut.model_validate(sig, from_attributes=True)


def notice_out(session: Session, notice: Notice) -> NoticeOut:
    inspection = session.get_one(Inspection, notice.inspection_id)
    signatures = service.signatures_of(session=session, notice=notice)
    assert notice.id is not None
    return NoticeOut(
        id=notice.id,
        number=notice.number,
        site_id=notice.site_id,
        inspection_uuid=inspection.uuid,
        replaces_id=notice.replaces_id,
        issued_at=notice.issued_at,
        content_hash=notice.content_hash,
        current_hash=service.current_hash(notice, signatures),
        hash_verifies=service.verify(notice),
        signatures=[signature_out(s) for s in signatures],
        content=service.content_of(notice),
        pdf_url=f"/api/v1/notices/{notice.id}.pdf",
    )


@dataclass(frozen=True)
class SheetSignatures:
    """What the notice's foot shows (templates/notices/_signatures.html)."""

    inspectors: list[NoticeSignature]
    business: NoticeSignature | None  # the representative's signature or the refusal
    images: dict[str, str]  # signature uuid -> data: URI of its SVG (only those that verify)
    hash: str  # the notice's hash now
    count: int
    verifies: bool


def sheet_signatures(session: Session, notice: Notice) -> SheetSignatures:
    """The notice's signatures for printing. Each SVG is shown as an image (a data: URI in an
    <img>, where no script can run) and only when it still matches its recorded SHA-256."""
    rows = service.signatures_of(session=session, notice=notice)
    images = {
        s.uuid: "data:image/svg+xml;base64," + base64.b64encode(s.svg.encode()).decode("ascii")
        for s in rows
        if s.svg is not None and contents.svg_digest(s.svg) == s.svg_sha256
    }
    return SheetSignatures(
        inspectors=[s for s in rows if s.role == SignatureRole.inspector],
        business=next((s for s in rows if s.role != SignatureRole.inspector), None),
        images=images,
        hash=service.current_hash(notice, rows),
        count=len(rows),
        verifies=service.verify(notice),
    )


def page_context(
    session: Session, inspection: Inspection, notice: Notice | None, time_zone: str
) -> dict[str, Any]:
    """The print page's context: the issued content, or a preview when none is issued."""
    if notice is not None:
        c = service.content_of(notice)
    else:
        c = contents.build(
            session=session,
            inspection=inspection,
            number="",
            issued_on=inspection.started_at.date(),
            replaces=None,
            time_zone=time_zone,
        )
    photo_ids = [p["id"] for item in c["items"] for p in item["photos"]]
    thumbs = {pid: f"/api/v1/photos/{pid}/thumb" for pid in photo_ids}
    sign = sheet_signatures(session, notice) if notice is not None else None
    return {"c": c, "notice": notice, "lang": lang(), "thumbs": thumbs, "sign": sign}


def business_link(request: Request, session: Session, notice: Notice | None) -> dict | None:
    """The site's current link (QR code and short link) for an issued notice, if it works."""
    if notice is None:
        return None
    settings = request.app.state.settings
    return links.on_notice(
        session=session, site_id=notice.site_id, request=request, settings=settings
    )


async def pdf_response(request: Request, session: Session, notice: Notice) -> Response:
    """The notice's PDF, made in the bounded pool; 503 naming the font package without one."""
    font = pdf.font_family()
    link = business_link(request, session, notice)
    c = service.content_of(notice)
    photos = [p for item in c["items"] for p in item["photos"]]
    thumbs = pdf.thumbnails(request.app.state.storage, photos)
    engine = request.app.template_engine
    assert engine is not None
    template = engine.engine.get_template("notices/notice_pdf.html")
    sign = sheet_signatures(session, notice)
    html = template.render(
        c=c, notice=notice, lang=lang(), thumbs=thumbs, font=font, sign=sign, business_link=link
    )
    body = await pdf.render(html)
    name = f"notice-{notice.id}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
