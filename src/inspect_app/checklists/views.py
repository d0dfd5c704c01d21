"""Admin pages for checklists: see versions, edit a draft (add, edit, reorder, retire), publish,
export and import JSON."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Response, Template

from inspect_app.auth.guards import admin_only
from inspect_app.bounds import Id
from inspect_app.checklists import service
from inspect_app.checklists.schemas import ItemFields
from inspect_app.db import attempt
from inspect_app.deps import DbSession
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import Severity
from inspect_app.web import render

MAX_JSON_BYTES = 1024 * 1024


class ChecklistsAdminController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/admin/checklists"
    guards = [admin_only]

    def _page(
        self, request, db, code, *, errors=None, values=None, editing=None, status=200
    ) -> Template:
        return render(
            request,
            "checklists/detail.html",
            current=service.published(session=db, code=code),
            draft=service.draft(session=db, code=code),
            errors=errors or {},
            values=values or {},
            editing=editing,
            severities=list(Severity),
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        return render(
            request, "checklists/index.html", views=service.list_published(session=db), errors={}
        )

    @get("/{code:str}", sync_to_thread=True)
    def detail(self, request: Request, db: DbSession, code: FromPath[str]) -> Template:
        return self._page(request, db, code)

    @post("/{code:str}/draft", sync_to_thread=True, status_code=303)
    def start_draft(self, request: Request, db: DbSession, code: FromPath[str]) -> Redirect:
        service.start_draft(session=db, user=request.user, code=code)
        return Redirect(f"/admin/checklists/{code}#draft", status_code=303)

    @post("/{code:str}/items", sync_to_thread=True, status_code=303)
    def add_item(
        self,
        request: Request,
        db: DbSession,
        code: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._save(request, db, code, data, None)

    @post("/{code:str}/items/{item_id:int}", sync_to_thread=True, status_code=303)
    def edit_item(
        self,
        request: Request,
        db: DbSession,
        code: FromPath[str],
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        return self._save(request, db, code, data, item_id)

    def _save(self, request, db, code, data, item_id) -> Template | Redirect:
        try:
            with attempt(db):
                service.save_item(
                    session=db,
                    user=request.user,
                    code=code,
                    data=ItemFields.from_form(data),
                    item_id=item_id,
                )
        except Invalid as exc:
            return self._page(
                request,
                db,
                code,
                errors=exc.fields,
                values=data,
                editing=item_id or "new",
                status=422,
            )
        return Redirect(f"/admin/checklists/{code}#draft", status_code=303)

    @post("/{code:str}/items/{item_id:int}/move", sync_to_thread=True, status_code=303)
    def move(
        self,
        request: Request,
        db: DbSession,
        code: FromPath[str],
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        step = -1 if data.get("direction") == "up" else 1
        service.move_item(session=db, user=request.user, code=code, item_id=item_id, step=step)
        return Redirect(f"/admin/checklists/{code}#draft-item-{item_id}", status_code=303)

    @post("/{code:str}/items/{item_id:int}/retire", sync_to_thread=True, status_code=303)
    def retire(
        self,
        request: Request,
        db: DbSession,
        code: FromPath[str],
        item_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        service.set_retired(
            session=db,
            user=request.user,
            code=code,
            item_id=item_id,
            retired=data.get("retired") == "true",
        )
        return Redirect(f"/admin/checklists/{code}#draft-item-{item_id}", status_code=303)

    @post("/{code:str}/publish", sync_to_thread=True, status_code=303)
    def publish(self, request: Request, db: DbSession, code: FromPath[str]) -> Template | Redirect:
        try:
            with attempt(db):
                service.publish_draft(session=db, user=request.user, code=code)
        except Invalid as exc:
            return self._page(request, db, code, errors={"publish": exc.message}, status=422)
        return Redirect(f"/admin/checklists/{code}", status_code=303)

    @post("/{code:str}/discard", sync_to_thread=True, status_code=303)
    def discard(self, request: Request, db: DbSession, code: FromPath[str]) -> Redirect:
        service.discard_draft(session=db, user=request.user, code=code)
        return Redirect(f"/admin/checklists/{code}", status_code=303)

    @get("/{code:str}/export.json", sync_to_thread=True)
    def export(self, db: DbSession, code: FromPath[str]) -> Response:
        data = service.export_template(session=db, code=code)
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{code}-v{data["version"]}.json"'
            },
        )

    @post("/import", sync_to_thread=True, status_code=303)
    def import_json(
        self, request: Request, db: DbSession, data: MultipartBody[dict[str, Any]]
    ) -> Template | Redirect:
        upload = data.get("file")
        try:
            with attempt(db):
                if not isinstance(upload, UploadFile) or not upload.filename:
                    raise Invalid(_("Choose a JSON file exported from a checklist."))
                raw = upload.file.read(MAX_JSON_BYTES + 1)
                if len(raw) > MAX_JSON_BYTES:
                    raise Invalid(_("The file is larger than 1 MB."))
                try:
                    parsed = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise Invalid(_("This file is not valid JSON.")) from None
                view = service.import_template(session=db, user=request.user, data=parsed)
        except Invalid as exc:
            return render(
                request,
                "checklists/index.html",
                views=service.list_published(session=db),
                errors={"import": exc.message, **exc.fields},
                status_code=422,
            )
        return Redirect(f"/admin/checklists/{view.template.code}#draft", status_code=303)
