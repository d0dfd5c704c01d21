"""Turn one uploaded file into a checked photo: metadata for the database and two clean JPEGs.

`process_photo` is a pure function on a file: it reads it, never writes anything, and either
returns a `ProcessedPhoto` or raises a `PhotoRejected` subclass whose message a person understands.

Order of work (cheapest refusal first):
1. sniff the magic bytes: only JPEG, PNG, WebP and HEIC/HEIF get as far as Pillow;
2. for JPEG, walk the marker structure (no decoding) and refuse corrupt entropy-coded data
   that libjpeg would silently patch with grey blocks (bad markers, missing restart intervals)
   and more segments, scans or junk than any photo has; for PNG, count the chunks. Both walks
   are linear in the file (no regex that backtracks, no Python loop per byte);
3. open lazily with Pillow restricted to that one format and refuse by pixel count from the
   header, before a single pixel is decoded;
4. decode once, JPEG at 1/2, 1/4 or 1/8 scale (`Image.draft`) when the display size allows,
   then reduce-then-resize to the display size; the thumbnail is made from the display image;
5. orientation, colour (embedded ICC profile -> sRGB, alpha onto white) are fixed on the small
   image; the derivatives are saved without EXIF, GPS, XMP, ICC or comments.
A `Deadline` is checked between the stages (photos/pool.py runs this in a bounded thread pool).
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from inspect_app.errors import AppError
from inspect_app.i18n import gettext as _
from inspect_app.photos import structure
from inspect_app.photos.metadata import read_metadata

# Only the primary image is used: skip HEIF thumbnails, depth maps and auxiliary images.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

DISPLAY_MAX_SIDE = 1600
THUMB_MAX_SIDE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 78
# Baseline, not progressive: progressive costs ~2.5x the encode time here for ~2% fewer bytes.
DISPLAY_PROGRESSIVE = False
# See _resize. JPEG draft decoding already leaves the display a resize by a factor below 2 and
# the thumbnail is cut from the display, so filters cheaper than LANCZOS do: BICUBIC (Pillow's
# Image.thumbnail default; BILINEAR or HAMMING visibly soften a display) and, for thumbnails,
# HAMMING (BILINEAR's cost, a little sharper). test_real_photos_keep_their_detail holds both
# to within ~1 dB of a LANCZOS resize of the full image.
DISPLAY_RESAMPLE = Image.Resampling.BICUBIC
DISPLAY_REDUCING_GAP = 1.0
THUMB_RESAMPLE = Image.Resampling.HAMMING
THUMB_REDUCING_GAP = 2.0
# Optimised Huffman tables: 1.8x the encode time of a display (12 vs 7 ms) for 1.4% fewer
# bytes over the real photos; on a thumbnail 0.3 ms buys 2.5% (and thumbnails go in lists).
DISPLAY_OPTIMIZE = False
THUMB_OPTIMIZE = True
WHITE = (255, 255, 255)

ACCEPTED = "JPEG, PNG, WebP, HEIC"


class PhotoRejected(AppError):
    """The file is not a photo we can take; subclasses say why (status and code for the API)."""

    status_code, code = 422, "photo_rejected"


class PhotoTooLarge(PhotoRejected):
    status_code, code = 413, "photo_too_large"


class UnsupportedPhoto(PhotoRejected):
    status_code, code = 415, "unsupported_photo_type"


class TooManyPixels(PhotoRejected):
    status_code, code = 422, "photo_too_many_pixels"


class BrokenPhoto(PhotoRejected):
    status_code, code = 422, "photo_unreadable"
    detail = ""  # what exactly is wrong, for logs (the message stays general)


class PhotoTooSlow(PhotoRejected):
    status_code, code = 422, "photo_too_slow"


def too_slow(seconds: float) -> PhotoTooSlow:
    return PhotoTooSlow(
        _(
            "This photo took too long to process (over %(seconds)s seconds). "
            "Please take or choose it again; a smaller photo is quicker.",
            seconds=f"{seconds:g}",
        )
    )


@dataclass(frozen=True)
class Deadline:
    """A time budget for one photo, checked between the stages of the work: a thread cannot be
    stopped inside one, so each stage is bounded by itself (caps on bytes, structure, pixels)."""

    seconds: float
    ends: float  # on time.monotonic()

    @classmethod
    def start(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise too_slow(self.seconds)


NO_DEADLINE = Deadline(math.inf, math.inf)


@dataclass(frozen=True)
class ProcessedPhoto:
    sha256: str
    content_type: str  # of the original upload: image/jpeg, image/png, image/webp, image/heic...
    byte_size: int
    width: int  # of the original, after orientation
    height: int
    taken_at: datetime | None  # UTC-aware
    gps_latitude: float | None
    gps_longitude: float | None
    display: bytes  # JPEG, long side <= 1600, upright, sRGB, no metadata
    thumb: bytes  # JPEG, long side <= 320, same rules
    display_width: int = 0
    display_height: int = 0
    thumb_width: int = 0
    thumb_height: int = 0
    orientation: int = 1  # the EXIF orientation that was applied (1 = none)
    taken_at_source: str | None = None  # DateTimeOriginal, DateTimeDigitized or DateTime


# --------------------------------------------------------------------------------------------
# Sniffing


_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = _HEIC_BRANDS | {b"mif1", b"msf1", b"mif2"}
_PIL_FORMATS = {
    "JPEG": ("JPEG",),
    "PNG": ("PNG",),
    "WEBP": ("WEBP",),
    "HEIF": ("HEIF",),
}
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Pillow's format names for what it opened; MPO is a JPEG with extra frames (phones write it).
_OPENED_AS = {"JPEG": {"JPEG", "MPO"}, "PNG": {"PNG"}, "WEBP": {"WEBP"}, "HEIF": {"HEIF"}}


def _sniff(head: bytes) -> tuple[str | None, str]:
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


def _heif_content_type(head: bytes) -> str:
    major = head[8:12]
    return "image/heic" if major in _HEIC_BRANDS else "image/heif"


# --------------------------------------------------------------------------------------------
# Structure (photos/structure.py) and metadata (photos/metadata.py)


def _broken(detail: str = "") -> BrokenPhoto:
    message = _("This photo file is damaged or incomplete. Please take or choose it again.")
    exc = BrokenPhoto(message)
    exc.detail = detail  # for logs; not shown to the user
    return exc


def check_jpeg_structure(data: bytes) -> None:
    """structure.check_jpeg, refusing with BrokenPhoto."""
    _check_structure("JPEG", data)


def _check_structure(kind: str, data: bytes) -> None:
    if kind in structure.CHECKS:
        try:
            structure.CHECKS[kind](data)
        except structure.Malformed as exc:
            raise _broken(str(exc)) from None


# --------------------------------------------------------------------------------------------
# Pixels


# ImageOps.exif_transpose's table: orientation -> transpose method.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    long_side = max(width, height)
    if long_side <= max_side:
        return size
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(
    im: Image.Image, max_side: int, resample: Image.Resampling, reducing_gap: float
) -> Image.Image:
    """Reduce-then-resize: an integer box reduce() while the image stays >= reducing_gap x the
    target, then `resample` for the rest. 1.0 = as much box reduction as possible (fast; what
    JPEG draft mode does in the DCT domain anyway); 2.0 = the filter over the last 2-4x."""
    target = _fit(im.size, max_side)
    if target == im.size:
        return im
    return im.resize(target, resample, reducing_gap=reducing_gap)


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from an embedded profile to sRGB; None if the profile is sRGB already,
    unreadable, or does not fit the pixel mode (then the pixels are taken as sRGB)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").lower().replace(" ", "")
        if "srgb" in description:
            return None
        # NOCACHE: lcms's one-pixel cache is not safe when threads share a transform.
        return ImageCms.buildTransform(
            profile,
            _srgb_profile(),
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            flags=ImageCms.Flags.NOCACHE,
        )
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None


def _flatten(im: Image.Image) -> Image.Image:
    """Any mode -> RGB, L or CMYK (the modes an ICC transform takes); alpha onto white."""
    mode = im.mode
    if mode in ("RGB", "L", "CMYK") and "transparency" not in im.info:
        return im
    if mode.startswith("I;16") or mode == "I":
        im = im.convert("I") if mode != "I" else im
        return im.point(lambda v: v * (1 / 256)).convert("L")  # 16 -> 8 bits, not clipped
    if mode == "1":
        return im.convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGB", im.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")  # P, YCbCr, LAB, HSV, F...


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB. `im` belongs to the caller's pipeline: an RGB one is converted in place."""
    transform = _srgb_transform(icc, im.mode) if icc else None
    if transform is not None:
        try:
            if im.mode == "RGB":
                ImageCms.applyTransform(im, transform, inPlace=True)
                return im
            return ImageCms.applyTransform(im, transform)  # type: ignore[return-value]  # None only in place
        except (OSError, ValueError, ImageCms.PyCMSError):
            transform = None  # fall back to a plain conversion
    return im if im.mode == "RGB" else im.convert("RGB")


