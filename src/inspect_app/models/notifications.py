"""The in-app inbox: one row per message to one person. What a message says is not stored as
text: its kind and parameters are, and the reader's language renders it (notifications.kinds),
so an inbox reads the same in Chinese and English."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from inspect_app.models.base import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """A message in one person's inbox. `key` makes it once-only: a rule that fires twice for
    the same reason (a retried job, two workers) leaves one message."""

    # The bell counts a person's unread messages on every page; the inbox lists them newest
    # first.
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=40)
    params: str = Field(default="{}", sa_type=Text)  # JSON, read by notifications.kinds
    link: str = Field(default="", max_length=300)  # a path inside the app ("/rectifications/12")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
