"""Logins, sessions, API tokens and the per-request identity (CurrentUser)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from inspect_app.auth import limits
from inspect_app.auth.passwords import MAX_PASSWORD as MAX_PASSWORD  # re-exported
from inspect_app.auth.passwords import MIN_PASSWORD as MIN_PASSWORD  # re-exported
from inspect_app.auth.passwords import (
    burn_time,
    hash_password,
    verify_password,
)
from inspect_app.bounds import bounded
from inspect_app.errors import Invalid, RateLimited
from inspect_app.i18n import gettext as _
from inspect_app.i18n import ngettext
from inspect_app.middleware import ADDRESS_MAX
from inspect_app.models import (
    ApiToken,
    AuthSession,
    LockKind,
    Role,
    SiteOwner,
    Team,
    TeamMember,
    User,
    utcnow,
)
from inspect_app.settings import Settings

TOUCH_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "ia_"  # noqa: S105 (a visible prefix, not a secret)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# The office sees (and answers for) the whole subdistrict; staff are the office and inspectors.
OFFICE_ROLES = frozenset({Role.admin, Role.supervisor})
STAFF_ROLES = OFFICE_ROLES | {Role.inspector}


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
    # The office's today when the user was loaded for a request: a site given to an inspector
    # or their team in a campaign round running today is theirs to work on (sites.site_scope).
    office_today: date | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def sees_whole_subdistrict(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def label(self) -> str:
        return self.display_name or self.username


def load_current_user(
    *,
    session: Session,
    user: User,
    session_id: int | None = None,
    token_id: int | None = None,
    office_today: date | None = None,
) -> CurrentUser:
    assert user.id is not None
    # An inactive team's membership grants nothing: its sites leave every scope at once.
    team_ids = session.exec(
        select(TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id == user.id, Team.active.is_(True))
    ).all()
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
        office_today=office_today,
    )


# --- login and its limits (see limits.py) --------------------------------------------------


class LoginRefused(Exception):
    """Wrong credentials or an inactive account ("invalid"), or a current lock ("locked").
    The failed attempt is recorded all the same (it counts towards the login limits)."""

    keeps_changes = True

    def __init__(self, reason: str, retry_minutes: int = 0, kind: LockKind | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "locked"
        self.retry_minutes = retry_minutes
        self.kind = kind

    def as_error(self) -> RateLimited:
        """The refusal of a lock as an HTTP answer: 429 with Retry-After."""
        seconds = str(self.retry_minutes * 60)
        return RateLimited(self.message, headers={"Retry-After": seconds}, keeps_changes=True)

    @property
    def message(self) -> str:
        """What happened and what to do, in the person's language."""
        if self.reason != "locked":
            return _("Wrong username or password.")
        wait = ngettext("%(num)d minute", "%(num)d minutes", self.retry_minutes)
        if self.kind == LockKind.device:
            return _(
                "Too many failed sign-ins to this account from this device. Try again in "
                "%(wait)s, or ask an administrator to lift the lock.",
                wait=wait,
            )
        return _(
            "Too many failed sign-ins to this account from devices it has not been used on. "
            "Try again in %(wait)s, sign in from a device you used before, or ask an "
            "administrator to lift the lock.",
            wait=wait,
        )


