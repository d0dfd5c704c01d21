"""Where reminders go besides the inbox: a subdistrict's (or one team's) WeCom or DingTalk group
robot, or a signed JSON webhook for other systems; and each message's delivery to a channel,
a job row written in the transaction that wrote the message (README "Channels")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from inspect_app.models.base import EnumString, UTCDateTime, utcnow


class ChannelKind(StrEnum):
    wecom = "wecom"  # 企业微信 group robot: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
    dingtalk = "dingtalk"  # 钉钉 robot: access_token in the URL, HMAC-SHA256 "加签" secret
    webhook = "webhook"  # any system: JSON body, HMAC-SHA256 of it in X-Inspect-Signature


class Channel(SQLModel, table=True):
    """A group chat or system told about one subdistrict's items (or one team's, when set)."""

    id: int | None = Field(default=None, primary_key=True)
    subdistrict_id: int = Field(foreign_key="subdistrict.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    kind: ChannelKind = Field(sa_type=EnumString(ChannelKind))
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    secret: str = Field(default="", max_length=200)  # DingTalk's 加签 secret, the webhook's key
    active: bool = True
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryState(StrEnum):
    pending = "pending"  # waiting for its time (`next_at`)
    sending = "sending"  # claimed by a worker until `leased_until`
    sent = "sent"
    failed = "failed"  # gave up after its last attempt
    unknown = "unknown"  # its worker died mid-send: maybe delivered, never sent again


class Delivery(SQLModel, table=True):
    """One message to one channel. `key` (the reason and the channel) makes it once-only."""

    # Workers claim what is due: pending rows by next_at.
    __table_args__ = (Index("ix_delivery_state_next_at", "state", "next_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    kind: str = Field(max_length=40)
    params: str = Field(default="{}", sa_type=Text)  # as in Notification
    link: str = Field(default="", max_length=300)
    state: DeliveryState = Field(default=DeliveryState.pending, sa_type=EnumString(DeliveryState))
    attempts: int = 0
    next_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
