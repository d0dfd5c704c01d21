"""Which file types are accepted, told by their first bytes (never by name or declared type)."""

from __future__ import annotations

from inspect_app.i18n import gettext as _

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = _HEIC_BRANDS | {b"mif1", b"msf1", b"mif2"}
PIL_FORMATS = {
    "JPEG": ("JPEG",),
    "PNG": ("PNG",),
    "WEBP": ("WEBP",),
    "HEIF": ("HEIF",),
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Pillow's format names for what it opened; MPO is a JPEG with extra frames (phones write it).
OPENED_AS = {"JPEG": {"JPEG", "MPO"}, "PNG": {"PNG"}, "WEBP": {"WEBP"}, "HEIF": {"HEIF"}}


def sniff(head: bytes) -> tuple[str | None, str]:
    """(accepted kind or None, a name for the file type a person may recognise)."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG", "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG", "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP", "WebP"
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        box = head[8 : max(16, min(size, len(head)))]
        brands = {box[i : i + 4] for i in range(0, len(box) - 3, 4)}  # major, version, compat
        if brands & _HEIC_BRANDS or (brands & _HEIF_BRANDS and not brands & {b"avif", b"avis"}):
            return "HEIF", "HEIF"
        if brands & {b"avif", b"avis"}:
            return None, "AVIF"
        return None, _("video or other ISO media")
    for magic, name in (
        (b"GIF8", "GIF"),
        (b"%PDF", "PDF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"PK\x03\x04", "ZIP"),
        (b"\x00\x00\x01\x00", "ICO"),
        (b"8BPS", "Photoshop"),
    ):
        if head.startswith(magic):
            return None, name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return None, "SVG"
    if text.startswith((b"<!doctype html", b"<html", b"<")):
        return None, "HTML/XML"
    return None, ""


def heif_content_type(head: bytes) -> str:
    major = head[8:12]
    return "image/heic" if major in _HEIC_BRANDS else "image/heif"
