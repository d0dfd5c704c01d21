"""Logins, sessions, API tokens and the per-request identity (CurrentUser)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from inspect_app.auth.passwords import burn_time, verify_password
from inspect_app.models import (
    ApiToken,
    AuthSession,
    LoginAttempt,
    Role,
    SiteOwner,
    TeamMember,
    User,
    utcnow,
)
from inspect_app.settings import Settings

TOUCH_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "ia_"  # noqa: S105 (a visible prefix, not a secret)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class CurrentUser:
    """Who is asking: a snapshot taken once per request, enough for every access check."""

    id: int
    username: str
    display_name: str
    role: Role
    subdistrict_id: int | None
    city_wide: bool
    team_ids: tuple[int, ...] = ()
    site_ids: tuple[int, ...] = ()
    session_id: int | None = None
    token_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.supervisor, Role.inspector)

    @property
    def sees_whole_subdistrict(self) -> bool:
        return self.role in (Role.admin, Role.supervisor)

    @property
    def label(self) -> str:
        return self.display_name or self.username


def load_current_user(
    *, session: Session, user: User, session_id: int | None = None, token_id: int | None = None
) -> CurrentUser:
    team_ids = session.exec(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).all()
    site_ids = session.exec(select(SiteOwner.site_id).where(SiteOwner.user_id == user.id)).all()
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        subdistrict_id=user.subdistrict_id,
        city_wide=user.city_wide,
        team_ids=tuple(sorted(team_ids)),
        site_ids=tuple(sorted(site_ids)),
        session_id=session_id,
        token_id=token_id,
    )


# --- login and its rate limit ---------------------------------------------------------------


class LoginRefused(Exception):
    """Wrong credentials, an inactive account, or too many recent failures."""

    def __init__(self, reason: str, retry_minutes: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "rate_limited"
        self.retry_minutes = retry_minutes


def _recent_failures(*, session: Session, settings: Settings, column, value: str) -> int:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    stmt = select(func.count()).select_from(LoginAttempt).where(column == value)
    return session.exec(stmt.where(LoginAttempt.at >= since)).one()


def authenticate(
    *, session: Session, settings: Settings, username: str, password: str, ip: str
) -> User:
    """Check credentials; failures are recorded and limited per account and per address."""
    username = username.strip().lower()
    per_account = _recent_failures(
        session=session, settings=settings, column=LoginAttempt.username, value=username
    )
    per_address = _recent_failures(
        session=session, settings=settings, column=LoginAttempt.ip, value=ip
    )
    if (
        per_account >= settings.login_max_failures_per_account
        or per_address >= settings.login_max_failures_per_address
    ):
        raise LoginRefused("rate_limited", settings.login_window_minutes)
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        burn_time(password, settings=settings)
        ok = False
    else:
        ok = verify_password(user.password_hash, password, settings=settings) and user.active
    if not ok:
        session.add(LoginAttempt(username=username, ip=ip))
        raise LoginRefused("invalid")
    session.exec(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


# --- browser sessions ----------------------------------------------------------------------


def create_session(*, session: Session, user: User, ip: str, user_agent: str) -> str:
    """Start a session; returns the raw token for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=token_digest(raw), user_id=user.id, ip=ip, user_agent=user_agent[:300]
        )
    )
    session.flush()
    return raw


def resolve_session(
    *, session: Session, settings: Settings, raw: str
) -> tuple[AuthSession, User] | None:
    """The live session and its active user for a cookie value, or None."""
    row = session.exec(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    auth, user = row
    idle = timedelta(hours=settings.session_idle_hours)
    if auth.revoked_at is not None or not user.active or auth.last_seen_at + idle < utcnow():
        return None
    return auth, user


def session_needs_touch(auth: AuthSession) -> bool:
    return auth.last_seen_at + TOUCH_EVERY < utcnow()


def touch_session(*, session: Session, session_id: int) -> None:
    session.exec(
        update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=utcnow())
    )


def list_sessions(*, session: Session, user_id: int) -> list[AuthSession]:
    return list(
        session.exec(
            select(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .order_by(AuthSession.last_seen_at.desc())
        )
    )


def revoke_session(*, session: Session, user_id: int, session_id: int) -> bool:
    """Revoke one of the user's own sessions; False when there is no such live session."""
    result = session.exec(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


def revoke_all_sessions(
    *, session: Session, user_id: int, keep_session_id: int | None = None
) -> None:
    """End every session and token of a user (but the one they are using, when given)."""
    session.exec(
        update(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.id != (keep_session_id or 0),
        )
        .values(revoked_at=utcnow())
    )
    session.exec(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- API tokens ----------------------------------------------------------------------------


def create_api_token(*, session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(token_hash=token_digest(raw), user_id=user.id, name=name[:100])
    session.add(token)
    session.flush()
    return token, raw


def resolve_api_token(*, session: Session, raw: str) -> tuple[ApiToken, User] | None:
    row = session.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.active:
        return None
    return token, user


def token_needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or token.last_used_at + TOUCH_EVERY < utcnow()


def touch_token(*, session: Session, token_id: int) -> None:
    session.exec(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def list_api_tokens(*, session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(*, session: Session, user_id: int, token_id: int) -> bool:
    result = session.exec(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0
