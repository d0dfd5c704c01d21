"""The walkthrough on the phone: one page, item after item, each answer saved as it is given."""

from __future__ import annotations

import uuid as uuidlib

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.auth.guards import require_login
from inspect_app.bounds import parse_whole
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service
from inspect_app.models import InspectionStatus
from inspect_app.photos import service as photos
from inspect_app.timezone import deadline_window, today_in
from inspect_app.web import check_uuid, done, form_site_id, is_htmx, render


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _round_id(data: dict[str, str]) -> int | None:
    """The campaign round a start from the to do names; none from the site page."""
    raw = (data.get("round_id") or "").strip()
    if not raw:
        return None
    round_id = parse_whole(raw, low=1)
    if round_id is None:
        raise Invalid(_("Unknown round."), fields={"round_id": _("Unknown round.")})
    return round_id


def _deadline_context(settings) -> dict:
    """The deadline window's ends, for the date field's min and max."""
    window = deadline_window(today_in(settings.time_zone), settings.deadline_horizon_days)
    return {
        "today": window.first.isoformat(),
        "latest": window.last.isoformat(),
        "deadline_range": window.message(),
    }


def _default(item, settings):
    return service.default_deadline(
        item, time_zone=settings.time_zone, horizon_days=settings.deadline_horizon_days
    )


