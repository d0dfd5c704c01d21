"""API shapes for authentication."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from inspect_app.auth.passwords import MAX_PASSWORD
from inspect_app.bounds import column_length
from inspect_app.models import ApiToken, Role, User


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=column_length(User, "username"))
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    name: str = Field(
        default="",
        max_length=column_length(ApiToken, "name"),
        description="A label to recognise the token by",
    )


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
    expires_at: datetime = Field(description="After this the token answers 401 token_expired")
    expired: bool
    current: bool = Field(description="True for the token this request was made with")


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    new_password: str = Field(
        min_length=1, max_length=MAX_PASSWORD, description="At least 8 characters"
    )
