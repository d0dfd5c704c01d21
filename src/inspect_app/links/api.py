"""JSON API of a site's business link, for staff who see the site: read it, issue a new one
(the old one stops working), revoke it."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id
from inspect_app.deps import AppSettings, DbSession
from inspect_app.links import present, service
from inspect_app.links.schemas import BusinessLinkOut


def _out(request: Request, db, settings, site_id: int) -> BusinessLinkOut:
    p = present.panel(
        session=db, user=request.user, site_id=site_id, request=request, settings=settings
    )
    return BusinessLinkOut(
        site_id=site_id,
        state=p.state,
        url=p.url,
        expires_on=p.expires_on,
        created_at=p.created_at,
        revoked_at=p.revoked_at,
    )


class BusinessLinkApiController(Controller):
    path = "/api/v1/sites/{site_id:int}/business-link"
    guards = [require_login]
    tags = ["business links"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def read(
        self, request: Request, db: DbSession, settings: AppSettings, site_id: FromPath[Id]
    ) -> BusinessLinkOut:
        """The site's newest link: `state` (none, active, expired, revoked, replaced), `url`,
        `expires_on` (null while items are active). Staff only (owners: 403)."""
        return _out(request, db, settings, site_id)

    @post("/", responses=ERRORS, sync_to_thread=True, status_code=201)
    def issue(
        self, request: Request, db: DbSession, settings: AppSettings, site_id: FromPath[Id]
    ) -> BusinessLinkOut:
        """Issue a new link for the site; its current link stops working."""
        service.issue_new(session=db, user=request.user, site_id=site_id)
        return _out(request, db, settings, site_id)

    @delete("/", responses=ERRORS, sync_to_thread=True, status_code=200)
    def revoke(
        self, request: Request, db: DbSession, settings: AppSettings, site_id: FromPath[Id]
    ) -> BusinessLinkOut:
        """Revoke the site's link (409 when it has none that works)."""
        service.revoke(session=db, user=request.user, site_id=site_id)
        return _out(request, db, settings, site_id)
