"""One person's inbox: write a message once (by its key), list, count unread, mark read.

Messages are written by rules and jobs in the transaction of what causes them (issue 15's
reminders), so a message exists exactly when its cause does. Everyone reads only their own."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, func, select, update

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import Notification, utcnow

MAX_LIMIT = 100
MAX_IDS = 500  # ids marked read in one request
PARAMS_MAX_CHARS = 4000
KEY_MAX = column_length(Notification, "key")
LINK_MAX = column_length(Notification, "link")


def notify(
    *,
    session: Session,
    user_id: int,
    kind: str,
    key: str,
    params: Mapping[str, Any] | None = None,
    link: str = "",
    at: datetime | None = None,
) -> bool:
    """Put a message in a person's inbox unless one with this key is there already; True when
    it was written now. `link` is a path inside the app."""
    text = json.dumps(dict(params or {}), ensure_ascii=False, sort_keys=True)
    if len(text) > PARAMS_MAX_CHARS or len(key) > KEY_MAX or len(link) > LINK_MAX:
        raise ValueError("notification too large")  # a programming error, never user input
    if link and not link.startswith("/"):
        raise ValueError("a notification links inside the app")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(Notification)
        .values(
            key=key,
            user_id=user_id,
            kind=kind,
            params=text,
            link=link,
            created_at=at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def params_of(notification: Notification) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(notification.params or "{}")
    return parsed


def unread_count(*, session: Session, user_id: int) -> int:
    """The bell's number."""
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.exec(stmt).one())


def inbox(
    *, session: Session, user: CurrentUser, unread_only: bool, limit: int, offset: int
) -> tuple[list[Notification], int]:
    """This person's messages, newest first, and how many there are in all."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.exec(select(func.count()).where(*where)).one()
    rows = session.exec(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(min(max(limit, 1), MAX_LIMIT))
        .offset(max(offset, 0))
    ).all()
    return list(rows), int(total)


def mark_read(
    *, session: Session, user: CurrentUser, ids: Sequence[int] = (), everything: bool = False
) -> int:
    """Mark some of one's own messages read (ids of others' are ignored, as if missing), or all
    of them; returns the unread count after."""
    if not everything and not ids:
        raise Invalid(
            _("Name the messages to mark read, or mark all."),
            fields={"ids": _("Name at least one message.")},
        )
    if len(ids) > MAX_IDS:
        raise Invalid(
            _("At most %(n)s messages at a time.", n=MAX_IDS),
            fields={"ids": _("Name fewer messages.")},
        )
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if not everything:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    session.execute(stmt.values(read_at=utcnow()))
    return unread_count(session=session, user_id=user.id)


def open_message(*, session: Session, user: CurrentUser, notification_id: int) -> str:
    """Mark one's own message read and return where it leads ("/" when it names nowhere, or
    when it is not one's own: nothing is said about others' messages)."""
    found = session.exec(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    ).first()
    if found is None:
        return "/inbox"
    if found.read_at is None:
        found.read_at = utcnow()
        session.add(found)
    return found.link or "/inbox"
