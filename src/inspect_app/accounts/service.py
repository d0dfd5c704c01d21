"""Accounts and teams: creation, edits and membership, always inside the actor's subdistrict."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from inspect_app.accounts.schemas import AccountFields, TeamFields
from inspect_app.auth import limits
from inspect_app.auth.passwords import MIN_PASSWORD, hash_password
from inspect_app.auth.service import OFFICE_ROLES, CurrentUser, revoke_all_sessions
from inspect_app.bounds import parse_whole
from inspect_app.errors import Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    LoginLock,
    Role,
    Subdistrict,
    Team,
    TeamMember,
    User,
    utcnow,
)
from inspect_app.settings import Settings

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")


def _require_admin(actor: CurrentUser | None) -> None:
    if actor is not None and actor.role != Role.admin:
        raise Forbidden(_("Only an administrator may manage accounts and teams."))


def _in_scope(actor: CurrentUser | None, subdistrict_id: int | None) -> bool:
    return actor is None or actor.city_wide or subdistrict_id == actor.subdistrict_id


def _manages(actor: CurrentUser, user: User) -> bool:
    """A subdistrict admin manages their subdistrict's accounts, never a city-wide one: a new
    password for it would open every subdistrict to them."""
    if actor.city_wide:
        return True
    return not user.city_wide and user.subdistrict_id == actor.subdistrict_id


def _managed_users(actor: CurrentUser) -> list[ColumnElement[bool]]:
    """WHERE clauses for the accounts this admin manages (the SQL side of `_manages`)."""
    if actor.city_wide:
        return []
    return [User.subdistrict_id == actor.subdistrict_id, User.city_wide.is_(False)]


def list_users(*, session: Session, actor: CurrentUser) -> list[User]:
    _require_admin(actor)
    stmt = (
        select(User)
        .where(*_managed_users(actor), User.link_site_id.is_(None))
        .order_by(User.role, User.username)
    )
    return list(session.exec(stmt))


# --- sign-in locks ------------------------------------------------------------------------


def list_login_locks(*, session: Session, actor: CurrentUser) -> list[tuple[LoginLock, User]]:
    """Current sign-in locks on the accounts this admin manages (made-up names lock nobody)."""
    _require_admin(actor)
    stmt = (
        select(LoginLock, User)
        .join(User, User.username == LoginLock.username)
        .where(LoginLock.locked_until > utcnow(), *_managed_users(actor))
        .order_by(LoginLock.locked_until.desc())
    )
    return list(session.exec(stmt))


def lift_login_lock(*, session: Session, actor: CurrentUser, lock_id: int) -> LoginLock:
    """Lift a lock (and forget the failures behind it); 404 for a lock this admin cannot see."""
    _require_admin(actor)
    row = session.exec(
        select(LoginLock, User)
        .join(User, User.username == LoginLock.username)
        .where(LoginLock.id == lock_id)
    ).first()
    if row is None or not _manages(actor, row[1]):
        raise NotFound(_("This lock does not exist or has already been lifted."))
    limits.lift(session=session, lock=row[0])
    return row[0]


def get_user(*, session: Session, actor: CurrentUser, user_id: int) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None or user.link_site_id is not None or not _manages(actor, user):
        raise NotFound(_("This account does not exist or is not visible to you."))
    return user


def _clean_account(
    *, session: Session, actor: CurrentUser | None, data: AccountFields, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "display_name": data.display_name[:200],
        "phone": data.phone[:40],
    }
    role = data.role
    if role not in Role.__members__:
        errors["role"] = _("Choose a role.")
    else:
        values["role"] = Role(role)
    city_wide = data.city_wide
    if city_wide and actor is not None and not actor.city_wide:
        errors["city_wide"] = _("Only a city-wide administrator may create city-wide accounts.")
    if city_wide and values.get("role") not in OFFICE_ROLES:
        errors["city_wide"] = _("Only administrators and supervisors can be city-wide.")
    values["city_wide"] = city_wide
    subdistrict_id = parse_whole(data.subdistrict_id, low=1) or (
        actor.subdistrict_id if actor else None
    )
    if (subdistrict_id is not None and session.get(Subdistrict, subdistrict_id) is None) or (
        subdistrict_id is None and not city_wide
    ):
        errors["subdistrict_id"] = _("Choose a subdistrict.")
    elif not _in_scope(actor, subdistrict_id):
        errors["subdistrict_id"] = _("You may only manage accounts of your own subdistrict.")
    values["subdistrict_id"] = subdistrict_id
    password = data.password
    if creating or password:
        if len(password) < MIN_PASSWORD:
            errors["password"] = _("A password needs at least %(n)s characters.", n=MIN_PASSWORD)
        values["password"] = password
    if creating:
        username = data.username.lower()
        if not USERNAME_RE.match(username):
            errors["username"] = _(
                "3 to 40 characters: lowercase letters, digits, dot, dash or underscore."
            )
        elif session.exec(select(User.id).where(User.username == username)).first():
            errors["username"] = _("This username is taken.")
        values["username"] = username
    return values, errors


def create_user(
    *, session: Session, settings: Settings, actor: CurrentUser | None, data: AccountFields
) -> User:
    """Create an account. `actor=None` is the trusted command line."""
    _require_admin(actor)
    values, errors = _clean_account(session=session, actor=actor, data=data, creating=True)
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    password = values.pop("password")
    user = User(**values, password_hash=hash_password(password, settings=settings))
    session.add(user)
    session.flush()
    return user


def update_user(
    *,
    session: Session,
    settings: Settings,
    actor: CurrentUser,
    user_id: int,
    data: AccountFields,
) -> User:
    user = get_user(session=session, actor=actor, user_id=user_id)
    values, errors = _clean_account(session=session, actor=actor, data=data, creating=False)
    active = data.active
    if user.id == actor.id and (not active or values.get("role") != Role.admin):
        errors["active"] = _("You cannot deactivate yourself or drop your own admin role.")
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    password = values.pop("password", "")
    for key, value in values.items():
        setattr(user, key, value)
    if password:
        user.password_hash = hash_password(password, settings=settings)
    if (user.active and not active) or password:
        keep = actor.session_id if user.id == actor.id else None
        revoke_all_sessions(session=session, user_id=user_id, keep_session_id=keep)
    user.active = active
    session.add(user)
    session.flush()
    return user


# --- teams --------------------------------------------------------------------------------


def list_teams(*, session: Session, actor: CurrentUser) -> list[Team]:
    stmt = select(Team).order_by(Team.subdistrict_id, Team.id)
    if not actor.city_wide:
        stmt = stmt.where(Team.subdistrict_id == actor.subdistrict_id)
    return list(session.exec(stmt))


def get_team(*, session: Session, actor: CurrentUser, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or not _in_scope(actor, team.subdistrict_id):
        raise NotFound(_("This team does not exist or is not visible to you."))
    return team


def save_team(
    *, session: Session, actor: CurrentUser, data: TeamFields, team_id: int | None = None
) -> Team:
    _require_admin(actor)
    team = get_team(session=session, actor=actor, team_id=team_id) if team_id else None
    errors: dict[str, str] = {}
    name_zh = data.name_zh[:200]
    name_en = data.name_en[:200]
    if not name_zh:
        errors["name_zh"] = _("Give the team a Chinese name.")
    subdistrict_id = parse_whole(data.subdistrict_id, low=1) or actor.subdistrict_id
    if team is None and (
        subdistrict_id is None
        or session.get(Subdistrict, subdistrict_id) is None
        or not _in_scope(actor, subdistrict_id)
    ):
        errors["subdistrict_id"] = _("Choose a subdistrict.")
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    if team is None:
        assert subdistrict_id is not None
        team = Team(subdistrict_id=subdistrict_id, name_zh=name_zh, name_en=name_en)
    team.name_zh, team.name_en = name_zh, name_en or name_zh
    team.active = data.active
    session.add(team)
    session.flush()
    return team


def team_members(*, session: Session, team_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team_id)
            .order_by(User.username)
        )
    )


def add_team_member(*, session: Session, actor: CurrentUser, team_id: int, username: str) -> User:
    _require_admin(actor)
    team = get_team(session=session, actor=actor, team_id=team_id)
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None or user.role != Role.inspector or user.subdistrict_id != team.subdistrict_id:
        raise Invalid(
            _("No inspector of this subdistrict has that username."),
            fields={"username": _("No inspector of this subdistrict has that username.")},
        )
    if session.get(TeamMember, (team_id, user.id)) is None:
        assert user.id is not None
        session.add(TeamMember(team_id=team_id, user_id=user.id))
    session.flush()
    return user


def remove_team_member(*, session: Session, actor: CurrentUser, team_id: int, user_id: int) -> None:
    _require_admin(actor)
    team = get_team(session=session, actor=actor, team_id=team_id)
    session.exec(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )


def owner_accounts(
    *, session: Session, usernames: list[str], subdistrict_id: int
) -> tuple[list[User], str]:
    """Resolve owner usernames of the site's subdistrict; returns the accounts and an error
    message ('' when all exist). Owners elsewhere are refused like unknown names."""
    wanted = sorted({u.strip().lower() for u in usernames if u.strip()})
    users = list(session.exec(select(User).where(User.username.in_(wanted)))) if wanted else []
    found = {u.username: u for u in users if is_owner_of(u, subdistrict_id)}
    bad = [u for u in wanted if u not in found]
    if bad:
        return [], _("Not owner accounts: %(u)s", u=", ".join(bad))
    return list(found.values()), ""


def is_owner_of(user: User, subdistrict_id: int) -> bool:
    """An owner account that may be a member of sites in this subdistrict."""
    return (
        user.role == Role.owner
        and user.subdistrict_id == subdistrict_id
        and user.link_site_id is None  # a site's link account is nobody's to give
    )
