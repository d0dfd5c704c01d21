"""The business's way in without an account: a link (QR code and short URL on the notice) to
one site, and the re-check applications (复查申请) a business makes once it has fixed things."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from inspect_app.models.base import EnumString, UTCDateTime, utcnow


class BusinessLink(SQLModel, table=True):
    """A capability for one site. The token is never stored: it is derived from `nonce` with
    the server's SECRET_KEY (links.tokens), and only its SHA-256 is kept for the lookup, so a
    copy of the database alone opens nothing. `user_id` is the site's hidden link account, whose
    identity the link's requests run under."""

    __tablename__ = "business_link"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    nonce: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    notice_id: int | None = Field(default=None, foreign_key="notice.id", index=True)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="user.id")


class RecheckState(StrEnum):
    open = "open"
    done = "done"


class RecheckRequest(SQLModel, table=True):
    """A business asks for the follow-up visit (复查申请); done when one is made or every item
    of the site is closed. One open request per site at a time."""

    __tablename__ = "recheck_request"
    __table_args__ = (Index("ix_recheck_request_site_state", "site_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    requested_by: int = Field(foreign_key="user.id")
    via_link: bool = False
    due_on: date
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    state: RecheckState = Field(default=RecheckState.open, sa_type=EnumString(RecheckState))
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
