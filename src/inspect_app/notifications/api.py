"""JSON inbox API: one's own messages (newest first, unread only on request), and marking them
read. Nobody reads or marks another person's messages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import Offset
from inspect_app.deps import DbSession
from inspect_app.notifications import present, service
from inspect_app.notifications.schemas import MarkRead, NotificationPage, UnreadOut


class NotificationsApiController(Controller):
    path = "/api/v1/notifications"
    guards = [require_login]
    tags = ["notifications"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_notifications(
        self,
        request: Request,
        db: DbSession,
        unread: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = 30,
        offset: FromQuery[Offset] = 0,
    ) -> NotificationPage:
        """Your messages, newest first (`unread=true`: only those not read yet)."""
        rows, total = service.inbox(
            session=db, user=request.user, unread_only=unread, limit=limit, offset=offset
        )
        return NotificationPage(
            items=[present.notification_out(n) for n in rows],
            total=total,
            unread=service.unread_count(session=db, user_id=request.user.id),
            limit=limit,
            offset=offset,
        )

    @post("/read", responses=ERRORS, sync_to_thread=True, status_code=200)
    def mark_read(self, request: Request, db: DbSession, data: JSONBody[MarkRead]) -> UnreadOut:
        """Mark messages read: `{"ids": [..]}` (ids not yours are ignored) or `{"all": true}`;
        answers how many stay unread."""
        left = service.mark_read(session=db, user=request.user, ids=data.ids, everything=data.all)
        return UnreadOut(unread=left)
