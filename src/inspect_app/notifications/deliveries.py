"""Deliveries to channels: job rows written with the messages that cause them, claimed by any
number of workers, sent at most once, retried with growing delays (README "Channels").

- `enqueue` writes one delivery per reason and channel, in the rules' transaction: a message
  that rolled back has no delivery, and the unique key keeps a second run from adding another.
- `claim` takes due rows in a short write transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
  the writer lock on SQLite), marks them `sending` with a lease, and commits; the HTTP call
  happens outside any transaction; `settle` records what happened.
- A row still `sending` after its lease belonged to a worker that died mid-send: it may or may
  not have reached the chat, so it becomes `unknown` and is never sent again (at most once).
- A robot takes at most 20 messages a minute: when more are due, they go as one message (a
  webhook has no such limit)."""

from __future__ import annotations

import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select, update

from inspect_app.db import Database
from inspect_app.models import Channel, ChannelKind, Delivery, DeliveryState
from inspect_app.notifications.channels import TEXT_MAX, Reminder, SendFailed, send
from inspect_app.settings import Settings

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # CLAIM_LIMIT sends at their timeout fit in it
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6))  # fmt: skip
MAX_ATTEMPTS = len(BACKOFF) + 1
PER_MINUTE = 20  # WeCom's and DingTalk's limit per robot
MESSAGE_MAX = TEXT_MAX - 200  # what one batched message may carry (its title and list marks)
CLAIM_LIMIT = 50
SETTLE_EVERY = 25  # outcomes recorded together, in one transaction
ERROR_MAX = 500
_TICKS = itertools.count(1)

