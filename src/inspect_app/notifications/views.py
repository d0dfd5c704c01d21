"""The inbox page: one's messages, newest first; opening one marks it read and goes where it
leads; "mark all read"."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id, Offset
from inspect_app.deps import DbSession
from inspect_app.i18n import gettext as _
from inspect_app.notifications import present, service
from inspect_app.web import done, render

PAGE_SIZE = 30


class InboxController(Controller):
    include_in_schema = False  # pages, not part of the API
    path = "/inbox"
    guards = [require_login]

    @get("/", sync_to_thread=True)
    def inbox(self, request: Request, db: DbSession, offset: FromQuery[Offset] = 0) -> Template:
        rows, total = service.inbox(
            session=db, user=request.user, unread_only=False, limit=PAGE_SIZE, offset=offset
        )
        return render(
            request,
            "notifications/inbox.html",
            messages=[(n, present.notification_out(n)) for n in rows],
            total=total,
            offset=offset,
            page_size=PAGE_SIZE,
            unread=service.unread_count(session=db, user_id=request.user.id),
        )

    @post("/read", sync_to_thread=True)
    def mark_all_read(self, request: Request, db: DbSession) -> Redirect:
        service.mark_read(session=db, user=request.user, everything=True)
        return done(request, "/inbox", _("All messages marked read."))

    @post("/{notification_id:int}/open", sync_to_thread=True)
    def open_message(
        self, request: Request, db: DbSession, notification_id: FromPath[Id]
    ) -> Redirect:
        """Mark the message read and go where it leads."""
        path = service.open_message(session=db, user=request.user, notification_id=notification_id)
        return Redirect(path, status_code=303)


def bell_count(request: Request) -> int:
    """The unread count the bell shows on every page (a page global, wired by app.py): one
    indexed count in a short session of its own."""
    user = request.scope.get("user")
    if user is None:
        return 0
    with request.app.state.db.session() as session:
        return service.unread_count(session=session, user_id=user.id)
