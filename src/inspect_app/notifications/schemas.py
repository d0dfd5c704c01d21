"""What the notifications API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from inspect_app.bounds import Id
from inspect_app.notifications.service import MAX_IDS


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str  # the message in the language asked for (Accept-Language, or the chosen one)
    params: dict[str, Any]
    link: str  # a path inside the app, or ""
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int


class MarkRead(BaseModel):
    """Either the ids of one's own messages, or `all`."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id] = Field(default_factory=list, max_length=MAX_IDS)
    all: bool = False


class UnreadOut(BaseModel):
    unread: int
