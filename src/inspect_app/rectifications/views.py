"""Rectification pages: the list (with exports), an item with its history and actions, the
follow-up visit, the overdue board and the printable notice."""

from __future__ import annotations

import uuid as uuidlib

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Response, Template

from inspect_app.auth.guards import office_only, require_login, require_roles, staff_only
from inspect_app.bounds import MAX_OFFSET, Id, parse_whole
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import AppError, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.models import Role, Severity, Site, SiteKind
from inspect_app.rectifications import (
    chart,
    chips,
    export,
    history,
    present,
    queries,
    recheck,
    service,
)
from inspect_app.rectifications.schemas import MAX_PHOTOS, NOTE_MAX
from inspect_app.sites.service import visible_teams
from inspect_app.timezone import FILTER_WINDOW, deadline_window, today_in
from inspect_app.web import check_uuid, done, form_site_id, render, safe_next

PAGE_SIZE = 30
EXPORT_LIMIT = 50_000


def _change(data: dict[str, str]) -> service.Change:
    raw_deadline = (data.get("new_deadline") or "").strip()
    try:
        deadline = inspections.parse_deadline(raw_deadline or None, "new_deadline")
    except Invalid:
        raise Invalid(_("Enter a date."), fields={"new_deadline": _("Enter a date.")}) from None
    photos = tuple(p for p in (data.get("photo_ids") or "").split(",", MAX_PHOTOS) if p.strip())
    if len(photos) > MAX_PHOTOS:
        message = _("At most %(n)s photos at a time.", n=MAX_PHOTOS)
        raise Invalid(message, fields={"photo_ids": message})
    note = data.get("note") or data.get("reason") or ""
    if len(note) > NOTE_MAX:
        message = _("At most %(n)s characters.", n=NOTE_MAX)
        raise Invalid(message, fields={"note": message, "reason": message})
    return service.Change(
        note=note,
        photo_uuids=photos,
        new_deadline=deadline,
        request_id=data.get("request_id") or None,
        visit_uuid=data.get("visit_uuid") or None,
    )


