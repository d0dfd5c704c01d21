"""A site's page: its details, tenants and owners, the checklists to start there, its
inspections, its open and recently closed items and its follow-up visits."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id
from inspect_app.checklists import service as checklists
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import NotFound
from inspect_app.inspections import service as inspections
from inspect_app.links import present as links
from inspect_app.models import Team
from inspect_app.rectifications import history as rect_history
from inspect_app.rectifications import queries as rect_queries
from inspect_app.rectifications import recheck
from inspect_app.rectifications import service as rectifications
from inspect_app.sites import service as sites
from inspect_app.timezone import today_in
from inspect_app.web import render


class SitePageController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/sites/{site_id:int}"
    guards = [require_login]

    @get("/", sync_to_thread=True)
    def detail(
        self, request: Request, db: DbSession, settings: AppSettings, site_id: FromPath[Id]
    ) -> Template:
        site = sites.get_site(session=db, user=request.user, site_id=site_id)
        assert site.id is not None
        today = today_in(settings.time_zone)
        tenants, tenant_total = sites.search_sites(
            session=db,
            user=request.user,
            query=sites.SiteQuery(parent_id=site.id, limit=sites.MAX_LIMIT),
        )
        parent = None
        if site.parent_id:
            try:
                parent = sites.get_site(session=db, user=request.user, site_id=site.parent_id)
            except NotFound:
                parent = None
        return render(
            request,
            "sites/detail.html",
            site=site,
            tenants=tenants,
            tenant_total=tenant_total,
            parent=parent,
            team=site.team_id and db.get(Team, site.team_id),
            owners=sites.site_owners(session=db, site_id=site.id) if request.user.is_staff else [],
            checklists=checklists.startable(session=db, user=request.user),
            history=inspections.site_history(session=db, user=request.user, site_id=site.id),
            templates_by_version=inspections.templates_by_version(session=db),
            open_items=rect_queries.active_site_rows(
                session=db, user=request.user, site_id=site.id, today=today
            ),
            closed_out=rectifications.site_closed_out(session=db, site_id=site.id),
            visits=rect_history.site_visits(session=db, reader=request.user, site_id=site.id),
            closed_items=rect_history.recently_closed(
                session=db, user=request.user, site_id=site.id
            ),
            today=today,
            link_panel=links.panel(
                session=db, user=request.user, site_id=site.id, request=request, settings=settings
            )
            if request.user.is_staff
            else None,
            recheck=recheck.open_request(session=db, site_id=site.id),
        )
