"""Login limits after OWASP's "device cookies": a device that signed in to an account before
keeps its own allowance for it; unknown devices (and API clients) are slowed per account with
growing delays, and per (address, account). Nothing here ever refuses one account because of
another's failures. Failures and locks live in the database, so every app process agrees."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from inspect_app.bounds import bounded, column_length
from inspect_app.middleware import ADDRESS_MAX
from inspect_app.models import LockKind, LoginAttempt, LoginLock
from inspect_app.settings import Settings

USERNAME_MAX = column_length(LoginAttempt, "username")
NONCE_BYTES = 12  # 16 characters, within LoginAttempt.device


# --- device cookies ------------------------------------------------------------------------


def _mac(secret: str, purpose: str, message: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}\n{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def device_cookie_name(username: str, secret: str) -> str:
    """One cookie per account a device signed in to; the name does not reveal the username."""
    return "dev_" + _mac(secret, "device-name", username)[:16]


def _device_message(username: str, nonce: str, password_hash: str) -> str:
    """What a device cookie's HMAC covers: the account, the nonce and the password it was
    earned with, so a new password (or a leaked hash's replacement) retires every old cookie."""
    epoch = hashlib.sha256(password_hash.encode()).hexdigest()[:16]
    return f"{username}|{nonce}|{epoch}"


def new_device_cookie(username: str, secret: str, password_hash: str) -> tuple[str, str]:
    """(name, value) of a fresh device cookie: a nonce and an HMAC binding it to the account."""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    mac = _mac(secret, "device", _device_message(username, nonce, password_hash))
    return device_cookie_name(username, secret), f"{nonce}.{mac}"


def trusted_device(
    cookies: Mapping[str, str], username: str, secret: str, password_hash: str
) -> str:
    """The nonce of a valid device cookie for this account and password, or "" (an unknown
    device). A forged cookie, one made for another account or before the password changed,
    is simply not trusted."""
    raw = cookies.get(device_cookie_name(username, secret)) or ""
    nonce, _, mac = raw[:200].partition(".")
    if not nonce or len(nonce) > 32 or not mac:
        return ""
    expected = _mac(secret, "device", _device_message(username, nonce, password_hash))
    return nonce if hmac.compare_digest(mac, expected) else ""


# --- counting and locking ------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    username: str
    ip: str
    device: str = ""  # a trusted device's nonce; "" for unknown devices and API clients


def make_attempt(username: str, ip: str, device: str = "") -> Attempt:
    return Attempt(bounded(username, USERNAME_MAX), bounded(ip, ADDRESS_MAX), device)


def active_lock(*, session: Session, attempt: Attempt, now: datetime) -> LoginLock | None:
    """The lock refusing this attempt, if any. A trusted device answers only to its own lock;
    unknown devices to the account's lock and their address's lock for this account."""
    which: ColumnElement[bool]
    if attempt.device:
        which = (LoginLock.kind == LockKind.device) & (LoginLock.key == attempt.device)
    else:
        which = or_(
            (LoginLock.kind == LockKind.account) & (LoginLock.key == ""),
            (LoginLock.kind == LockKind.address) & (LoginLock.key == attempt.ip),
        )
    stmt = select(LoginLock).where(
        LoginLock.username == attempt.username, which, LoginLock.locked_until > now
    )
    return session.exec(stmt.order_by(LoginLock.locked_until.desc())).first()


def _count(session: Session, *where) -> int:
    return session.exec(select(func.count()).select_from(LoginAttempt).where(*where)).one()


def unknown_delay(settings: Settings, failures: int) -> timedelta:
    """1, 2, 4, ... minutes (by default) once the free failures are spent, capped."""
    extra = min(failures - settings.login_max_failures_per_account, 30)
    minutes = min(settings.login_delay_minutes * 2**extra, settings.login_delay_max_minutes)
    return timedelta(minutes=minutes)


def record_failure(
    *, session: Session, settings: Settings, attempt: Attempt, now: datetime
) -> None:
    """Store a failed attempt and set whatever lock it earns."""
    session.add(
        LoginAttempt(username=attempt.username, ip=attempt.ip, device=attempt.device, at=now)
    )
    session.flush()
    mine = LoginAttempt.username == attempt.username
    if attempt.device:
        since = now - timedelta(minutes=settings.login_window_minutes)
        n = _count(session, mine, LoginAttempt.device == attempt.device, LoginAttempt.at >= since)
        if n >= settings.login_max_failures_per_device:
            until = now + timedelta(minutes=settings.login_window_minutes)
            _lock(session, LockKind.device, attempt, attempt.device, n, now, until)
        return
    unknown = (mine, LoginAttempt.device == "", LoginAttempt.at >= _memory_start(settings, now))
    n = _count(session, *unknown)
    if n >= settings.login_max_failures_per_account:
        until = now + unknown_delay(settings, n)
        _lock(session, LockKind.account, attempt, "", n, now, until)
    here = LoginAttempt.ip == attempt.ip
    n = _count(session, *unknown, here)
    if n >= settings.login_max_failures_per_address:
        # Shut until the oldest failure that keeps the count at the limit ages out.
        oldest = session.exec(
            select(LoginAttempt.at)
            .where(*unknown, here)
            .order_by(LoginAttempt.at.desc())
            .offset(settings.login_max_failures_per_address - 1)
        ).first()
        assert oldest is not None
        until = oldest + timedelta(hours=settings.login_memory_hours)
        _lock(session, LockKind.address, attempt, attempt.ip, n, now, until)


def record_success(*, session: Session, attempt: Attempt) -> None:
    """A right password forgives the failures made from the same device (or, for unknown
    devices, the same address); other addresses' failures still count."""
    where = [LoginAttempt.username == attempt.username, LoginAttempt.device == attempt.device]
    if not attempt.device:
        where.append(LoginAttempt.ip == attempt.ip)
    session.exec(delete(LoginAttempt).where(*where))


def prune(*, session: Session, settings: Settings, now: datetime) -> None:
    """Keep storage bounded: failures are forgotten after the memory period, locks on expiry."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.at < _memory_start(settings, now)))
    session.exec(delete(LoginLock).where(LoginLock.locked_until <= now))


def _memory_start(settings: Settings, now: datetime) -> datetime:
    longest = max(settings.login_memory_hours * 60, settings.login_window_minutes)
    return now - timedelta(minutes=longest)


def _lock(
    session: Session,
    kind: LockKind,
    attempt: Attempt,
    key: str,
    failures: int,
    now: datetime,
    until: datetime,
) -> None:
    """Insert or refresh the lock row; concurrent processes meet on the unique key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"failures": failures, "locked_at": now, "locked_until": until}
    stmt = insert(LoginLock).values(kind=kind, username=attempt.username, key=key, **values)
    session.exec(
        stmt.on_conflict_do_update(index_elements=["kind", "username", "key"], set_=values)
    )


def minutes_left(lock: LoginLock, now: datetime) -> int:
    return max(1, math.ceil((lock.locked_until - now).total_seconds() / 60))


# --- what administrators see and do ---------------------------------------------------------


def current_locks(*, session: Session, now: datetime, where=()) -> list[LoginLock]:
    stmt = select(LoginLock).where(LoginLock.locked_until > now, *where)
    return list(session.exec(stmt.order_by(LoginLock.locked_until.desc())))


def lift(*, session: Session, lock: LoginLock) -> None:
    """Remove the lock and forget the failures that earned it: a fresh allowance."""
    mine = [LoginAttempt.username == lock.username]
    if lock.kind == LockKind.device:
        mine.append(LoginAttempt.device == lock.key)
    else:
        mine.append(LoginAttempt.device == "")
        if lock.kind == LockKind.address:
            mine.append(LoginAttempt.ip == lock.key)
    session.exec(delete(LoginAttempt).where(*mine))
    session.exec(delete(LoginLock).where(LoginLock.id == lock.id))
