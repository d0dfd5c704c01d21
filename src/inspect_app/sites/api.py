"""JSON sites API, scoped by role exactly as the pages are."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, QueryParameter

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id, Offset, OptionalId
from inspect_app.deps import DbSession
from inspect_app.models import SiteKind
from inspect_app.sites import service
from inspect_app.sites.schemas import SiteDetail, SitePage, SitePublic


class SitesApiController(Controller):
    path = "/api/v1/sites"
    guards = [require_login]
    tags = ["sites"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_sites(
        self,
        request: Request,
        db: DbSession,
        q: FromQuery[str] = "",
        kind: FromQuery[SiteKind | None] = None,
        team_id: FromQuery[OptionalId] = None,
        parent_id: FromQuery[OptionalId] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> SitePage:
        """Sites this user may see; `q` searches names, address and credit code."""
        query = service.SiteQuery(
            q=q, kind=kind, team_id=team_id, parent_id=parent_id, limit=limit, offset=offset
        )
        rows, total = service.search_sites(session=db, user=request.user, query=query)
        return SitePage(
            items=[SitePublic.of(s) for s in rows], total=total, limit=limit, offset=offset
        )

    @get("/{site_id:int}", responses=ERRORS, sync_to_thread=True)
    def get_site(self, request: Request, db: DbSession, site_id: FromPath[Id]) -> SiteDetail:
        """One site with its visible tenants; 404 when it is not visible to this user."""
        site = service.get_site(session=db, user=request.user, site_id=site_id)
        tenants, _total = service.search_sites(
            session=db,
            user=request.user,
            query=service.SiteQuery(parent_id=site.id, limit=service.MAX_LIMIT),
        )
        return SiteDetail(
            **SitePublic.of(site).model_dump(), tenants=[SitePublic.of(t) for t in tenants]
        )