Sender = Callable[[Channel, Sequence[Reminder]], None]


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def enqueue(session: Session, messages: Iterable, now: datetime) -> int:
    """A delivery for each channel that each message's place reaches (a team's channel: its
    team's messages; a subdistrict's: the messages for the office); how many were new."""
    channels = list(session.exec(select(Channel).where(Channel.active == True)))  # noqa: E712
    if not channels:
        return 0
    teams: dict[int, list[Channel]] = defaultdict(list)
    offices: dict[int, list[Channel]] = defaultdict(list)
    for channel in channels:
        if channel.team_id is not None:
            teams[channel.team_id].append(channel)
        else:
            offices[channel.subdistrict_id].append(channel)
    insert, written, seen = _insert(session), 0, set()
    for message in messages:
        place = message.place
        reached = (
            teams.get(place.team_id or 0, [])
            if place.audience == "team"
            else offices.get(place.subdistrict_id or 0, [])
        )
        for channel in reached:
            key = f"{channel.id}:{message.reason}"
            if key in seen:
                continue
            seen.add(key)
            stmt = (
                insert(Delivery)
                .values(
                    key=key,
                    channel_id=channel.id,
                    kind=message.kind,
                    params=json.dumps(dict(message.params), ensure_ascii=False, sort_keys=True),
                    link=message.link,
                    state=DeliveryState.pending.value,
                    attempts=0,
                    next_at=now,
                    last_error="",
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(Delivery.id)
            )
            written += session.execute(stmt).scalar_one_or_none() is not None
    return written


def claim(session: Session, now: datetime, limit: int = CLAIM_LIMIT) -> list[Delivery]:
    """Take the due deliveries for this worker (see the module's docstring)."""
    session.exec(
        update(Delivery)
        .where(
            col(Delivery.state) == DeliveryState.sending,
            col(Delivery.leased_until) < now,
        )
        .values(
            state=DeliveryState.unknown,
            leased_until=None,
            last_error="interrupted while sending: it may have arrived, so it is not sent again",
        )
    )
    stmt = (
        select(Delivery)
        .where(Delivery.state == DeliveryState.pending, col(Delivery.next_at) <= now)
        .order_by(col(Delivery.next_at), col(Delivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.exec(stmt))
    for row in rows:
        row.state, row.leased_until, row.attempts = (
            DeliveryState.sending,
            now + LEASE,
            row.attempts + 1,
        )
        session.add(row)
    session.flush()
    return rows


def _sent_last_minute(session: Session, channel_id: int, now: datetime) -> int:
    """Messages a robot was sent, or is being sent, in the last minute (a message's rows share
    one sent_at, reserved when they are claimed)."""
    stmt = select(func.count(func.distinct(Delivery.sent_at))).where(
        Delivery.channel_id == channel_id,
        col(Delivery.sent_at) > now - timedelta(minutes=1),
    )
    return int(session.exec(stmt).one())


def _budget(session: Session, channel: Channel | None, now: datetime) -> int:
    """How many messages the channel may get now: a robot 20 a minute, a webhook no limit."""
    if channel is None or channel.kind == ChannelKind.webhook:
        return CLAIM_LIMIT
    return PER_MINUTE - _sent_last_minute(session, channel.id or 0, now)


def _reminder(row: Delivery) -> Reminder:
    return Reminder(kind=row.kind, params=json.loads(row.params or "{}"), link=row.link)


def _size(row: Delivery) -> int:
    """An upper bound on the row's line in a message (its parameters hold both languages)."""
    return len(row.params) + len(row.link) + 40


def _plan(rows: list[Delivery], budget: int) -> tuple[list[list[Delivery]], list[Delivery]]:
    """(messages, left for the next minute): one message each while the robot's minute
    allows; over it, as few messages as fit the robot's length, at most `budget` of them."""
    if len(rows) <= budget:
        return [[row] for row in rows], []
    messages: list[list[Delivery]] = []
    size = MESSAGE_MAX
    for at, row in enumerate(rows):
        if size + _size(row) > MESSAGE_MAX:
            if len(messages) == budget:
                return messages, rows[at:]
            messages.append([])
            size = 0
        messages[-1].append(row)
        size += _size(row)
    return messages, []


def settle(session: Session, ids: Sequence[int], now: datetime, error: str | None) -> None:
    """Record one send's outcome for its deliveries."""
    for row in session.exec(select(Delivery).where(col(Delivery.id).in_(ids))):
        if row.state != DeliveryState.sending:
            continue  # the lease ran out and another worker settled it
        row.leased_until = None
        if error is None:
            row.state, row.sent_at, row.last_error = DeliveryState.sent, now, ""
        elif row.attempts >= MAX_ATTEMPTS:
            row.state, row.last_error = DeliveryState.failed, error[:ERROR_MAX]
            row.sent_at = None
        else:
            row.state, row.last_error = DeliveryState.pending, error[:ERROR_MAX]
            row.sent_at = None
            row.next_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        session.add(row)


def _release(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Back to waiting, untried: the robot's minute is used up."""
    session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.state) == DeliveryState.sending)
        .values(
            state=DeliveryState.pending,
            leased_until=None,
            attempts=Delivery.attempts - 1,
            next_at=now + timedelta(minutes=1),
        )
    )


def default_sender(settings: Settings) -> Sender:
    def sender(channel: Channel, reminders: Sequence[Reminder]) -> None:
        send(channel, reminders, locale=settings.default_locale, base_url=settings.public_url)

    return sender


def deliver_due(db: Database, now: datetime, sender: Sender | None = None) -> dict[str, int]:
    """Claim what is due, send it, record the outcomes; counts of sent/failed/deferred rows."""
    sender = sender or default_sender(db.settings)
    with db.session(write=True) as session:
        rows = claim(session, now)
        by_channel: dict[int, list[Delivery]] = defaultdict(list)
        for row in rows:
            by_channel[row.channel_id].append(row)
        channels = _lock_channels(session, sorted(by_channel))
        plans = {
            cid: _plan(group, _budget(session, channels.get(cid), now))
            for cid, group in by_channel.items()
        }
        stamps = _reserve(session, plans, now)
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    outcomes: list[tuple[list[int], datetime, str | None]] = []
    for cid, (messages, left) in plans.items():
        channel = channels.get(cid)
        for batch in messages:
            error = _send(sender, channel, batch)
            stamp = stamps[id(batch)]
            outcomes.append(([r.id for r in batch if r.id is not None], stamp, error))
            counts["sent" if error is None else "failed"] += len(batch)
            if sum(len(ids) for ids, _, _ in outcomes) >= SETTLE_EVERY:
                _settle_all(db, outcomes)
        if left:
            with db.session(write=True) as session:
                _release(session, [r.id for r in left if r.id is not None], now)
            counts["deferred"] += len(left)
    _settle_all(db, outcomes)
    return counts


def _lock_channels(session: Session, channel_ids: list[int]) -> dict[int | None, Channel]:
    """The channels of the claimed rows, locked until the claim commits on PostgreSQL (on
    SQLite the write transaction is alone): two workers count a robot's minute one after the
    other, each seeing the other's reserved messages."""
    stmt = select(Channel).where(col(Channel.id).in_(channel_ids)).order_by(col(Channel.id))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {c.id: c for c in session.exec(stmt)}


def _reserve(
    session: Session, plans: dict[int, tuple[list[list[Delivery]], list[Delivery]]], now: datetime
) -> dict[int, datetime]:
    """Each planned message gets its own sent_at now, in the claim's transaction (a robot's
    minute counts messages, sent or being sent, not rows); a failure clears it again."""
    stamps: dict[int, datetime] = {}
    for messages, _left in plans.values():
        for batch in messages:
            stamp = now + timedelta(microseconds=next(_TICKS) % 1_000_000)
            stamps[id(batch)] = stamp
            for row in batch:
                row.sent_at = stamp
                session.add(row)
    session.flush()
    return stamps


def _send(sender: Sender, channel: Channel | None, batch: list[Delivery]) -> str | None:
    """Send one message; None when the channel took it, else why not."""
    if channel is None or not channel.active:
        return "the channel was removed or turned off"
    try:
        sender(channel, [_reminder(r) for r in batch])
    except SendFailed as failure:
        return str(failure)
    except Exception as failure:  # a bug in a sender must not stop the others
        log.exception("sending to channel %s failed", channel.id)
        return type(failure).__name__
    return None


def _settle_all(db: Database, outcomes: list[tuple[list[int], datetime, str | None]]) -> None:
    """Record the outcomes so far in one transaction, and forget them."""
    if outcomes:
        with db.session(write=True) as session:
            for ids, stamp, error in outcomes:
                settle(session, ids, stamp, error)
        outcomes.clear()


def deliver_all(db: Database, now: datetime, sender: Sender | None = None) -> dict[str, int]:
    """Deliver claim after claim until nothing more is due at `now` (a backlog goes out in
    one turn of the worker, as far as the robots' minutes allow)."""
    total = {"sent": 0, "failed": 0, "deferred": 0}
    while True:
        counts = deliver_due(db, now, sender)
        for name, n in counts.items():
            total[name] += n
        if counts["sent"] + counts["failed"] == 0:  # nothing claimed, or all of it must wait
            return total
