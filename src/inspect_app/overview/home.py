"""The home page, one per role: what this person came to do first."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import func
from sqlmodel import select

from inspect_app.auth.guards import require_login
from inspect_app.campaigns.todo_board import todo_board
from inspect_app.deps import AppSettings, DbSession
from inspect_app.models import Role, Site
from inspect_app.rectifications import queries
from inspect_app.rectifications import service as rect_service
from inspect_app.sites import service as sites
from inspect_app.timezone import today_in
from inspect_app.web import render

HOME_TODO = 40  # sites of the to do on the home page; the to do page lists them all


@get("/", guards=[require_login], sync_to_thread=True, include_in_schema=False)
def home(request: Request, db: DbSession, settings: AppSettings) -> Template:
    user = request.user
    today = today_in(settings.time_zone)
    context: dict = {"teams": sites.visible_teams(session=db, user=user), "today": today}
    if user.role == Role.owner:
        context["items"] = queries.owner_items(session=db, user=user, today=today)
        context["finding_photos"] = {
            row.item.id: rect_service.photos_of(session=db, item=row.item)["finding"]
            for row in context["items"]
        }
    if user.role == Role.inspector:
        context["due"] = queries.inspector_today(session=db, user=user, today=today)
        context["todo"] = todo_board(
            session=db, user=user, today=today, time_zone=settings.time_zone, limit=HOME_TODO
        )
    if user.role in (Role.inspector, Role.owner):
        rows, total = sites.search_sites(session=db, user=user, query=sites.SiteQuery(limit=20))
        context.update(my_sites=rows, my_total=total)
    else:
        counts = db.exec(
            select(Site.kind, func.count())
            .where(*sites.site_scope(user), Site.active.is_(True))
            .group_by(Site.kind)
        ).all()
        context["counts"] = dict(counts)
    return render(request, f"home/{user.role.value}.html", **context)
