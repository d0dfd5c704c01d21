"""JSON notices API: the list (of one site, or every site one sees), one notice, its PDF, the
office's correction (a new number naming the notice it replaces), and signatures recorded on
the phone (under the inspection, whose newest notice they sign)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Response
from sqlalchemy.exc import IntegrityError

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import MAX_ID, Id, Offset, OptionalId
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import NotFound
from inspect_app.i18n import gettext as _
from inspect_app.notices import present, service, signatures
from inspect_app.notices.schemas import NoticeOut, NoticePage, SignatureIn, SignatureOut
from inspect_app.web import check_uuid

PUT_ATTEMPTS = 3


def _ref(ref: str) -> tuple[int, bool]:
    """`12` or `12.pdf`: the id, and whether the PDF is asked for."""
    wants_pdf = ref.endswith(".pdf")
    digits = ref.removesuffix(".pdf")
    if not digits.isascii() or not digits.isdigit() or not 1 <= int(digits) <= MAX_ID:
        raise NotFound(_("This notice does not exist or is not visible to you."))
    return int(digits), wants_pdf


class NoticesApiController(Controller):
    path = "/api/v1/notices"
    guards = [require_login]
    tags = ["notices"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_notices(
        self,
        request: Request,
        db: DbSession,
        site_id: FromQuery[OptionalId] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> NoticePage:
        """Notices of the sites you may see, newest first; `site_id` for one site's."""
        rows, total = service.list_notices(
            session=db, user=request.user, site_id=site_id, limit=limit, offset=offset
        )
        return NoticePage(
            items=[present.notice_out(db, n) for n in rows], total=total, limit=limit, offset=offset
        )

    @get("/{ref:str}", responses=ERRORS)
    async def get_notice(self, request: Request, db: DbSession, ref: FromPath[str]) -> Response:
        """One notice (`/api/v1/notices/12`) with its content and hash, or its PDF
        (`/api/v1/notices/12.pdf`)."""
        notice_id, wants_pdf = _ref(ref)
        notice = service.get_notice(session=db, user=request.user, notice_id=notice_id)
        if wants_pdf:
            return await present.pdf_response(request, db, notice)
        return Response(present.notice_out(db, notice))

    @post("/{notice_id:int}/reissue", responses=ERRORS, sync_to_thread=True, status_code=201)
    def reissue(
        self, request: Request, db: DbSession, settings: AppSettings, notice_id: FromPath[Id]
    ) -> NoticeOut:
        """A correction (office only): a new number, the content as it stands now, naming the
        notice it replaces. The old notice is kept unchanged."""
        notice = service.reissue(
            session=db, user=request.user, notice_id=notice_id, time_zone=settings.time_zone
        )
        return present.notice_out(db, notice)


class SignaturesApiController(Controller):
    path = "/api/v1/inspections/{uuid:str}/signatures"
    guards = [require_login]
    tags = ["notices"]

    @put("/{sig_uuid:str}", responses=ERRORS, sync_to_thread=True, status_code=201)
    def put_signature(
        self,
        request: Request,
        db: DbSession,
        uuid: FromPath[str],
        sig_uuid: FromPath[str],
        data: JSONBody[SignatureIn],
    ) -> Response[SignatureOut]:
        """A signature on the inspection's newest notice, under the phone's own UUID: the
        inspector's, the business representative's, or `refused` (拒签) with a witness. The
        drawing is strokes of whole-number points (the server writes the SVG). 201 when
        recorded, 200 for a replay of the same signature; 409 when the UUID holds another one,
        the signer has signed already, or there is no notice to sign yet."""
        inspection_uuid, sig_uuid = check_uuid(uuid), check_uuid(sig_uuid)
        for tries in range(1, PUT_ATTEMPTS + 1):
            try:
                with attempt(db):
                    sig, created = signatures.record(
                        session=db,
                        user=request.user,
                        inspection_uuid=inspection_uuid,
                        uuid=sig_uuid,
                        signing=data.signing(),
                    )
                break
            except IntegrityError:
                # The same signature sent twice at once (a phone that gave up waiting): the
                # other copy stored it first, and the next try answers it as a replay.
                if tries == PUT_ATTEMPTS:
                    raise
        return Response(present.signature_out(sig), status_code=201 if created else 200)