class RectificationsController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/rectifications"
    guards = [require_login]

    def _list_context(self, request, db, settings) -> dict:
        f = present.parse_filter(request.query_params)
        raw_page = request.query_params.get("page") or "1"
        page = parse_whole(raw_page, low=1, high=MAX_OFFSET // PAGE_SIZE) or 1
        today = today_in(settings.time_zone)
        rows, total = queries.list_items(
            session=db,
            user=request.user,
            f=f,
            today=today,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        office = request.user.is_staff  # owners get no team filter, no exports, no codes
        teams = visible_teams(session=db, user=request.user) if office else []
        templates = chips.checklists(session=db)
        return {
            "rows": rows,
            "total": total,
            "f": f,
            "page": page,
            "today": today,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "office": office,
            "teams": teams,
            "templates": templates,
            "chips": chips.chips(
                session=db, user=request.user, f=f, teams=teams, templates=templates
            ),
            "kinds": list(SiteKind),
            "severities": list(Severity),
            "statuses": ["active", *[s.value for s in service.Status]],
            "filter_window": FILTER_WINDOW,
        }

    @get("/", sync_to_thread=True)
    def list_page(self, request: Request, db: DbSession, settings: AppSettings) -> Template:
        """Filter, sort and page through items; htmx swaps only the results."""
        return render(
            request,
            "rectifications/list.html",
            fragment="rectifications/_results.html",
            **self._list_context(request, db, settings),
        )

    @get("/export.csv", guards=[staff_only], sync_to_thread=True)
    def export_csv(self, request: Request, db: DbSession, settings: AppSettings) -> Response:
        """CSV of every row the current filter selects (UTF-8 with BOM, for Excel)."""
        return _export(request, db, settings, "csv")

    @get("/export.xlsx", guards=[staff_only], sync_to_thread=True)
    def export_xlsx(self, request: Request, db: DbSession, settings: AppSettings) -> Response:
        """XLSX of every row the current filter selects."""
        return _export(request, db, settings, "xlsx")

    @get("/{item_id:int}", sync_to_thread=True)
    def item_page(
        self, request: Request, db: DbSession, settings: AppSettings, item_id: FromPath[Id]
    ) -> Template:
        return self._item(request, db, settings, item_id)

    def _item(self, request, db, settings, item_id, *, errors=None, status=200) -> Template:
        today = today_in(settings.time_zone)
        row = present.find_row(session=db, user=request.user, item_id=item_id)
        events = service.events(session=db, item=row.item)
        photos = service.photos_of(session=db, item=row.item)
        return render(
            request,
            "rectifications/item.html",
            row=row,
            today=today,
            latest=deadline_window(today, settings.deadline_horizon_days).last,
            errors=errors or {},
            events=events,
            actors=history.actors(
                session=db, reader=request.user, user_ids=(e.actor_id for e in events)
            ),
            outcome=history.outcome(events),
            compare=history.comparison(photos, events),
            photos=photos,
            overdue=row.item.is_overdue(today),
            visit_uuid=request.query_params.get("visit", ""),
            form_token=str(uuidlib.uuid4()),
            status_code=status,
        )

    def _act(
        self, request, db, settings, item_id, action, data, message: str = ""
    ) -> Template | Redirect:
        """Run a state change; a refusal re-renders the item with the reason, success goes
        back (saying `message` once, when given; a verdict's outcome shows where it lands)."""
        try:
            with attempt(db):
                action()
        except (Invalid, AppError) as exc:
            if exc.status_code not in (409, 422):
                raise
            return self._item(
                request,
                db,
                settings,
                item_id,
                errors={"form": exc.message, **exc.fields},
                status=exc.status_code,
            )
        target = safe_next(data.get("next") or f"/rectifications/{item_id}")
        return done(request, target, message) if message else Redirect(target, status_code=303)

    @post("/{item_id:int}/report-fixed", sync_to_thread=True, status_code=303)
    def report_fixed(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._act(
            request,
            db,
            settings,
            item_id,
            lambda: service.report_fixed(
                session=db, user=request.user, item_id=item_id, change=_change(data)
            ),
            data,
            _("Your report was sent. The inspector will come back to check the fix."),
        )

    @post("/{item_id:int}/verify", sync_to_thread=True, status_code=303)
    def verify(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._act(
            request,
            db,
            settings,
            item_id,
            lambda: service.verify(
                session=db,
                user=request.user,
                item_id=item_id,
                outcome=data.get("outcome", ""),
                change=_change(data),
                today=today_in(settings.time_zone),
                horizon_days=settings.deadline_horizon_days,
            ),
            data,
        )

    @post("/{item_id:int}/extend", sync_to_thread=True, status_code=303)
    def extend(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._act(
            request,
            db,
            settings,
            item_id,
            lambda: service.extend(
                session=db,
                user=request.user,
                item_id=item_id,
                change=_change(data),
                today=today_in(settings.time_zone),
                horizon_days=settings.deadline_horizon_days,
            ),
            data,
            _("The deadline was extended."),
        )

    @post("/{item_id:int}/cancel", sync_to_thread=True, status_code=303)
    def cancel(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._act(
            request,
            db,
            settings,
            item_id,
            lambda: service.cancel(
                session=db, user=request.user, item_id=item_id, change=_change(data)
            ),
            data,
            _("The item was cancelled."),
        )


def _export(request: Request, db, settings, fmt: str) -> Response:
    f = present.parse_filter(request.query_params)
    today = today_in(settings.time_zone)
    rows = queries.export_rows(session=db, user=request.user, f=f, today=today, limit=EXPORT_LIMIT)
    if fmt == "csv":
        body, media = export.to_csv(rows, today, settings.time_zone), "text/csv; charset=utf-8"
    else:
        body = export.to_xlsx(rows, today, settings.time_zone)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"rectifications-{today.isoformat()}.{fmt}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class VisitsController(Controller):
    """A follow-up visit (复查): the site's open items and earlier photos, one verdict each."""

    include_in_schema = False  # a page, not part of the API
    path = "/visits"
    guards = [require_roles(Role.inspector)]

    @post("/new", sync_to_thread=True, status_code=303)
    def start(
        self, request: Request, db: DbSession, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        visit = service.start_visit(
            session=db, user=request.user, site_id=form_site_id(data), uuid=str(uuidlib.uuid4())
        )
        return Redirect(f"/visits/{visit.uuid}", status_code=303)

    @get("/{uuid:str}", sync_to_thread=True)
    def show(
        self, request: Request, db: DbSession, settings: AppSettings, uuid: FromPath[str]
    ) -> Template:
        visit = service.get_visit(session=db, user=request.user, uuid=check_uuid(uuid))
        today = today_in(settings.time_zone)
        verdicts = history.visit_verdicts(session=db, user=request.user, visit=visit)
        judged = {v.row.item.id for v in verdicts}  # an item judged here is not asked again
        rows = [
            r
            for r in queries.active_site_rows(
                session=db, user=request.user, site_id=visit.site_id, today=today
            )
            if r.item.id not in judged
        ]
        return render(
            request,
            "rectifications/visit.html",
            visit=visit,
            site=db.get(Site, visit.site_id),
            rows=rows,
            verdicts=verdicts,
            today=today,
            photos={r.item.id: service.photos_of(session=db, item=r.item) for r in rows},
            closed_out=service.site_closed_out(session=db, site_id=visit.site_id),
        )


class OverdueBoardController(Controller):
    """The supervisors' overdue board."""

    include_in_schema = False
    path = "/dashboard"
    guards = [office_only]

    @get("/", sync_to_thread=True)
    def dashboard(self, request: Request, db: DbSession, settings: AppSettings) -> Template:
        today = today_in(settings.time_zone)
        data = queries.board(
            session=db, user=request.user, today=today, time_zone=settings.time_zone
        )
        return render(
            request,
            "rectifications/board.html",
            board=present.board_out(data),
            chart=chart.svg(data.series),
            today=today,
        )


class RecheckController(Controller):
    """An owner with an account applies for a re-check from the site's page (the business's
    link has its own form: links/views.py; both call rectifications.recheck.apply)."""

    include_in_schema = False
    path = "/sites/{site_id:int}/recheck"
    guards = [require_login]

    @post("/", sync_to_thread=True, status_code=303)
    def apply(
        self, request: Request, db: DbSession, settings: AppSettings, site_id: FromPath[Id]
    ) -> Redirect:
        made = recheck.apply(
            session=db,
            user=request.user,
            site_id=site_id,
            contact=recheck.Contact(),
            today=today_in(settings.time_zone),
            working_days=settings.recheck_working_days,
            time_zone=settings.time_zone,
        )
        message = _(
            "Re-check applied for. The office will come by %(date)s.", date=made.due_on.isoformat()
        )
        return done(request, f"/sites/{site_id}", message)
