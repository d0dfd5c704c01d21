"""The business's page behind its link (`/n/{token}`, short for the QR code), its actions, and
the staff's controls on a site's link (new link, revoke).

The link's requests run as the site's hidden link account (links.accounts), so reporting a fix,
the photo upload flow and every access check are the owners' own. GET writes nothing (mail and
chat scanners open links); every action is a POST (or the photo's PUT) with the CSRF token."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.auth.guards import staff_only
from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import Id
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import AppError, Invalid, NotFound, RateLimited
from inspect_app.i18n import gettext as _
from inspect_app.links import page, service
from inspect_app.links.limits import LinkLimits
from inspect_app.links.tokens import digest
from inspect_app.middleware import client_ip
from inspect_app.photos import service as photos
from inspect_app.photos.intake import UPLOAD, in_thread, receive_photo
from inspect_app.photos.serving import photo_file
from inspect_app.rectifications import recheck
from inspect_app.rectifications import service as rectifications
from inspect_app.rectifications.schemas import MAX_PHOTOS, NOTE_MAX, REQUEST_ID_MAX
from inspect_app.timezone import today_in
from inspect_app.web import check_uuid, done, render, safe_next

LINK_SIZES = ("thumb", "display")  # never the original, which keeps capture time and GPS


def _limit(request: Request, token: str) -> None:
    """Per link and per address, before anything is looked up (429 with Retry-After)."""
    limits: LinkLimits = request.app.state.link_limits
    wait = limits.check(digest(token[:64]), client_ip(request.scope))
    if wait:
        raise RateLimited(
            _("Too many requests through this link. Please wait a minute and try again."),
            headers={"Retry-After": str(wait)},
        )


def _open(request: Request, db, settings, token: str) -> tuple[service.LinkState, CurrentUser]:
    _limit(request, token)
    return service.open_link(
        session=db,
        token=token,
        today=today_in(settings.time_zone),
        days=settings.business_link_days,
        time_zone=settings.time_zone,
    )


def _unavailable(request: Request, exc: AppError) -> Template:
    """Unknown (404), expired or revoked (410) links and refusals: a page for the business."""
    response = render(
        request, "links/unavailable.html", message=exc.message, status_code=exc.status_code
    )
    response.headers.update(exc.headers)
    return response


def _json_error(exc: AppError) -> Response:
    """The photo upload answers as the API does: the page's script shows the reason."""
    body = {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}
    return Response(body, status_code=exc.status_code, headers=exc.headers)


