"""API shapes for authentication."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from inspect_app.models import Role


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=100, description="A label to recognise the token by")


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    subdistrict_id: int | None
    city_wide: bool
    team_ids: list[int]
    site_ids: list[int]


class TokenCreated(BaseModel):
    token: str = Field(description="Shown once; send it as `Authorization: Bearer <token>`")
    token_id: int
    user: UserPublic


class TokenPublic(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool = Field(description="True for the token this request was made with")
