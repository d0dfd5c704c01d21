"""JSON inspections: create-or-update by client UUID (replays are safe), read, site history."""

from __future__ import annotations

from litestar import Controller, Request, get, patch, put
from litestar.params import FromPath, JSONBody
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import Id
from inspect_app.db import attempt, ends_in_worker_thread
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Invalid
from inspect_app.inspections import service, sync
from inspect_app.inspections.schemas import (
    AnswerFieldsIn,
    AnswerOut,
    AnswerSavedOut,
    InspectionIn,
    InspectionOut,
)
from inspect_app.photos.intake import UPLOAD, receive_photo
from inspect_app.photos.schemas import PhotoOut, photo_out
from inspect_app.photos.service import blobs_for
from inspect_app.web import check_uuid

PUT_ATTEMPTS = 3


def inspection_out(*, session: Session, user: CurrentUser, inspection) -> InspectionOut:
    summary = service.summarise(session=session, inspection=inspection)
    blobs = {b.sha256: b for b in blobs_for(session=session, photos=summary.photos)}
    answers = [
        AnswerOut(
            item_code=a.item_code,
            result=a.result,
            note=a.note,
            deadline=a.deadline,
            photos=[
                photo_out(p, blobs[p.sha256], staff=user.is_staff)
                for p in summary.photos.get(a.item_code, [])
            ],
        )
        for a in sorted(summary.answers.values(), key=lambda a: a.item_code)
    ]
    return InspectionOut(
        uuid=inspection.uuid,
        site_id=inspection.site_id,
        template_code=summary.view.template.code,
        template_version=summary.view.version.version,
        status=inspection.status,
        inspector_id=inspection.inspector_id,
        started_at=inspection.started_at,
        submitted_at=inspection.submitted_at,
        latitude=inspection.latitude,
        longitude=inspection.longitude,
        accuracy_m=inspection.accuracy_m,
        round_id=inspection.round_id,
        distance_to_site_m=summary.distance_m,
        score=summary.score,
        answers=answers,
    )


class InspectionsApiController(Controller):
    path = "/api/v1/inspections"
    guards = [require_login]
    tags = ["inspections"]

    @put("/{uuid:str}", responses=ERRORS, sync_to_thread=True)
    @ends_in_worker_thread
    def put_inspection(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        uuid: FromPath[str],
        data: JSONBody[InspectionIn],
    ) -> InspectionOut:
        """Create or update a draft; `submit: true` submits it. Replays return what is stored;
        changing a submitted inspection is 409."""
        uuid = check_uuid(uuid)
        for tries in range(1, PUT_ATTEMPTS + 1):
            try:
                with attempt(db):
                    inspection = sync.put_inspection(
                        session=db,
                        user=request.user,
                        uuid=uuid,
                        data=data,
                        time_zone=settings.time_zone,
                        horizon_days=settings.deadline_horizon_days,
                    )
                break
            except IntegrityError:
                # An overlapping copy of this request (a phone that gave up waiting and sent it
                # again) stored the same rows first: start over from what it stored.
                if tries == PUT_ATTEMPTS:
                    raise
        return inspection_out(session=db, user=request.user, inspection=inspection)

    @patch("/{uuid:str}/answers/{item_code:str}", responses=ERRORS, sync_to_thread=True)
    @ends_in_worker_thread
    def patch_answer(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        uuid: FromPath[str],
        item_code: FromPath[str],
        data: JSONBody[AnswerFieldsIn],
    ) -> AnswerSavedOut:
        """Save the note or deadline of a draft's answer as it is typed. A deadline outside the
        allowed range is 422 on `deadline` alone: the note sent with it is saved all the same."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        try:
            answer = service.save_fields(
                session=db,
                user=request.user,
                inspection=inspection,
                item_code=item_code,
                note=data.note,
                deadline=data.deadline,
                time_zone=settings.time_zone,
                horizon_days=settings.deadline_horizon_days,
            )
        except service.DeadlineRefused as exc:
            field = {"deadline": exc.fields.get(item_code, "")}
            raise Invalid(exc.message, fields=field, keeps_changes=True) from None
        return AnswerSavedOut(
            item_code=answer.item_code,
            result=answer.result,
            note=answer.note,
            deadline=answer.deadline,
        )

    @get("/{uuid:str}", responses=ERRORS, sync_to_thread=True)
    def get_inspection(self, request: Request, db: DbSession, uuid: FromPath[str]) -> InspectionOut:
        """One inspection with its answers and photos."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        return inspection_out(session=db, user=request.user, inspection=inspection)

    @put("/{uuid:str}/photos/{photo_uuid:str}", responses=ERRORS, **UPLOAD)
    async def upload_finding(
        self, request: Request, uuid: FromPath[str], photo_uuid: FromPath[str]
    ) -> PhotoOut:
        """A photo of a finding: multipart `file` plus `item_code`. Sending the same photo again
        returns it unchanged; the same photo id with another picture or item is 409."""
        target = service.FindingPhotos(user=request.user, uuid=check_uuid(uuid))
        return await receive_photo(request, photo_uuid, target)


class SiteInspectionsApiController(Controller):
    path = "/api/v1/sites/{site_id:int}/inspections"
    guards = [require_login]
    tags = ["inspections"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def site_inspections(
        self, request: Request, db: DbSession, site_id: FromPath[Id]
    ) -> list[InspectionOut]:
        """A site's inspections, newest first."""
        return [
            inspection_out(session=db, user=request.user, inspection=i)
            for i in service.site_history(session=db, user=request.user, site_id=site_id)
        ]
