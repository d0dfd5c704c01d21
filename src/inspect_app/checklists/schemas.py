"""API shapes for checklist templates (what the offline client caches to walk a checklist)."""

from __future__ import annotations

from pydantic import BaseModel


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