def authenticate(
    *,
    session: Session,
    settings: Settings,
    username: str,
    password: str,
    ip: str,
    cookies: Mapping[str, str] | None = None,
    device: str = "",
) -> User:
    """Check credentials under the login limits. A valid device cookie among `cookies` makes
    this a trusted device (else `device` names one, e.g. a signed-in session; "" is an unknown
    device, as every API client is). Failures are recorded in this transaction, and
    kept: LoginRefused keeps its changes (`db.end_transaction`)."""
    now = utcnow()
    username = username.strip().lower()
    limits.prune(session=session, settings=settings, now=now)
    # A name that had to be cut or cleaned to be stored is nobody's (never "a\0dmin" -> admin).
    user = None
    if bounded(username, limits.USERNAME_MAX) == username:
        user = session.exec(select(User).where(User.username == username)).first()
    if cookies and user is not None:
        secret = settings.secret_key
        device = limits.trusted_device(cookies, username, secret, user.password_hash)
    attempt = limits.make_attempt(username, ip, device)
    lock = limits.active_lock(session=session, attempt=attempt, now=now)
    if lock is not None:
        raise LoginRefused("locked", limits.minutes_left(lock, now), lock.kind)
    if user is None:
        burn_time(password, settings=settings)
        ok = False
    else:
        ok = (
            verify_password(user.password_hash, password, settings=settings)
            and user.active
            and user.link_site_id is None  # a site's link account never signs in
        )
    if not ok:
        limits.record_failure(session=session, settings=settings, attempt=attempt, now=now)
        raise LoginRefused("invalid")
    limits.record_success(session=session, attempt=attempt)
    assert user is not None
    return user


def change_password(
    *,
    session: Session,
    settings: Settings,
    user: CurrentUser,
    current: str,
    new: str,
    ip: str,
) -> None:
    """A user's own new password; the current one is checked under the login limits. Every
    other session and token of the user ends; the one making the change stays."""
    errors: dict[str, str] = {}
    if len(new) < MIN_PASSWORD:
        errors["new_password"] = _("A password needs at least %(n)s characters.", n=MIN_PASSWORD)
    elif len(new) > MAX_PASSWORD:
        errors["new_password"] = _("A password may have at most %(n)s characters.", n=MAX_PASSWORD)
    try:
        account = authenticate(
            session=session,
            settings=settings,
            username=user.username,
            password=current[:MAX_PASSWORD],
            ip=ip,
            # The signed-in session (or token) is a known device with its own allowance: a
            # stranger's guesses at the account never stop its owner changing the password.
            device=f"session-{user.session_id}" if user.session_id else f"token-{user.token_id}",
        )
    except LoginRefused as refused:
        if refused.reason == "locked":
            raise
        errors["current_password"] = _("The current password is wrong.")
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors, keeps_changes=True)
    account.password_hash = hash_password(new, settings=settings)
    session.add(account)
    assert account.id is not None
    revoke_all_sessions(
        session=session,
        user_id=account.id,
        keep_session_id=user.session_id,
        keep_token_id=user.token_id,
    )
    session.flush()


# --- browser sessions ----------------------------------------------------------------------


def create_session(*, session: Session, user: User, ip: str, user_agent: str) -> str:
    """Start a session; returns the raw token for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        AuthSession(
            token_hash=token_digest(raw),
            user_id=user.id,
            ip=bounded(ip, ADDRESS_MAX),
            user_agent=bounded(user_agent, 300),
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
    lifetime = timedelta(days=settings.session_max_days)
    now = utcnow()
    if (
        auth.revoked_at is not None
        or not user.active
        or user.link_site_id is not None
        or auth.last_seen_at + idle < now
        or auth.created_at + lifetime < now
    ):
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
    *,
    session: Session,
    user_id: int,
    keep_session_id: int | None = None,
    keep_token_id: int | None = None,
) -> None:
    """End every session and token of a user (but the ones they are using, when given)."""
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
        .where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.id != (keep_token_id or 0),
        )
        .values(revoked_at=utcnow())
    )


# --- API tokens ----------------------------------------------------------------------------


def create_api_token(
    *, session: Session, settings: Settings, user: User, name: str
) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    token = ApiToken(
        token_hash=token_digest(raw),
        user_id=user.id,
        name=bounded(name, 100),
        expires_at=utcnow() + timedelta(days=settings.api_token_days),
    )
    session.add(token)
    session.flush()
    return token, raw


class TokenExpired(Exception):
    """A real token past its expiry: the client is told so, not just "invalid"."""


def resolve_api_token(*, session: Session, raw: str) -> tuple[ApiToken, User] | None:
    """The live token and its active user, None for an unknown or revoked one; raises
    TokenExpired for an expired one."""
    row = session.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.active or user.link_site_id is not None:
        return None
    if token.expires_at <= utcnow():
        raise TokenExpired()
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
