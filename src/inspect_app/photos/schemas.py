"""The API shape of a photo, shared by every endpoint that returns one."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from inspect_app.models import Photo, PhotoBlob
from inspect_app.photos.service import photo_urls


class PhotoOut(BaseModel):
    uuid: str
    item_code: str | None
    width: int
    height: int
    taken_at: datetime | None = Field(description="Staff only; null for owners")
    gps_latitude: float | None = Field(description="Staff only; null for owners")
    gps_longitude: float | None = Field(description="Staff only; null for owners")
    urls: dict[str, str]


def photo_out(photo: Photo, blob: PhotoBlob, *, staff: bool) -> PhotoOut:
    """Where and when a photo was taken is for the office only."""
    return PhotoOut(
        uuid=photo.uuid,
        item_code=photo.item_code,
        width=blob.width,
        height=blob.height,
        taken_at=blob.taken_at if staff else None,
        gps_latitude=blob.gps_latitude if staff else None,
        gps_longitude=blob.gps_longitude if staff else None,
        urls=photo_urls(photo, staff=staff),
    )
