"""What the notices API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class NoticeOut(BaseModel):
    id: int
    number: str
    site_id: int
    inspection_uuid: str
    replaces_id: int | None
    issued_at: datetime
    content_hash: str
    hash_verifies: bool
    content: dict[str, Any]  # the parsed canonical JSON (README "Rectification notices")
    pdf_url: str


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    limit: int
    offset: int
