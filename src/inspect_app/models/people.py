"""People, places and authentication: subdistricts, users, teams, sites, sessions, tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from inspect_app.models.base import EnumString, UTCDateTime, utcnow

_EMPTY = {"server_default": ""}

# --- places and people -------------------------------------------------------------------


class Subdistrict(SQLModel, table=True):
    """A 街道: every team and site belongs to exactly one."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    # The notice number's prefix (梧桐〔2026〕第0012号); empty: the Chinese name without 街道.
    # Empty by default in the database too, so rows written without them stay valid.
    notice_prefix: str = Field(default="", max_length=20, sa_column_kwargs=_EMPTY)
    # What the notice says of the re-check (复查); empty: the default wording.
    recheck_text_zh: str = Field(default="", max_length=1000, sa_column_kwargs=_EMPTY)
    recheck_text_en: str = Field(default="", max_length=1000, sa_column_kwargs=_EMPTY)


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    inspector = "inspector"
    owner = "owner"


class User(SQLModel, table=True):
    """An account. Admins and supervisors work in one subdistrict unless `city_wide`."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=300)
    display_name: str = Field(max_length=200, default="")
    role: Role = Field(sa_type=EnumString(Role))
    subdistrict_id: int | None = Field(default=None, foreign_key="subdistrict.id", index=True)
    city_wide: bool = False
    active: bool = True
    phone: str = Field(default="", max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set on a site's hidden link account (links.accounts): the business acting through its
    # notice link. Never listed, never signs in, never holds a session or token.
    link_site_id: int | None = Field(default=None, foreign_key="site.id", unique=True)


class Team(SQLModel, table=True):
    """An inspection team (工作小组) that owns a set of sites."""

    id: int | None = Field(default=None, primary_key=True)
    subdistrict_id: int = Field(foreign_key="subdistrict.id", index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    active: bool = True


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class SiteKind(StrEnum):
    building = "building"
    enterprise = "enterprise"
    shop = "shop"
    compound = "compound"


class Site(SQLModel, table=True):
    """A place that is inspected; enterprises may sit inside a building (`parent_id`)."""

    # Campaign coverage counts a subdistrict's sites by kind, team and building from this
    # index alone (campaigns.scope), never reading the rows themselves.
    __table_args__ = (
        Index(
            "ix_site_scope",
            "subdistrict_id",
            "kind",
            "team_id",
            "parent_id",
            "active",
            "created_at",
        ),
        # The newest change and the newest site of a subdistrict, each one step down an index:
        # a round's counts are kept until either moves (campaigns.coverage.round_version).
        Index("ix_site_subdistrict_updated", "subdistrict_id", "updated_at"),
        Index("ix_site_subdistrict_newest", "subdistrict_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subdistrict_id: int = Field(foreign_key="subdistrict.id", index=True)
    kind: SiteKind = Field(sa_type=EnumString(SiteKind), index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    parent_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteOwner(SQLModel, table=True):
    """An owner account that may see a site (企业负责人 / 物业)."""

    __tablename__ = "site_owner"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


# --- authentication ----------------------------------------------------------------------


class AuthSession(SQLModel, table=True):
    """A browser session; the cookie holds a random token, the row only its SHA-256."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    locale: str = Field(default="", max_length=10)


class ApiToken(SQLModel, table=True):
    """A bearer token for API clients, stored hashed; listed and revoked by its owner, and
    refused after `expires_at` (API_TOKEN_DAYS after creation)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A failed login, counted across all app processes: per device cookie when the device
    signed in to the account before (`device` holds its nonce), else per account and per
    (address, account). Rows older than LOGIN_MEMORY_HOURS are pruned."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, index=True)
    ip: str = Field(max_length=64, index=True)
    device: str = Field(default="", max_length=32, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class LockKind(StrEnum):
    account = "account"  # every unknown device, for one account
    address = "address"  # unknown devices at one address, for one account
    device = "device"  # one device cookie, for one account


class LoginLock(SQLModel, table=True):
    """A current refusal of sign-ins, derived from failures; listed and lifted by admins."""

    __tablename__ = "login_lock"
    __table_args__ = (UniqueConstraint("kind", "username", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: LockKind = Field(sa_type=EnumString(LockKind))
    username: str = Field(max_length=80, index=True)
    key: str = Field(default="", max_length=64)  # the address or device nonce; "" for account
    failures: int = 0
    locked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime = Field(sa_type=UTCDateTime, index=True)
