"""What the notices API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, field_validator

from inspect_app.models import SignatureRole
from inspect_app.notices.signatures import (
    MAX_HEIGHT,
    MAX_POINTS,
    MAX_STROKES,
    MAX_WIDTH,
    MIN_SIDE,
    NAME_MAX,
    Drawing,
    Signing,
)


class DrawingIn(BaseModel):
    """The pad's strokes, never SVG: the server writes the SVG (one path per stroke)."""

    width: int = Field(ge=MIN_SIDE, le=MAX_WIDTH, description="the canvas's width (CSS px)")
    height: int = Field(ge=MIN_SIDE, le=MAX_HEIGHT, description="the canvas's height (CSS px)")
    strokes: list[Annotated[list[StrictInt], Field(max_length=2 * MAX_POINTS)]] = Field(
        max_length=MAX_STROKES,
        description=f"each stroke [x0, y0, x1, y1, ...]: whole numbers within the canvas, at "
        f"most {MAX_STROKES} strokes and {MAX_POINTS} points in all",
    )

    @field_validator("strokes", mode="before")
    @classmethod
    def whole_numbers_only(cls, value: Any) -> Any:
        """Numbers as JSON integers, nothing else: Litestar validates bodies leniently (it would
        read "12" or true as a number), so the check runs before it."""
        if isinstance(value, list) and all(
            isinstance(s, list) and all(type(v) is int for v in s) for s in value
        ):
            return value
        raise ValueError("each stroke is a list of whole numbers")


class SignatureIn(BaseModel):
    role: SignatureRole
    signer_name: str = Field(
        default="",
        max_length=NAME_MAX,
        description="the representative's name (required for `representative`; may be given "
        "with `refused`); an inspector signs with their account's name",
    )
    witness_name: str = Field(
        default="", max_length=NAME_MAX, description="required for `refused` (拒签)"
    )
    signed_at: datetime = Field(description="the phone's time when the signature was made")
    drawing: DrawingIn | None = Field(default=None, description="none for `refused`")

    def signing(self) -> Signing:
        d = self.drawing
        return Signing(
            role=self.role,
            signer_name=self.signer_name,
            witness_name=self.witness_name,
            signed_at=self.signed_at,
            drawing=Drawing(d.width, d.height, d.strokes) if d else None,
        )


class SignatureOut(BaseModel):
    uuid: str
    notice_id: int
    role: SignatureRole
    signer_name: str
    witness_name: str
    signed_at: datetime
    svg: str | None  # written by the server from the strokes
    svg_sha256: str | None
    recorded_by: int
    recorded_at: datetime
    sealed_hash: str  # the notice's hash with every signature up to this one


class NoticeOut(BaseModel):
    id: int
    number: str
    site_id: int
    inspection_uuid: str
    replaces_id: int | None
    issued_at: datetime
    content_hash: str  # of the content as issued, before any signature
    current_hash: str  # sealed by the newest signature (the content hash before any)
    hash_verifies: bool
    signatures: list[SignatureOut]
    content: dict[str, Any]  # the parsed canonical JSON (README "Rectification notices")
    pdf_url: str


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    limit: int
    offset: int
