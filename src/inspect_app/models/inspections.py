"""Checklists (templates, versions, items), inspections, answers, photos, rectification items."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Index, UniqueConstraint, and_
from sqlmodel import Field, SQLModel, col

from inspect_app.models.base import EnumString, UTCDateTime, utcnow


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class VersionStatus(StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


class ChecklistTemplate(SQLModel, table=True):
    """A checklist with a stable code (`enterprise-12`, `fire-safety`) and numbered versions."""

    __tablename__ = "checklist_template"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TemplateVersion(SQLModel, table=True):
    """One version of a template; published versions never change."""

    __tablename__ = "template_version"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="checklist_template.id", index=True)
    version: int
    status: VersionStatus = Field(sa_type=EnumString(VersionStatus), default=VersionStatus.draft)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TemplateItem(SQLModel, table=True):
    """A line of a template version; its `code` survives new versions."""

    __tablename__ = "template_item"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="template_version.id", index=True)
    code: str = Field(max_length=40)
    position: int = 0
    text_zh: str = Field(max_length=500)
    text_en: str = Field(max_length=500)
    guidance_zh: str = Field(default="", max_length=2000)
    guidance_en: str = Field(default="", max_length=2000)
    severity: Severity = Field(sa_type=EnumString(Severity), default=Severity.medium)
    period_days: int = 7
    photo_required: bool = True
    retired: bool = False


class InspectionStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class Result(StrEnum):
    passed = "pass"
    failed = "fail"
    na = "na"


class Inspection(SQLModel, table=True):
    """One walkthrough of one site with one template version; the phone makes its UUID."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    version_id: int = Field(foreign_key="template_version.id", index=True)
    inspector_id: int = Field(foreign_key="user.id", index=True)
    status: InspectionStatus = Field(
        sa_type=EnumString(InspectionStatus), default=InspectionStatus.draft
    )
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    # The campaign round it was started from (to do list); None when not, or matched later.
    round_id: int | None = Field(default=None, foreign_key="campaign_round.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("inspection_id", "item_code"),)

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    item_code: str = Field(max_length=40)
    result: Result = Field(sa_type=EnumString(Result))
    note: str = Field(default="", max_length=2000)
    deadline: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PhotoBlob(SQLModel, table=True):
    """A stored image, once per content (SHA-256); capture time and GPS are for staff only."""

    __tablename__ = "photo_blob"

    sha256: str = Field(primary_key=True, max_length=64)
    content_type: str = Field(max_length=40)
    byte_size: int
    width: int
    height: int
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Photo(SQLModel, table=True):
    """A photo of an inspection item, of a rectification item (a fix), or of a site itself
    (`site_id`: taken for an outcome recorded on the spot, e.g. a shop told to close)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    sha256: str = Field(foreign_key="photo_blob.sha256", index=True, max_length=64)
    inspection_id: int | None = Field(default=None, foreign_key="inspection.id", index=True)
    item_code: str | None = Field(default=None, max_length=40)
    rectification_id: int | None = Field(default=None, foreign_key="rectification.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="rectification_event.id", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    outcome_id: int | None = Field(default=None, foreign_key="site_outcome.id", index=True)
    uploaded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RectificationStatus(StrEnum):
    open = "open"
    fix_reported = "fix_reported"
    closed = "closed"
    cancelled = "cancelled"

    @property
    def is_active(self) -> bool:
        """Active: not closed or cancelled yet (open, or a fix reported and awaiting its check).
        The one definition: `Rectification.active_clause` says the same in SQL."""
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({RectificationStatus.open, RectificationStatus.fix_reported})


class DeadlineRules:
    """The rules of "active" and "overdue", for an item as stored (`Rectification`) and as read
    for a list (`rectifications.queries.Item`); `Rectification.overdue_clause` is the same in
    SQL. `today` is the office's today (timezone.today_in), everywhere."""

    status: RectificationStatus
    deadline: date

    def is_overdue(self, today: date) -> bool:
        """Overdue: active, and its deadline is before today."""
        return self.status.is_active and self.deadline < today

    def days_left(self, today: date) -> int | None:
        """Days until the deadline (negative: days overdue); None once closed or cancelled."""
        return (self.deadline - today).days if self.status.is_active else None


class Rectification(DeadlineRules, SQLModel, table=True):
    """A failed answer that must be put right by its deadline (整改项)."""

    # The list and the board read a scope's items site by site: by status and deadline, and by
    # resolved_at (migration 7c1e5a9d3b20).
    __table_args__ = (
        Index("ix_rectification_site_status_deadline", "site_id", "status", "deadline"),
        Index("ix_rectification_site_resolved_at", "site_id", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    answer_id: int = Field(foreign_key="answer.id", unique=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    item_code: str = Field(max_length=40)
    severity: Severity = Field(sa_type=EnumString(Severity))
    deadline: date = Field(index=True)
    status: RectificationStatus = Field(
        sa_type=EnumString(RectificationStatus), default=RectificationStatus.open, index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    @staticmethod
    def active_clause() -> ColumnElement[bool]:
        return col(Rectification.status).in_(ACTIVE_STATUSES)

    @staticmethod
    def overdue_clause(today: date) -> ColumnElement[bool]:
        return and_(Rectification.active_clause(), col(Rectification.deadline) < today)


class EventKind(StrEnum):
    created = "created"
    fix_reported = "fix_reported"
    verified_closed = "verified_closed"
    verified_not_fixed = "verified_not_fixed"
    extended = "extended"
    cancelled = "cancelled"


class RectificationEvent(SQLModel, table=True):
    """One change of a rectification item; append-only (nothing is ever updated or deleted)."""

    __tablename__ = "rectification_event"

    id: int | None = Field(default=None, primary_key=True)
    rectification_id: int = Field(foreign_key="rectification.id", index=True)
    kind: EventKind = Field(sa_type=EnumString(EventKind))
    actor_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    from_status: RectificationStatus | None = Field(
        default=None, sa_type=EnumString(RectificationStatus)
    )
    to_status: RectificationStatus = Field(sa_type=EnumString(RectificationStatus))
    note: str = Field(default="", max_length=2000)
    old_deadline: date | None = None
    new_deadline: date | None = None
    visit_id: int | None = Field(default=None, foreign_key="follow_up_visit.id", index=True)
    request_id: str | None = Field(default=None, max_length=64, unique=True)


class FollowUpVisit(SQLModel, table=True):
    """A follow-up visit (复查) of one site; the events it records point back to it."""

    __tablename__ = "follow_up_visit"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    inspector_id: int = Field(foreign_key="user.id", index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
