"""Site pages: instant search, detail with tenants, admin create/edit, and CSV upload."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import select

from inspect_app.auth.guards import admin_only, require_login
from inspect_app.bounds import Id, Page, parse_whole
from inspect_app.deps import DbSession
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.models import Site, SiteKind, Subdistrict
from inspect_app.sites import importer, service
from inspect_app.sites.schemas import SiteFields
from inspect_app.web import done, render, with_checkbox

PAGE_SIZE = 30
MAX_CSV_BYTES = 5 * 1024 * 1024


class SitesController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/sites"
    guards = [require_login]

    @get("/", sync_to_thread=True)
    def list_sites(
        self,
        request: Request,
        db: DbSession,
        q: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        team_id: FromQuery[str] = "",
        page: FromQuery[Page] = 1,
        inactive: FromQuery[str] = "",
    ) -> Template:
        """The list; htmx asks for just the results while the user types. Staff may list the
        inactive sites instead (`inactive=1`)."""
        page = max(1, page)
        only_inactive = inactive == "1" and request.user.sees_whole_subdistrict
        query = service.SiteQuery(
            q=q,
            only_inactive=only_inactive,
            kind=SiteKind(kind) if kind in SiteKind.__members__ else None,
            team_id=parse_whole(team_id, low=1),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        rows, total = service.search_sites(session=db, user=request.user, query=query)
        return render(
            request,
            "sites/list.html",
            fragment="sites/_results.html",
            sites=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            q=q,
            kind=kind,
            team_id=team_id,
            inactive="1" if only_inactive else "",
            kinds=list(SiteKind),
            teams=service.visible_teams(session=db, user=request.user),
        )

    # --- admin ------------------------------------------------------------------------

    def _form(
        self,
        request: Request,
        db: DbSession,
        *,
        site: Site | None,
        values: dict,
        errors: dict,
        status: int = 200,
    ) -> Template:
        subdistricts = list(db.exec(select(Subdistrict).order_by(Subdistrict.id)))
        if not request.user.city_wide:
            subdistricts = [s for s in subdistricts if s.id == request.user.subdistrict_id]
        buildings = db.exec(
            select(Site)
            .where(
                *service.site_scope(request.user),
                Site.kind.in_([SiteKind.building, SiteKind.compound]),
            )
            .order_by(Site.name_zh)
        ).all()
        return render(
            request,
            "sites/form.html",
            site=site,
            values=values,
            errors=errors,
            kinds=list(SiteKind),
            teams=service.visible_teams(session=db, user=request.user),
            buildings=buildings,
            subdistricts=subdistricts,
            status_code=status,
        )

    @get("/new", guards=[admin_only], sync_to_thread=True)
    def new_form(self, request: Request, db: DbSession, parent_id: FromQuery[str] = "") -> Template:
        return self._form(
            request,
            db,
            site=None,
            values={"kind": "enterprise", "active": True, "parent_id": parent_id},
            errors={},
        )

    @post("/new", guards=[admin_only], sync_to_thread=True)
    def create(
        self, request: Request, db: DbSession, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        data = with_checkbox(data, "active")
        subdistrict = data.get("subdistrict_id", "")
        subdistrict_id = parse_whole(subdistrict, low=1) or request.user.subdistrict_id
        try:
            site = service.create_site(
                session=db,
                user=request.user,
                subdistrict_id=subdistrict_id or 0,
                data=SiteFields.from_form(data),
            )
        except Invalid as exc:
            return self._form(request, db, site=None, values=data, errors=exc.fields, status=422)
        return done(
            request, f"/sites/{site.id}", _("Site %(name)s added.", name=localized(site, "name"))
        )

    @get("/{site_id:int}/edit", guards=[admin_only], sync_to_thread=True)
    def edit_form(self, request: Request, db: DbSession, site_id: FromPath[Id]) -> Template:
        site = service.get_site(session=db, user=request.user, site_id=site_id)
        service.require_site_editor(request.user, site)
        values = site.model_dump()
        values["owners"] = ", ".join(
            o.username for o in service.site_owners(session=db, site_id=site_id)
        )
        return self._form(request, db, site=site, values=values, errors={})

    @post("/{site_id:int}/edit", guards=[admin_only], sync_to_thread=True)
    def update(
        self,
        request: Request,
        db: DbSession,
        site_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        data = with_checkbox(data, "active")
        site = service.get_site(session=db, user=request.user, site_id=site_id)
        was_active = site.active
        try:
            site = service.update_site(
                session=db, user=request.user, site_id=site_id, data=SiteFields.from_form(data)
            )
        except Invalid as exc:
            return self._form(request, db, site=site, values=data, errors=exc.fields, status=422)
        name = localized(site, "name")
        if was_active and not site.active:
            message = _("Site %(name)s deactivated.", name=name)
        else:
            message = _("Site %(name)s saved.", name=name)
        return done(request, f"/sites/{site.id}", message)

    @get("/import", guards=[admin_only], sync_to_thread=False)
    def import_form(self, request: Request) -> Template:
        return render(request, "sites/import.html", result=None, columns=importer.COLUMNS)

    @post("/import", sync_to_thread=True)
    def import_upload(
        self,
        request: Request,
        db: DbSession,
        data: MultipartBody[dict[str, Any]],
    ) -> Template:
        """Admins only. Checked here, not by a guard: Litestar closes uploaded files only for
        requests that reach the handler, so a guard's refusal would leave the upload open."""
        service.require_site_editor(request.user)
        upload = data.get("file")
        status = 200
        if not isinstance(upload, UploadFile) or not upload.filename:
            result = importer.ImportResult(errors=[(0, _("Choose a CSV file to upload."))])
        else:
            raw = upload.file.read(MAX_CSV_BYTES + 1)
            if len(raw) > MAX_CSV_BYTES:
                result = importer.ImportResult(errors=[(0, _("The file is larger than 5 MB."))])
            else:
                result = importer.import_sites(
                    session=db, user=request.user, text=importer.decode_csv(raw)
                )
        if result.errors:
            status = 422
        return render(
            request,
            "sites/import.html",
            result=result,
            columns=importer.COLUMNS,
            status_code=status,
        )
