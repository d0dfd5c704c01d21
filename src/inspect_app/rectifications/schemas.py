"""API shapes for rectification items, their events and the overdue board."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from inspect_app.bounds import Id, column_length
from inspect_app.models import (
    EventKind,
    FollowUpVisit,
    Photo,
    RectificationEvent,
    RectificationStatus,
    Role,
    Severity,
)
from inspect_app.photos.schemas import PhotoOut

MAX_PHOTOS = 20  # photos named by one report or verdict


class EventOut(BaseModel):
    id: int
    kind: EventKind
    actor_id: int
    actor_name: str = Field(
        description="The person's display name; empty when the reader may not see a name "
        "(a business owner sees no other account's username)"
    )
    actor_role: Role
    actor_role_label: str = Field(description="The role in the reader's language")
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
    active: bool = Field(description="Not closed or cancelled yet: open, or a fix reported")
    overdue: bool = Field(description="Active, and the deadline is before the office's today")
    days_left: int | None = Field(
        description="Days until the deadline; negative when overdue; null once closed or cancelled"
    )
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


# Lengths come from the columns the values are stored in or looked up by.
NOTE_MAX = column_length(RectificationEvent, "note")
REQUEST_ID_MAX = column_length(RectificationEvent, "request_id")
PhotoRef = Annotated[str, Field(max_length=column_length(Photo, "uuid"))]


class ReportFixedIn(BaseModel):
    note: str = Field(default="", max_length=NOTE_MAX)
    photo_ids: list[PhotoRef] = Field(default_factory=list, max_length=MAX_PHOTOS)
    request_id: str | None = Field(
        default=None, max_length=REQUEST_ID_MAX, description="Client id: replays are safe"
    )


class VerifyIn(BaseModel):
    outcome: str = Field(max_length=20, description="closed or not_fixed")
    note: str = Field(default="", max_length=NOTE_MAX)
    photo_ids: list[PhotoRef] = Field(default_factory=list, max_length=MAX_PHOTOS)
    new_deadline: date | None = None
    visit_uuid: str | None = Field(
        default=None,
        max_length=column_length(FollowUpVisit, "uuid"),
        description="The follow-up visit this belongs to",
    )
    request_id: str | None = Field(default=None, max_length=REQUEST_ID_MAX)


class VisitIn(BaseModel):
    site_id: Id = Field(description="The site visited")


class VisitOut(BaseModel):
    id: int
    uuid: str
    site_id: int
    inspector_id: int
    started_at: datetime


class ExtendIn(BaseModel):
    reason: str = Field(max_length=NOTE_MAX)
    new_deadline: date
    request_id: str | None = Field(default=None, max_length=REQUEST_ID_MAX)


class CancelIn(BaseModel):
    reason: str = Field(max_length=NOTE_MAX)
    request_id: str | None = Field(default=None, max_length=REQUEST_ID_MAX)


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