def _jpeg(im: Image.Image, quality: int, *, optimize: bool, progressive: bool = False) -> bytes:
    """A JPEG with no metadata at all."""
    im.info.clear()  # nothing from the source (exif, icc_profile, xmp, comment) rides along
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=optimize, progressive=progressive)
    return buf.getvalue()


_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    RuntimeError,  # libheif errors
    ZeroDivisionError,
    MemoryError,
    AssertionError,
)


def process_photo(
    path: Path,
    *,
    sha256: str,
    byte_size: int,
    max_pixels: int = 40_000_000,
    time_zone: str = "Asia/Shanghai",
    deadline: Deadline = NO_DEADLINE,
    now: datetime | None = None,
) -> ProcessedPhoto:
    """Check and process one photo file. Raises UnsupportedPhoto, TooManyPixels, BrokenPhoto or
    PhotoTooSlow (`deadline` passed between two stages of the work).

    `taken_at` comes from EXIF DateTimeOriginal, else DateTimeDigitized, else IFD0 DateTime (some
    phones, e.g. the Nokia HEIF samples, write only that), with the matching OffsetTime* tag if
    present, else read as wall-clock time in `time_zone`; times before 1990 or more than a day
    after `now` (default: the clock) are unknown. GPS (0, 0) counts as "no fix"."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone flipped Pillow's global switch
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    data = Path(path).read_bytes()
    kind, label = _sniff(data[:64])
    if kind is None:
        if label:
            message = _(
                "%(kind)s files are not accepted. Please choose a photo (%(accepted)s).",
                kind=label,
                accepted=ACCEPTED,
            )
        else:
            message = _(
                "This file is not a photo we can read. Please choose a photo (%(accepted)s).",
                accepted=ACCEPTED,
            )
        raise UnsupportedPhoto(message)
    tz = ZoneInfo(time_zone)
    content_type = _heif_content_type(data) if kind == "HEIF" else _CONTENT_TYPES[kind]
    _check_structure(kind, data)
    deadline.check()
    try:
        with Image.open(io.BytesIO(data), formats=_PIL_FORMATS[kind]) as im:
            if im.format not in _OPENED_AS[kind]:
                raise _broken(f"opened as {im.format}")
            return _process_open_image(
                im,
                max_pixels=max_pixels,
                tz=tz,
                sha256=sha256,
                byte_size=byte_size,
                content_type=content_type,
                deadline=deadline,
                now=now,
            )
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(None, max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise _broken("Pillow could not identify it") from exc
    except _DECODE_ERRORS as exc:
        raise _broken(f"{type(exc).__name__}: {exc}") from exc


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> TooManyPixels:
    limit = f"{max_pixels / 1_000_000:g}"
    if size:
        return TooManyPixels(
            _(
                "This photo has too many pixels (%(width)s × %(height)s). "
                "The limit is %(limit)s megapixels.",
                width=size[0],
                height=size[1],
                limit=limit,
            )
        )
    return TooManyPixels(
        _("This photo has too many pixels. The limit is %(limit)s megapixels.", limit=limit)
    )


def _process_open_image(
    im: ImageFile.ImageFile,
    *,
    max_pixels: int,
    tz: ZoneInfo,
    sha256: str,
    byte_size: int,
    content_type: str,
    deadline: Deadline,
    now: datetime | None,
) -> ProcessedPhoto:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise _broken("empty image")
    if width * height > max_pixels:
        raise _too_many_pixels((width, height), max_pixels)
    taken_at, source, lat, lon, orientation = read_metadata(im, tz, now)
    icc = im.info.get("icc_profile") or None
    deadline.check()

    if im.format in ("JPEG", "MPO"):
        target = _fit((width, height), DISPLAY_MAX_SIDE)
        if target != (width, height):
            im.draft(None, target)  # DCT-domain 1/2, 1/4 or 1/8 decode, still >= target
    im.load()  # full decode of the first frame: a truncated or corrupt file raises here
    deadline.check()

    display = _resize(_flatten(im), DISPLAY_MAX_SIDE, DISPLAY_RESAMPLE, DISPLAY_REDUCING_GAP)
    deadline.check()
    display = _to_srgb(display, icc)
    if orientation in _TRANSPOSE:
        display = display.transpose(_TRANSPOSE[orientation])
    thumb = _resize(display, THUMB_MAX_SIDE, THUMB_RESAMPLE, THUMB_REDUCING_GAP)
    deadline.check()
    oriented = (height, width) if orientation >= 5 else (width, height)
    return ProcessedPhoto(
        sha256=sha256,
        content_type=content_type,
        byte_size=byte_size,
        width=oriented[0],
        height=oriented[1],
        taken_at=taken_at,
        gps_latitude=lat,
        gps_longitude=lon,
        display=_jpeg(
            display, DISPLAY_QUALITY, optimize=DISPLAY_OPTIMIZE, progressive=DISPLAY_PROGRESSIVE
        ),
        thumb=_jpeg(thumb, THUMB_QUALITY, optimize=THUMB_OPTIMIZE),
        display_width=display.width,
        display_height=display.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        orientation=orientation,
        taken_at_source=source,
    )
