"""API shapes of a site's business link (staff only)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class BusinessLinkOut(BaseModel):
    site_id: int
    state: str = Field(description="none, active, expired, revoked or replaced")
    url: str = Field(description="the short link (also in the QR code); empty when none")
    expires_on: date | None = Field(
        description="the last day it works; null while the site has active items (or none)"
    )
    created_at: datetime | None
    revoked_at: datetime | None
