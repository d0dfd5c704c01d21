"""Rectification notices (整改通知书): numbered per subdistrict and office year, their content
frozen as canonical JSON with its SHA-256. A notice is never changed: a correction is a new
notice, with a new number, naming the one it replaces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from inspect_app.models.base import UTCDateTime, utcnow


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