class InspectionsController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/inspections"
    guards = [require_login]

    def _walkthrough(
        self, request, db, settings, inspection, *, errors=None, status=200, continued=False
    ) -> Template:
        summary = service.summarise(session=db, inspection=inspection)
        return render(
            request,
            "inspections/walkthrough.html",
            s=summary,
            errors=errors or {},
            status_code=status,
            continued=continued,
            defaults={i.code: _default(i, settings) for i in summary.view.items},
            **_deadline_context(settings),
        )

    def _item(self, request, db, settings, inspection, item_code, *, error: str = "") -> Template:
        summary = service.summarise(session=db, inspection=inspection)
        item = next((i for i in summary.view.items if i.code == item_code), None)
        if item is None:
            raise NotFound(_("This checklist has no item %(code)s.", code=item_code))
        return render(
            request,
            "inspections/_item.html",
            s=summary,
            item=item,
            errors={item.code: error} if error else {},
            number=summary.view.items.index(item) + 1,
            default_deadline=_default(item, settings),
            oob_progress=True,
            **_deadline_context(settings),
        )

    @post("/new", sync_to_thread=True)
    def start(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """Start an inspection of a site with a checklist (from the site page, or from the to do,
        linked to its campaign round); the inspector's open draft of the same site and checklist
        is continued instead, and the page says so."""
        site_id, code = form_site_id(data), data.get("template_code", "")
        round_id = _round_id(data)
        draft = service.open_draft(
            session=db, user=request.user, site_id=site_id, template_code=code
        )
        if draft is not None:
            return Redirect(f"/inspections/{draft.uuid}?continued=1", status_code=303)
        inspection = service.start_inspection(
            session=db,
            user=request.user,
            site_id=site_id,
            template_code=code,
            uuid=str(uuidlib.uuid4()),
            round_id=round_id,
            time_zone=settings.time_zone,
        )
        return Redirect(f"/inspections/{inspection.uuid}", status_code=303)

    @post("/{uuid:str}/discard", sync_to_thread=True)
    def discard(self, request: Request, db: DbSession, uuid: FromPath[str]) -> Redirect:
        """Throw the draft away on purpose (its inspector only; a submitted one cannot be)."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        site_id = service.discard_draft(session=db, user=request.user, inspection=inspection)
        return done(request, f"/sites/{site_id}", _("The draft was discarded."))

    @get("/{uuid:str}", sync_to_thread=True)
    def show(
        self, request: Request, db: DbSession, settings: AppSettings, uuid: FromPath[str]
    ) -> Template:
        """The walkthrough while it is the inspector's draft; the summary once submitted."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        if (
            inspection.status == InspectionStatus.draft
            and inspection.inspector_id == request.user.id
        ):
            continued = request.query_params.get("continued") == "1"
            return self._walkthrough(request, db, settings, inspection, continued=continued)
        summary = service.summarise(session=db, inspection=inspection)
        return render(request, "inspections/summary.html", s=summary)

    @get("/{uuid:str}/items/{item_code:str}", sync_to_thread=True)
    def item(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        uuid: FromPath[str],
        item_code: FromPath[str],
    ) -> Template:
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        return self._item(request, db, settings, inspection, item_code)

    @post("/{uuid:str}/answers/{item_code:str}", sync_to_thread=True, status_code=200)
    def answer(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        uuid: FromPath[str],
        item_code: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Save one answer; htmx gets the item back, a plain form post returns to the page.
        A refused deadline keeps the rest of the answer (the note) and says why at the field."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        result = data.get("result") or data.get("current_result") or ""
        try:
            with attempt(db):
                service.save_answer(
                    session=db,
                    user=request.user,
                    inspection=inspection,
                    item_code=item_code,
                    result=result,
                    note=data.get("note", ""),
                    deadline=data.get("deadline") or None,
                    time_zone=settings.time_zone,
                    horizon_days=settings.deadline_horizon_days,
                )
        except Invalid as exc:
            if is_htmx(request):
                response = self._item(
                    request,
                    db,
                    settings,
                    inspection,
                    item_code,
                    error=exc.fields.get(item_code, exc.message),
                )
                response.status_code = 422
                return response
            if isinstance(exc, service.DeadlineRefused):
                return self._walkthrough(
                    request, db, settings, inspection, errors=exc.fields, status=422
                )
            raise
        if not is_htmx(request):
            return Redirect(f"/inspections/{inspection.uuid}#item-{item_code}", status_code=303)
        return self._item(request, db, settings, inspection, item_code)

    @post("/{uuid:str}/location", sync_to_thread=True, status_code=204)
    def location(
        self,
        request: Request,
        db: DbSession,
        uuid: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> None:
        """Where the phone was when the inspection began (only when the inspector allows it)."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        lat, lon = _float(data.get("latitude")), _float(data.get("longitude"))
        if lat is None or lon is None:
            raise Invalid(_("The position is not valid."))
        service.record_location(
            session=db,
            user=request.user,
            inspection=inspection,
            latitude=lat,
            longitude=lon,
            accuracy_m=_float(data.get("accuracy")),
        )

    @post("/{uuid:str}/photos/{photo_uuid:str}/delete", sync_to_thread=True, status_code=200)
    def delete_photo(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        uuid: FromPath[str],
        photo_uuid: FromPath[str],
    ) -> Template:
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        service.require_editable(inspection, request.user)
        photo = photos.find_photo(session=db, uuid=check_uuid(photo_uuid))
        photos.delete_photo(session=db, inspection=inspection, uuid=photo_uuid)  # 404 if not here
        assert photo is not None
        return self._item(request, db, settings, inspection, photo.item_code)

    @post("/{uuid:str}/submit", sync_to_thread=True, status_code=200)
    def submit(
        self, request: Request, db: DbSession, settings: AppSettings, uuid: FromPath[str]
    ) -> Template | Redirect:
        """Check every item on the server too; problems are shown on the items themselves."""
        inspection = service.get_inspection(session=db, user=request.user, uuid=check_uuid(uuid))
        try:
            with attempt(db):
                service.submit(
                    session=db,
                    user=request.user,
                    inspection=inspection,
                    time_zone=settings.time_zone,
                    horizon_days=settings.deadline_horizon_days,
                )
        except Invalid as exc:
            return self._walkthrough(
                request, db, settings, inspection, errors=exc.fields, status=422
            )
        return Redirect(f"/inspections/{inspection.uuid}", status_code=303)
