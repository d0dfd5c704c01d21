"""What pages, PDFs and the API show of a notice (shared so views and api never meet)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Response
from sqlmodel import Session

from inspect_app.i18n import current_locale
from inspect_app.models import Inspection, Notice
from inspect_app.notices import content as contents
from inspect_app.notices import pdf, service
from inspect_app.notices.schemas import NoticeOut


def lang() -> str:
    return "zh" if current_locale.get().startswith("zh") else "en"


def notice_out(session: Session, notice: Notice) -> NoticeOut:
    inspection = session.get_one(Inspection, notice.inspection_id)
    assert notice.id is not None
    return NoticeOut(
        id=notice.id,
        number=notice.number,
        site_id=notice.site_id,
        inspection_uuid=inspection.uuid,
        replaces_id=notice.replaces_id,
        issued_at=notice.issued_at,
        content_hash=notice.content_hash,
        hash_verifies=service.verify(notice),
        content=service.content_of(notice),
        pdf_url=f"/api/v1/notices/{notice.id}.pdf",
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
    return {"c": c, "notice": notice, "lang": lang(), "thumbs": thumbs}


async def pdf_response(request: Request, notice: Notice) -> Response:
    """The notice's PDF, made in the bounded pool; 503 naming the font package without one."""
    font = pdf.font_family()
    c = service.content_of(notice)
    photos = [p for item in c["items"] for p in item["photos"]]
    thumbs = pdf.thumbnails(request.app.state.storage, photos)
    engine = request.app.template_engine
    assert engine is not None
    template = engine.engine.get_template("notices/notice_pdf.html")
    html = template.render(c=c, notice=notice, lang=lang(), thumbs=thumbs, font=font)
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
