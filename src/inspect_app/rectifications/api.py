"""JSON rectification API: the list, one item with its events, the four state changes (each
idempotent under a client `request_id`), and the overdue board."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlmodel import Session

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import office_only, require_login
from inspect_app.bounds import Id, Offset, OptionalId
from inspect_app.deps import AppSettings, DbSession
from inspect_app.photos.intake import UPLOAD, receive_photo
from inspect_app.photos.schemas import PhotoOut
from inspect_app.rectifications import present, queries, service
from inspect_app.rectifications.schemas import (
    BoardOut,
    CancelIn,
    ExtendIn,
    RectificationDetail,
    RectificationPage,
    ReportFixedIn,
    VerifyIn,
    VisitIn,
    VisitOut,
)
from inspect_app.timezone import today_in
from inspect_app.web import check_uuid

MAX_LIMIT = 200


def _detail(db: Session, request: Request, settings, item_id: int) -> RectificationDetail:
    today = today_in(settings.time_zone)
    row = present.find_row(session=db, user=request.user, item_id=item_id)
    return present.detail_out(session=db, user=request.user, row=row, today=today)


class RectificationsApiController(Controller):
    path = "/api/v1/rectifications"
    guards = [require_login]
    tags = ["rectifications"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_items(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        status: FromQuery[str] = "",
        overdue: FromQuery[bool] = False,
        site_id: FromQuery[OptionalId] = None,
        team_id: FromQuery[OptionalId] = None,
        site_kind: FromQuery[str] = "",
        template: FromQuery[str] = "",
        item: FromQuery[str] = "",
        severity: FromQuery[str] = "",
        deadline_from: FromQuery[str] = "",
        deadline_to: FromQuery[str] = "",
        sort: FromQuery[str] = "deadline",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> RectificationPage:
        """Items you may see. `status`: open, fix_reported, closed, cancelled or active;
        `overdue=true`: past the deadline and not closed; `sort`: deadline, -deadline, created,
        -created, site, severity."""
        f = present.parse_filter(request.query_params)
        today = today_in(settings.time_zone)
        rows, total = queries.list_items(
            session=db, user=request.user, f=f, today=today, limit=limit, offset=offset
        )
        return RectificationPage(
            items=[present.row_out(r, today) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/{item_id:int}", responses=ERRORS, sync_to_thread=True)
    def get_item(
        self, request: Request, db: DbSession, settings: AppSettings, item_id: FromPath[Id]
    ) -> RectificationDetail:
        """One item with its finding photos and its whole history."""
        return _detail(db, request, settings, item_id)

    @post(
        "/{item_id:int}/report-fixed",
        responses=ERRORS,
        sync_to_thread=True,
        status_code=200,
    )
    def report_fixed(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: JSONBody[ReportFixedIn],
    ) -> RectificationDetail:
        """The business reports the item fixed: a note and at least one uploaded photo id."""
        change = service.Change(
            note=data.note, photo_uuids=tuple(data.photo_ids), request_id=data.request_id
        )
        service.report_fixed(session=db, user=request.user, item_id=item_id, change=change)
        return _detail(db, request, settings, item_id)

    @post(
        "/{item_id:int}/verify",
        responses=ERRORS,
        sync_to_thread=True,
        status_code=200,
    )
    def verify(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: JSONBody[VerifyIn],
    ) -> RectificationDetail:
        """An inspector's verdict: `closed` (an 'after' photo id required) or `not_fixed`."""
        change = service.Change(
            note=data.note,
            photo_uuids=tuple(data.photo_ids),
            new_deadline=data.new_deadline,
            request_id=data.request_id,
            visit_uuid=data.visit_uuid,
        )
        service.verify(
            session=db,
            user=request.user,
            item_id=item_id,
            outcome=data.outcome,
            change=change,
            today=today_in(settings.time_zone),
            horizon_days=settings.deadline_horizon_days,
        )
        return _detail(db, request, settings, item_id)

    @post(
        "/{item_id:int}/extend",
        responses=ERRORS,
        sync_to_thread=True,
        status_code=200,
    )
    def extend(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: JSONBody[ExtendIn],
    ) -> RectificationDetail:
        """A supervisor moves the deadline later (reason required)."""
        change = service.Change(
            note=data.reason, new_deadline=data.new_deadline, request_id=data.request_id
        )
        service.extend(
            session=db,
            user=request.user,
            item_id=item_id,
            change=change,
            today=today_in(settings.time_zone),
            horizon_days=settings.deadline_horizon_days,
        )
        return _detail(db, request, settings, item_id)

    @post(
        "/{item_id:int}/cancel",
        responses=ERRORS,
        sync_to_thread=True,
        status_code=200,
    )
    def cancel(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: JSONBody[CancelIn],
    ) -> RectificationDetail:
        """A supervisor cancels an item raised in error (reason required)."""
        change = service.Change(note=data.reason, request_id=data.request_id)
        service.cancel(session=db, user=request.user, item_id=item_id, change=change)
        return _detail(db, request, settings, item_id)

    @put("/{item_id:int}/photos/{photo_uuid:str}", responses=ERRORS, **UPLOAD)
    async def upload_evidence(
        self, request: Request, item_id: FromPath[Id], photo_uuid: FromPath[str]
    ) -> PhotoOut:
        """A photo of a fix (owner) or an 'after' photo (inspector): multipart `file`. Attach it
        with the photo id in report-fixed or verify."""
        target = service.EvidencePhotos(user=request.user, item_id=item_id)
        return await receive_photo(request, photo_uuid, target)


class VisitsApiController(Controller):
    path = "/api/v1/visits"
    guards = [require_login]
    tags = ["rectifications"]

    @put("/{uuid:str}", responses=ERRORS, sync_to_thread=True, status_code=200)
    def put_visit(
        self, request: Request, db: DbSession, uuid: FromPath[str], data: JSONBody[VisitIn]
    ) -> VisitOut:
        """Start a follow-up visit under a client UUID (a replay returns the same visit); its
        verdicts name it in `visit_uuid`."""
        visit = service.start_visit(
            session=db, user=request.user, site_id=data.site_id, uuid=check_uuid(uuid)
        )
        return VisitOut.model_validate(visit, from_attributes=True)


class OverdueBoardApiController(Controller):
    path = "/api/v1/dashboard"
    guards = [office_only]
    tags = ["rectifications"]

    @get(
        "/overdue",
        responses=ERRORS,
        sync_to_thread=True,
    )
    def board(self, request: Request, db: DbSession, settings: AppSettings) -> BoardOut:
        """The overdue board's counts, each with a link to the filtered list."""
        data = queries.board(
            session=db,
            user=request.user,
            today=today_in(settings.time_zone),
            time_zone=settings.time_zone,
        )
        return present.board_out(data)
