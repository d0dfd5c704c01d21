"""PUT /api/v1/inspections/{uuid}: the idempotent create-or-update the offline client relies on."""

from __future__ import annotations

from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.checklists import service as checklists
from inspect_app.errors import Conflict, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service
from inspect_app.inspections.schemas import InspectionIn
from inspect_app.models import Inspection, InspectionStatus, TemplateVersion


def put_inspection(
    *,
    session: Session,
    user: CurrentUser,
    uuid: str,
    data: InspectionIn,
    time_zone: str,
    horizon_days: int = service.HORIZON_DAYS,
) -> Inspection:
    """Create or update the draft, then submit it if asked. A refused deadline does not lose
    the rest: every answer is saved, and the refusals come back together (nothing submitted)."""
    exists = session.exec(select(Inspection.id).where(Inspection.uuid == uuid)).first()
    if exists is None:
        inspection = service.start_inspection(
            session=session,
            user=user,
            site_id=data.site_id,
            template_code=data.template_code,
            uuid=uuid,
            started_at=data.started_at,
            version=data.template_version,
            round_id=data.round_id,
            time_zone=time_zone,
        )
    else:
        inspection = service.get_inspection(session=session, user=user, uuid=uuid)
        _same_subject_or_conflict(session, inspection, data)
        if inspection.status == InspectionStatus.submitted:
            if _same_answers(session, inspection, data) and data.submit:
                return inspection  # a replay: answer with what is stored
            raise Conflict(_("This inspection has been submitted and can no longer be changed."))
    if data.latitude is not None and data.longitude is not None:
        service.record_location(
            session=session,
            user=user,
            inspection=inspection,
            latitude=data.latitude,
            longitude=data.longitude,
            accuracy_m=data.accuracy_m,
        )
    refused: dict[str, str] = {}
    for answer in data.answers:
        try:
            service.save_answer(
                session=session,
                user=user,
                inspection=inspection,
                item_code=answer.item_code,
                result=answer.result.value,
                note=answer.note,
                deadline=answer.deadline,
                time_zone=time_zone,
                horizon_days=horizon_days,
            )
        except service.DeadlineRefused as exc:
            refused.update(exc.fields)
    if refused:  # every answer stays; only the deadlines named are refused
        raise Invalid(
            _("Some deadlines are outside the allowed range."), fields=refused, keeps_changes=True
        )
    if data.submit:
        try:
            service.submit(
                session=session,
                user=user,
                inspection=inspection,
                time_zone=time_zone,
                horizon_days=horizon_days,
            )
        except Invalid as refusal:  # the answers given so far stay; only the submit is refused
            raise Invalid(refusal.message, fields=refusal.fields, keeps_changes=True) from None
    return inspection


def _same_subject_or_conflict(session: Session, inspection: Inspection, data: InspectionIn) -> None:
    version = session.get_one(TemplateVersion, inspection.version_id)
    template = checklists.version_view(session=session, version_id=inspection.version_id).template
    if (
        inspection.site_id != data.site_id
        or template.code != data.template_code
        or version.version != data.template_version
    ):
        raise Conflict(_("This inspection id is already used for another site or checklist."))


def _same_answers(session: Session, inspection: Inspection, data: InspectionIn) -> bool:
    """Does the request repeat what is stored? (A deadline left empty took the default.)"""
    stored = service.answers_by_code(session=session, inspection=inspection)
    for sent in data.answers:
        kept = stored.get(sent.item_code)
        if kept is None or (kept.result, kept.note) != (sent.result, sent.note.strip()):
            return False
        if sent.deadline is not None and sent.deadline != kept.deadline:
            return False
    return True
