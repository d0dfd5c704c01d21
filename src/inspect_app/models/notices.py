"""Rectification notices (整改通知书): numbered per subdistrict and office year, their content
frozen as canonical JSON with its SHA-256. A notice is never changed: a correction is a new
notice, with a new number, naming the one it replaces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from inspect_app.models.base import EnumString, UTCDateTime, utcnow


class NoticeCounter(SQLModel, table=True):
    """The last number issued in a subdistrict in an office year; incremented in the
    transaction that issues the notice, so numbers neither repeat nor skip."""

    __tablename__ = "notice_counter"

    subdistrict_id: int = Field(foreign_key="subdistrict.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class Notice(SQLModel, table=True):
    """One issued notice. `content` is the canonical JSON (notices.content), `content_hash`
    its SHA-256 in hex."""

    __table_args__ = (UniqueConstraint("subdistrict_id", "year", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=80, unique=True)
    subdistrict_id: int = Field(foreign_key="subdistrict.id", index=True)
    year: int
    seq: int
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    replaces_id: int | None = Field(default=None, foreign_key="notice.id", index=True)
    content: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=64)
    issued_by: int = Field(foreign_key="user.id")
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignatureRole(StrEnum):
    inspector = "inspector"
    representative = "representative"  # the business's representative signed
    refused = "refused"  # 拒签: the representative would not sign; a witness is named


class NoticeSignature(SQLModel, table=True):
    """One signature on a notice, made on a phone (its `uuid`): never changed or removed.

    `svg` is written by the server from the strokes the phone sent (one path per stroke);
    `sealed_hash` is the notice's hash with every signature up to this one (notices.content).
    `slot` holds the rule "once each" in the database: `inspector:<user id>` for an
    inspector, `business` for the representative's signature or their refusal."""

    __tablename__ = "notice_signature"
    __table_args__ = (UniqueConstraint("notice_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    role: SignatureRole = Field(sa_type=EnumString(SignatureRole))
    slot: str = Field(max_length=40)
    signer_name: str = Field(default="", max_length=80)
    witness_name: str = Field(default="", max_length=80)
    svg: str | None = Field(default=None, sa_type=Text)
    svg_sha256: str | None = Field(default=None, max_length=64)
    signed_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sealed_hash: str = Field(max_length=64)
