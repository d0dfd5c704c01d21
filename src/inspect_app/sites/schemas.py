"""API shapes for sites, and a site as typed into its form or a row of an import file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inspect_app.bounds import FormFields
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


@dataclass(frozen=True)
class SiteFields(FormFields):
    """What was typed for a site, read once where it arrives (a form, a CSV row): the service
    checks it (`sites.service.clean_site_fields`) and never sees the raw form. An unticked
    `active` box must arrive as "" (web.with_checkbox): absent means yes."""

    kind: str = ""
    name_zh: str = ""
    name_en: str = ""
    address: str = ""
    latitude: str = ""
    longitude: str = ""
    parent_id: str = ""
    team_id: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    credit_code: str = ""
    active: bool = True
    owners: str | None = None  # comma-separated usernames; None: the owners stay as they are
