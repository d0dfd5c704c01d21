"""The notice's print page and its PDF, under the inspection they were issued for."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from inspect_app.auth.guards import require_login
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import NotFound
from inspect_app.i18n import gettext as _
from inspect_app.links import present as links
from inspect_app.notices import present, service, signatures
from inspect_app.web import check_uuid, done, render


class NoticePagesController(Controller):
    include_in_schema = False  # pages, not part of the API
    path = "/inspections"
    guards = [require_login]

    @get("/{uuid:str}/notice", sync_to_thread=True)
    def notice(
        self, request: Request, db: DbSession, settings: AppSettings, uuid: FromPath[str]
    ) -> Template:
        """The printable rectification notice (整改通知书) handed to the business."""
        inspection, notice = service.latest_for(
            session=db, user=request.user, uuid=check_uuid(uuid)
        )
        context = present.page_context(db, inspection, notice, settings.time_zone)
        context["business_link"] = present.business_link(request, db, notice)
        if notice is not None and request.user.is_staff:
            context["link_panel"] = links.panel(
                session=db,
                user=request.user,
                site_id=notice.site_id,
                request=request,
                settings=settings,
            )
        return render(request, "inspections/notice.html", **context)

    @get("/{uuid:str}/sign", sync_to_thread=True)
    def sign(self, request: Request, db: DbSession, uuid: FromPath[str]) -> Template:
        """Sign the notice on the phone: the inspector, then the business's representative (or
        the record that they refused, with a witness). What is drawn waits in the outbox."""
        state = signatures.signing_state(
            session=db, user=request.user, inspection_uuid=check_uuid(uuid)
        )
        sheet = present.sheet_signatures(db, state.notice) if state.notice else None
        return render(request, "notices/sign.html", state=state, sign=sheet)

    @get("/{uuid:str}/notice.pdf")
    async def notice_pdf(self, request: Request, db: DbSession, uuid: FromPath[str]) -> Response:
        """The issued notice as a PDF (A4, Chinese font embedded)."""
        _inspection, notice = service.latest_for(
            session=db, user=request.user, uuid=check_uuid(uuid)
        )
        if notice is None:
            raise NotFound(_("No notice has been issued for this inspection."))
        return await present.pdf_response(request, db, notice)

    @post("/{uuid:str}/notice/reissue", sync_to_thread=True)
    def reissue(
        self, request: Request, db: DbSession, settings: AppSettings, uuid: FromPath[str]
    ) -> Redirect:
        """A correction (office only): the inspection's newest notice is replaced by a new
        number with the content as it stands now; the old one is kept as it was."""
        _inspection, notice = service.latest_for(
            session=db, user=request.user, uuid=check_uuid(uuid)
        )
        if notice is None:
            raise NotFound(_("No notice has been issued for this inspection."))
        assert notice.id is not None
        new = service.reissue(
            session=db, user=request.user, notice_id=notice.id, time_zone=settings.time_zone
        )
        message = _(
            "Corrected notice %(number)s issued; it replaces %(old)s.",
            number=new.number,
            old=notice.number,
        )
        return done(request, f"/inspections/{uuid}/notice", message)
