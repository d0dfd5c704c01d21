"""API shapes for rectification items, their events and the overdue board."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from inspect_app.inspections.schemas import PhotoOut
from inspect_app.models import EventKind, RectificationStatus, Severity


class EventOut(BaseModel):
    id: int
    kind: EventKind
    actor_id: int
    at: datetime
    from_status: RectificationStatus | None
    to_status: RectificationStatus
    note: str
    old_deadline: date | None
    new_deadline: date | None
    visit_id: int | None
    photos: list[PhotoOut]


class RectificationOut(BaseModel):
    id: int
    site_id: int
    site_name_zh: str
    site_name_en: str
    inspection_uuid: str | None = None
    template_code: str
    item_code: str
    text_zh: str
    text_en: str
    severity: Severity
    status: RectificationStatus
    deadline: date
    overdue: bool
    days_left: int = Field(description="Days until the deadline; negative when overdue")
    created_at: datetime
    resolved_at: datetime | None


class RectificationDetail(RectificationOut):
    guidance_zh: str
    guidance_en: str
    finding_photos: list[PhotoOut]
    events: list[EventOut]


class RectificationPage(BaseModel):
    items: list[RectificationOut]
    total: int
    limit: int
    offset: int


class ReportFixedIn(BaseModel):
    note: str = Field(default="", max_length=2000)
    photo_ids: list[str] = Field(default_factory=list, max_length=20)
    request_id: str | None = Field(
        default=None, max_length=64, description="Client id: replays are safe"
    )


class VerifyIn(BaseModel):
    outcome: str = Field(description="closed or not_fixed")
    note: str = Field(default="", max_length=2000)
    photo_ids: list[str] = Field(default_factory=list, max_length=20)
    new_deadline: date | None = None
    visit_uuid: str | None = Field(default=None, description="The follow-up visit this belongs to")
    request_id: str | None = Field(default=None, max_length=64)


class VisitIn(BaseModel):
    site_id: int = Field(description="The site visited")


class VisitOut(BaseModel):
    id: int
    uuid: str
    site_id: int
    inspector_id: int
    started_at: datetime


class ExtendIn(BaseModel):
    reason: str = Field(max_length=2000)
    new_deadline: date
    request_id: str | None = Field(default=None, max_length=64)


class CancelIn(BaseModel):
    reason: str = Field(max_length=2000)
    request_id: str | None = Field(default=None, max_length=64)


class CountOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    count: int
    link: str


class DayOut(BaseModel):
    day: date
    open: int
    overdue: int


class BoardOut(BaseModel):
    active: int
    overdue: int
    by_team: list[CountOut]
    by_site: list[CountOut]
    by_item: list[CountOut]
    by_age: list[CountOut]
    last_30_days: list[DayOut]
