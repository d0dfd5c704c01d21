"""API shapes for inspections and their photos (the contract for the offline client)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from inspect_app.bounds import Id, OptionalId, Version, column_length
from inspect_app.models import Answer, ChecklistTemplate, InspectionStatus, Result
from inspect_app.photos.schemas import PhotoOut


class AnswerIn(BaseModel):
    item_code: str = Field(max_length=column_length(Answer, "item_code"))
    result: Result
    note: str = Field(default="", max_length=column_length(Answer, "note"))
    deadline: date | None = None


class AnswerFieldsIn(BaseModel):
    """What the walkthrough saves as it is typed; a field left out keeps its value."""

    note: str | None = Field(default=None, max_length=column_length(Answer, "note"))
    deadline: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD")


class AnswerSavedOut(BaseModel):
    item_code: str
    result: Result
    note: str
    deadline: date | None


class InspectionIn(BaseModel):
    site_id: Id
    template_code: str = Field(max_length=column_length(ChecklistTemplate, "code"))
    template_version: Version
    started_at: datetime
    answers: list[AnswerIn] = Field(default_factory=list, max_length=500)
    submit: bool = False
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)
    round_id: OptionalId = Field(
        default=None,
        description="The campaign round this inspection was started from (the to do list); "
        "it covers the site in that round when submitted",
    )


class AnswerOut(BaseModel):
    item_code: str
    result: Result
    note: str
    deadline: date | None
    photos: list[PhotoOut]


class InspectionOut(BaseModel):
    uuid: str
    site_id: int
    template_code: str
    template_version: int
    status: InspectionStatus
    inspector_id: int
    started_at: datetime
    submitted_at: datetime | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    round_id: int | None
    distance_to_site_m: float | None
    score: int | None
    answers: list[AnswerOut]
