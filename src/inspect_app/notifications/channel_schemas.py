"""What the channels API takes and answers (administrators only)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from inspect_app.bounds import Id
from inspect_app.models import Channel, ChannelKind, Delivery, DeliveryState
from inspect_app.notifications.channel_admin import NAME_MAX, SECRET_MAX, URL_MAX, ChannelFields


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind = Field(description="wecom, dingtalk or webhook; fixed once made")
    name: str = Field(max_length=NAME_MAX)
    url: str = Field(max_length=URL_MAX, description="the robot's webhook address, or yours")
    secret: str | None = Field(
        default=None,
        max_length=SECRET_MAX,
        description="DingTalk's 加签 secret, or the webhook's signing key; omit to keep it",
    )
    subdistrict_id: Id | None = Field(default=None, description="default: yours; fixed once made")
    team_id: Id | None = Field(
        default=None, description="a team's channel gets its team's reminders; none: the office's"
    )
    active: bool = True

    def fields(self) -> ChannelFields:
        return ChannelFields(
            kind=self.kind.value,
            name=self.name,
            url=self.url,
            secret=self.secret,
            subdistrict_id=self.subdistrict_id,
            team_id=self.team_id,
            active=self.active,
        )


def masked_url(url: str) -> str:
    """The address without the values of its query (a robot's key is a password)."""
    parts = urlsplit(url)
    query = "&".join(f"{k}=…" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class ChannelOut(BaseModel):
    id: int
    kind: ChannelKind
    name: str
    url: str  # masked: the query's values are not shown again
    has_secret: bool
    subdistrict_id: int
    team_id: int | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, channel: Channel) -> ChannelOut:
        return cls(
            id=channel.id or 0,
            kind=channel.kind,
            name=channel.name,
            url=masked_url(channel.url),
            has_secret=bool(channel.secret),
            subdistrict_id=channel.subdistrict_id,
            team_id=channel.team_id,
            active=channel.active,
            created_at=channel.created_at,
        )


class ChannelList(BaseModel):
    items: list[ChannelOut]


class DeliveryOut(BaseModel):
    id: int
    channel_id: int
    kind: str
    params: dict[str, Any]
    link: str
    state: DeliveryState
    attempts: int
    last_error: str
    next_at: datetime
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        return cls(
            id=row.id or 0,
            channel_id=row.channel_id,
            kind=row.kind,
            params=json.loads(row.params or "{}"),
            link=row.link,
            state=row.state,
            attempts=row.attempts,
            last_error=row.last_error,
            next_at=row.next_at,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
