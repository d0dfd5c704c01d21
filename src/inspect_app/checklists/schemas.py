"""API shapes for checklist templates (what the offline client caches to walk a checklist), and
an item as typed into the editor or found in an imported file."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from inspect_app.bounds import FormFields


class TemplateItemOut(BaseModel):
    code: str
    text_zh: str
    text_en: str
    guidance_zh: str
    guidance_en: str
    severity: str
    period_days: int
    photo_required: bool


class TemplateSummaryOut(BaseModel):
    code: str
    title_zh: str
    title_en: str
    version: int


class TemplateOut(TemplateSummaryOut):
    items: list[TemplateItemOut]


@dataclass(frozen=True)
class ItemFields(FormFields):
    """What was given for a checklist item; `checklists.service.clean_item` checks it. Blank
    severity and period mean medium and 7 days."""

    code: str = ""
    text_zh: str = ""
    text_en: str = ""
    guidance_zh: str = ""
    guidance_en: str = ""
    severity: str = ""
    period_days: str = ""
    photo_required: bool = False