class BusinessPageController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/n/{token:str}"

    def _page(
        self,
        request: Request,
        db,
        settings,
        token: str,
        *,
        errors: dict[str, Any] | None = None,
        kept: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        try:
            state, user = _open(request, db, settings, token)
        except AppError as exc:
            if exc.status_code not in (404, 410, 429):
                raise
            return _unavailable(request, exc)
        today = today_in(settings.time_zone)
        return render(
            request,
            "links/page.html",
            p=page.business_page(session=db, user=user, site_id=state.link.site_id, today=today),
            base=f"/n/{token}",
            state=state,
            today=today,
            errors=errors or {},
            kept=kept or {},
            form_token=str(uuidlib.uuid4()),
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def show(
        self, request: Request, db: DbSession, settings: AppSettings, token: FromPath[str]
    ) -> Template:
        """The business's page; opening it changes nothing."""
        return self._page(request, db, settings, token)

    def _act(
        self, request, db, settings, token, action, where: str, kept=None
    ) -> Template | Redirect:
        try:
            state, user = _open(request, db, settings, token)
        except AppError as exc:
            if exc.status_code not in (404, 410, 429):
                raise
            return _unavailable(request, exc)
        try:
            with attempt(db):
                message = action(state, user)
        except AppError as exc:
            if exc.status_code not in (403, 404, 409, 422):
                raise
            errors = {"where": where, "form": exc.message, **exc.fields}
            return self._page(
                request, db, settings, token, errors=errors, kept=kept, status=exc.status_code
            )
        return done(request, f"/n/{token}#{where}", message)

    @post("/items/{item_id:int}/fixed", sync_to_thread=True, status_code=303)
    def report_fixed(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        token: FromPath[str],
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Report an item fixed: a note and the photos already uploaded for it."""
        note = data.get("note") or ""

        def action(state: service.LinkState, user: CurrentUser) -> str:
            rectifications.report_fixed(
                session=db, user=user, item_id=item_id, change=_change(data)
            )
            return _("Thank you. The office will check the fix.")

        kept = {str(item_id): note[:NOTE_MAX]}
        return self._act(request, db, settings, token, action, f"item-{item_id}", kept)

    @post("/recheck", sync_to_thread=True, status_code=303)
    def apply_recheck(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        token: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Apply for a re-check (复查申请)."""

        def action(state: service.LinkState, user: CurrentUser) -> str:
            made = recheck.apply(
                session=db,
                user=user,
                site_id=state.link.site_id,
                contact=recheck.Contact(
                    name=data.get("contact_name") or "", phone=data.get("contact_phone") or ""
                ),
                today=today_in(settings.time_zone),
                working_days=settings.recheck_working_days,
                time_zone=settings.time_zone,
                via_link=True,
            )
            return _(
                "Re-check applied for. The office will come by %(date)s.",
                date=made.due_on.isoformat(),
            )

        kept = {
            "contact_name": data.get("contact_name") or "",
            "contact_phone": data.get("contact_phone") or "",
        }
        return self._act(request, db, settings, token, action, "recheck", kept)

    @put("/items/{item_id:int}/photos/{photo_uuid:str}", **UPLOAD)
    async def upload(
        self,
        request: Request,
        token: FromPath[str],
        item_id: FromPath[Id],
        photo_uuid: FromPath[str],
    ) -> Response:
        """A photo of the fix (multipart `file`), through the owners' own upload flow."""
        settings = request.app.state.settings
        database = request.app.state.db
        try:

            def who(session) -> CurrentUser:
                return _open(request, session, settings, token)[1]

            user = await in_thread(database, who, write=False)
            request.scope["user"] = user  # the link's requests run as the site's link account
            target = rectifications.EvidencePhotos(user=user, item_id=item_id)
            return Response(await receive_photo(request, photo_uuid, target))
        except AppError as exc:
            return _json_error(exc)

    @get("/photos/{uuid:str}/{size:str}", sync_to_thread=True)
    def photo(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        state: State,
        token: FromPath[str],
        uuid: FromPath[str],
        size: FromPath[str],
    ) -> Response:
        """A photo of this site's items, as a thumbnail or display copy (no metadata)."""
        _state, user = _open(request, db, settings, token)
        if size not in LINK_SIZES:
            raise NotFound(_("Photo sizes are thumb and display."))
        photo, blob = photos.get_photo(session=db, user=user, uuid=check_uuid(uuid))
        if photo.inspection_id is None and photo.rectification_id is None:
            raise NotFound(_("This photo does not exist or is not visible to you."))
        return photo_file(request, state.storage, photo, blob, size)


def _change(data: dict[str, str]) -> rectifications.Change:
    ids = tuple(p for p in (data.get("photo_ids") or "").split(",", MAX_PHOTOS) if p.strip())
    note = data.get("note") or ""
    if len(ids) > MAX_PHOTOS:
        message = _("At most %(n)s photos at a time.", n=MAX_PHOTOS)
        raise Invalid(message, fields={"photo_ids": message})
    if len(note) > NOTE_MAX:
        message = _("At most %(n)s characters.", n=NOTE_MAX)
        raise Invalid(message, fields={"note": message})
    request_id = data.get("request_id") or None
    if request_id is not None and len(request_id) > REQUEST_ID_MAX:
        request_id = None  # not one this page made: the report is simply not deduplicated
    return rectifications.Change(note=note, photo_uuids=ids, request_id=request_id)


class StaffLinkController(Controller):
    """Staff's controls on a site's link, from the site page and the notice page."""

    include_in_schema = False
    path = "/sites/{site_id:int}/business-link"
    guards = [staff_only]

    @post("/new", sync_to_thread=True, status_code=303)
    def new_link(
        self,
        request: Request,
        db: DbSession,
        site_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """A new link for the site; the old one stops working."""
        service.issue_new(session=db, user=request.user, site_id=site_id)
        target = safe_next(data.get("next") or f"/sites/{site_id}")
        return done(request, target, _("A new link was issued. The old one no longer works."))

    @post("/revoke", sync_to_thread=True, status_code=303)
    def revoke(
        self,
        request: Request,
        db: DbSession,
        site_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        """Revoke the site's link."""
        service.revoke(session=db, user=request.user, site_id=site_id)
        target = safe_next(data.get("next") or f"/sites/{site_id}")
        return done(
            request, target, _("The link was revoked. It no longer opens the business's page.")
        )
