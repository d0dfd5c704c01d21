"""API shapes for sites."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inspect_app.models import Site, SiteKind


class SitePublic(BaseModel):
    id: int
    subdistrict_id: int
    kind: SiteKind
    name_zh: str
    name_en: str
    address: str
    latitude: float | None
    longitude: float | None
    parent_id: int | None
    team_id: int | None
    contact_name: str
    contact_phone: str
    credit_code: str | None
    active: bool
    updated_at: datetime

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, site: Site) -> SitePublic:
        return cls.model_validate(site)


class SitePage(BaseModel):
    items: list[SitePublic]
    total: int
    limit: int
    offset: int


class SiteDetail(SitePublic):
    tenants: list[SitePublic]
