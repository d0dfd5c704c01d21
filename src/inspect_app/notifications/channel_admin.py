"""Administrators' channels: list, add, change, turn off, test, and the delivery log. A
subdistrict's administrator manages its channels; a city-wide one any. Secrets are never shown
again once saved (README "Channels")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length, row_or_none, unstorable
from inspect_app.db import Database
from inspect_app.errors import Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryState,
    Role,
    Subdistrict,
    Team,
)
from inspect_app.notifications.channels import Reminder, SendFailed
from inspect_app.notifications.deliveries import LEASE, Sender, default_sender, settle

NAME_MAX = column_length(Channel, "name")
URL_MAX = column_length(Channel, "url")
SECRET_MAX = column_length(Channel, "secret")
LOG_MAX_LIMIT = 100


@dataclass(frozen=True)
class ChannelFields:
    kind: str
    name: str
    url: str
    secret: str | None  # None: keep the one saved
    subdistrict_id: int | None
    team_id: int | None
    active: bool


def _require_admin(actor: CurrentUser) -> None:
    if actor.role != Role.admin:
        raise Forbidden(_("Only an administrator may manage channels."))


def _in_scope(actor: CurrentUser, subdistrict_id: int) -> bool:
    return actor.city_wide or subdistrict_id == actor.subdistrict_id


def list_channels(*, session: Session, actor: CurrentUser) -> list[Channel]:
    _require_admin(actor)
    stmt = select(Channel).order_by(col(Channel.subdistrict_id), col(Channel.id))
    if not actor.city_wide:
        stmt = stmt.where(Channel.subdistrict_id == actor.subdistrict_id)
    return list(session.exec(stmt))


def get_channel(*, session: Session, actor: CurrentUser, channel_id: int) -> Channel:
    _require_admin(actor)
    channel = row_or_none(session, Channel, channel_id)
    if channel is None or not _in_scope(actor, channel.subdistrict_id):
        raise NotFound(_("This channel does not exist or is not visible to you."))
    return channel


def _url_error(kind: str, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Give the robot's or system's address, starting with https://.")
    if len(url) > URL_MAX or unstorable(url) or any(c.isspace() for c in url):
        return _("This address is too long or has characters that cannot be used.")
    if kind == ChannelKind.wecom and "key=" not in parts.query:
        return _("A WeCom robot's address ends with ?key=…; copy it from the group's robot.")
    if kind == ChannelKind.dingtalk and "access_token=" not in parts.query:
        return _("A DingTalk robot's address has access_token=…; copy it from the robot.")
    return None


def save_channel(
    *, session: Session, actor: CurrentUser, data: ChannelFields, channel_id: int | None = None
) -> Channel:
    """Add a channel, or change one (its kind and subdistrict stay)."""
    _require_admin(actor)
    channel = (
        get_channel(session=session, actor=actor, channel_id=channel_id) if channel_id else None
    )
    errors: dict[str, str] = {}
    kind = channel.kind.value if channel else data.kind
    if kind not in {k.value for k in ChannelKind}:
        errors["kind"] = _("Choose WeCom, DingTalk or webhook.")
    name = data.name.strip()
    if not name or len(name) > NAME_MAX or unstorable(name):
        errors["name"] = _("Give the channel a name of at most %(n)s characters.", n=NAME_MAX)
    url = data.url.strip()
    if url_error := _url_error(kind, url):
        errors["url"] = url_error
    secret = channel.secret if (channel and data.secret is None) else (data.secret or "").strip()
    if len(secret) > SECRET_MAX or unstorable(secret):
        errors["secret"] = _("At most %(n)s characters.", n=SECRET_MAX)
    elif kind == ChannelKind.webhook and not secret:
        errors["secret"] = _("A webhook needs a secret: its receiver checks each signature.")
    subdistrict_id = (
        channel.subdistrict_id if channel else (data.subdistrict_id or actor.subdistrict_id)
    )
    if (
        subdistrict_id is None
        or row_or_none(session, Subdistrict, subdistrict_id) is None
        or (not _in_scope(actor, subdistrict_id))
    ):
        errors["subdistrict_id"] = _("Choose a subdistrict.")
    team = row_or_none(session, Team, data.team_id) if data.team_id else None
    if data.team_id and (team is None or team.subdistrict_id != subdistrict_id):
        errors["team_id"] = _("Choose a team of this subdistrict.")
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    assert subdistrict_id is not None
    if channel is None:
        channel = Channel(
            subdistrict_id=subdistrict_id,
            kind=ChannelKind(kind),
            name=name,
            url=url,
            created_by=actor.id,
        )
    channel.name, channel.url, channel.secret = name, url, secret
    channel.team_id, channel.active = (team.id if team else None), data.active
    session.add(channel)
    session.flush()
    return channel


def toggle(*, session: Session, actor: CurrentUser, channel_id: int) -> Channel:
    """Turn a channel off (what is due for it then fails, logged) or on again."""
    channel = get_channel(session=session, actor=actor, channel_id=channel_id)
    channel.active = not channel.active
    session.add(channel)
    session.flush()
    return channel


def delivery_log(
    *,
    session: Session,
    actor: CurrentUser,
    channel_id: int | None,
    state: DeliveryState | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """Deliveries to the channels this administrator manages, newest first."""
    _require_admin(actor)
    where: list[ColumnElement[bool]] = [
        col(Delivery.channel_id).in_(select(Channel.id).where(*_scope(actor)))
    ]
    if channel_id is not None:
        get_channel(session=session, actor=actor, channel_id=channel_id)
        where.append(Delivery.channel_id == channel_id)
    if state is not None:
        where.append(Delivery.state == state)
    total = int(session.exec(select(func.count()).select_from(Delivery).where(*where)).one())
    rows = session.exec(
        select(Delivery).where(*where).order_by(col(Delivery.id).desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def _scope(actor: CurrentUser) -> Sequence:
    return [] if actor.city_wide else [Channel.subdistrict_id == actor.subdistrict_id]


def send_test(
    db: Database, actor: CurrentUser, channel_id: int, sender: Sender | None = None
) -> Delivery:
    """Send a test message now and log it: recorded first, sent outside any transaction (a
    slow robot holds no lock), then its outcome recorded."""
    now = datetime.now(UTC)
    with db.session(write=True) as session:
        channel = get_channel(session=session, actor=actor, channel_id=channel_id)
        delivery = Delivery(
            key=f"{channel.id}:test:{uuid.uuid4()}",
            channel_id=channel.id or 0,
            kind="test",
            params=json.dumps({"sender": actor.username}),
            state=DeliveryState.sending,
            attempts=1,
            next_at=now,
            leased_until=now + LEASE,
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id or 0
    error = None
    try:
        (sender or default_sender(db.settings))(
            channel, [Reminder("test", {"sender": actor.username}, "/inbox")]
        )
    except SendFailed as failure:
        error = str(failure)
    with db.session(write=True) as session:
        settle(session, [delivery_id], datetime.now(UTC), error)
        if error is not None:  # a test is tried once: the log shows why it failed
            row = session.get(Delivery, delivery_id)
            if row is not None:
                row.state = DeliveryState.failed
                session.add(row)
    with db.session() as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        return found
