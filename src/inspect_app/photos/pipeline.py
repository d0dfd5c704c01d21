"""Turn one uploaded file into a checked photo: metadata for the database and two clean JPEGs.

`process_photo` is a pure function on a file: it reads it, never writes anything, and either
returns a `ProcessedPhoto` or raises a `PhotoRejected` subclass whose message a person understands.

Order of work (cheapest refusal first):
1. sniff the magic bytes: only JPEG, PNG, WebP and HEIC/HEIF get as far as Pillow;
2. for JPEG, walk the marker structure (no decoding) and refuse corrupt entropy-coded data
   that libjpeg would silently patch with grey blocks (bad markers, missing restart intervals);
3. open lazily with Pillow restricted to that one format and refuse by pixel count from the
   header, before a single pixel is decoded;
4. decode once, JPEG at 1/2, 1/4 or 1/8 scale (`Image.draft`) when the display size allows,
   then reduce-then-resize to the display size; the thumbnail is made from the display image;
5. orientation, colour (embedded ICC profile -> sRGB, alpha onto white) are fixed on the small
   image; the derivatives are saved without EXIF, GPS, XMP, ICC or comments.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

from inspect_app.errors import AppError
from inspect_app.i18n import gettext as _

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
# JPEG structure: refuse what libjpeg would "repair" with grey blocks and a warning nobody sees.

# In entropy-coded data 0xFF is followed by 0x00 (stuffing), more 0xFF (fill) or a marker.
_MARKER_IN_SCAN = re.compile(rb"\xff\xff*([^\x00\xff])")
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_LOSSLESS_OR_HIERARCHICAL = {0xC3, 0xC5, 0xC6, 0xC7, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers that may legitimately end a scan: tables, another scan, APPn/COM, DNL, EOI, SOFs.
_AFTER_SCAN = {0xC4, 0xCC, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xFE}
_AFTER_SCAN |= set(range(0xE0, 0xF0)) | _SOF_MARKERS


def _broken(detail: str = "") -> BrokenPhoto:
    message = _("This photo file is damaged or incomplete. Please take or choose it again.")
    exc = BrokenPhoto(message)
    exc.detail = detail  # for logs; not shown to the user
    return exc


def check_jpeg_structure(data: bytes) -> None:
    """Walk the markers of the primary JPEG image without decoding it; raise BrokenPhoto if the
    entropy-coded data is visibly corrupt (an invalid marker inside a scan, restart markers out of
    sequence or too few of them for the image size). Data after the end-of-image marker (MPF
    frames, trailers) is ignored. A file cut short is left for the decoder, which refuses it."""
    n = len(data)
    pos = 2
    frame: tuple[int, int, dict[int, tuple[int, int]], int] | None = None  # X, Y, comps, SOF
    restart_interval = 0
    while pos < n:
        if data[pos] != 0xFF:  # libjpeg skips stray bytes between segments with a warning
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                return
            pos = nxt
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            return
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return
        if marker == 0xD8:
            raise _broken("second SOI")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # parameterless
            continue
        if pos + 2 > n:
            return
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise _broken(f"segment 0x{marker:02X} with length {length}")
        segment = data[pos + 2 : pos + length]
        pos += length
        if marker in _SOF_MARKERS:
            frame = _parse_sof(segment, marker)
        elif marker == 0xDD and len(segment) >= 2:
            restart_interval = int.from_bytes(segment[:2], "big")
        elif marker == 0xDA:
            pos = _check_scan(data, pos, segment, frame, restart_interval)


def _parse_sof(segment: bytes, marker: int) -> tuple[int, int, dict[int, tuple[int, int]], int]:
    if len(segment) < 6:
        raise _broken("short SOF")
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    count = segment[5]
    if width == 0 or count == 0 or len(segment) < 6 + 3 * count:
        raise _broken("bad SOF")
    comps = {}
    for i in range(count):
        cid, sampling = segment[6 + 3 * i], segment[7 + 3 * i]
        h, v = sampling >> 4, sampling & 0x0F
        if not (1 <= h <= 4 and 1 <= v <= 4):
            raise _broken("bad sampling factors")
        comps[cid] = (h, v)
    return width, height, comps, marker


def _mcus_in_scan(frame, scan_ids: list[int]) -> int | None:
    """How many MCUs a scan holds (ITU T.81 A.2), or None when we cannot tell."""
    if frame is None:
        return None
    width, height, comps, marker = frame
    if height == 0 or marker in _LOSSLESS_OR_HIERARCHICAL or not scan_ids:
        return None  # height defined later by DNL, or a coding mode we do not check
    if any(cid not in comps for cid in scan_ids):
        raise _broken("scan names an unknown component")
    hmax = max(h for h, _v in comps.values())
    vmax = max(v for _h, v in comps.values())
    if len(scan_ids) == 1:  # non-interleaved: one block per MCU
        h, v = comps[scan_ids[0]]
        cols = math.ceil(math.ceil(width * h / hmax) / 8)
        rows = math.ceil(math.ceil(height * v / vmax) / 8)
        return cols * rows
    return math.ceil(width / (8 * hmax)) * math.ceil(height / (8 * vmax))


def _check_scan(data: bytes, pos: int, header: bytes, frame, restart_interval: int) -> int:
    """Skip one scan's entropy-coded data starting at pos; return the position of the marker
    that ends it. Raises BrokenPhoto on corruption."""
    if not header:
        raise _broken("empty SOS")
    count = header[0]
    scan_ids = [header[1 + 2 * i] for i in range(count) if 1 + 2 * i < len(header)]
    restarts = 0
    for match in _MARKER_IN_SCAN.finditer(data, pos):
        marker = match.group(1)[0]
        if 0xD0 <= marker <= 0xD7:
            if marker != 0xD0 + restarts % 8:
                raise _broken(f"RST{marker - 0xD0} out of sequence")
            restarts += 1
            continue
        if marker not in _AFTER_SCAN:
            raise _broken(f"marker 0x{marker:02X} inside image data")
        if restart_interval:
            mcus = _mcus_in_scan(frame, scan_ids)
            if mcus is not None:
                expected = math.ceil(mcus / restart_interval) - 1
                # libjpeg tolerates one stray RST at the very end; fewer means lost data.
                if not expected <= restarts <= expected + 1:
                    raise _broken(f"{restarts} restart markers, expected {expected}")
        return match.start()
    return len(data)  # cut short: the decoder will say "truncated"


# --------------------------------------------------------------------------------------------
# Metadata


_DATE_RE = re.compile(r"^\s*(\d{4})[:\-](\d\d)[:\-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d\d):?(\d\d)\s*$")
# (datetime tag, sub-second tag, offset tag, which IFD) in order of preference.
_TIME_TAGS = (
    ("DateTimeOriginal", 0x9003, 0x9291, 0x9011, "exif"),
    ("DateTimeDigitized", 0x9004, 0x9292, 0x9012, "exif"),
    ("DateTime", 0x0132, 0x9290, 0x9010, "ifd0"),
)


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 \t\r\n") if value is not None else ""


def _parse_exif_time(value, subsec, offset, tz: ZoneInfo) -> datetime | None:
    match = _DATE_RE.match(_text(value))
    if not match:
        return None
    try:
        local = datetime(*(int(g) for g in match.groups()))
    except ValueError:  # 0000:00:00 00:00:00 and friends
        return None
    if local.year < 1970:
        return None
    digits = re.sub(r"\D", "", _text(subsec))[:6]
    if digits:
        local = local.replace(microsecond=int(digits.ljust(6, "0")))
    off = _OFFSET_RE.match(_text(offset))
    if off:
        sign, hours, minutes = off.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            aware = local.replace(tzinfo=timezone(-delta if sign == "-" else delta))
            return aware.astimezone(UTC)
    return local.replace(tzinfo=tz).astimezone(UTC)


def _gps_coordinate(value, ref, negative: str, limit: float) -> float | None:
    try:
        parts = [float(v) for v in (value if isinstance(value, tuple | list) else (value,))]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if degrees > limit:
        return None
    if _text(ref).upper().startswith(negative):
        degrees = -degrees
    return round(degrees, 7)


def read_metadata(
    im: Image.Image, tz: ZoneInfo
) -> tuple[datetime | None, str | None, float | None, float | None, int]:
    """(taken_at UTC, its source tag, latitude, longitude, orientation). Never raises: a photo
    with unreadable metadata is still a photo."""
    try:
        exif = im.getexif()
    except Exception:  # malformed EXIF must not reject the photo
        return None, None, None, None, 1
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    try:
        ifds = {"ifd0": exif, "exif": exif.get_ifd(ExifTags.IFD.Exif)}
    except Exception:
        ifds = {"ifd0": exif, "exif": {}}
    taken_at = source = None
    for name, tag, subsec, offset, where in _TIME_TAGS:
        ifd = ifds[where]
        if tag in ifd:
            sub_ifd = ifds["exif"]
            taken_at = _parse_exif_time(ifd[tag], sub_ifd.get(subsec), sub_ifd.get(offset), tz)
            if taken_at is not None:
                source = name
                break
    lat = lon = None
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps = {}
    if gps:
        lat = _gps_coordinate(gps.get(2), gps.get(1), "S", 90.0)
        lon = _gps_coordinate(gps.get(4), gps.get(3), "W", 180.0)
        if lat is None or lon is None or (lat == 0.0 and lon == 0.0):  # 0,0 = no fix
            lat = lon = None
    return taken_at, source, lat, lon, orientation


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
            profile, _srgb_profile(), mode, "RGB", renderingIntent=0, flags=ImageCms.Flags.NOCACHE
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
            return ImageCms.applyTransform(im, transform)
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
) -> ProcessedPhoto:
    """Check and process one photo file. Raises UnsupportedPhoto, TooManyPixels or BrokenPhoto.

    `taken_at` comes from EXIF DateTimeOriginal, else DateTimeDigitized, else IFD0 DateTime (some
    phones, e.g. the Nokia HEIF samples, write only that), with the matching OffsetTime* tag if
    present, else read as wall-clock time in `time_zone`. GPS (0, 0) counts as "no fix"."""
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
    if kind == "JPEG":
        check_jpeg_structure(data)
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
) -> ProcessedPhoto:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise _broken("empty image")
    if width * height > max_pixels:
        raise _too_many_pixels((width, height), max_pixels)
    taken_at, source, lat, lon, orientation = read_metadata(im, tz)
    icc = im.info.get("icc_profile") or None

    if im.format in ("JPEG", "MPO"):
        target = _fit((width, height), DISPLAY_MAX_SIDE)
        if target != (width, height):
            im.draft(None, target)  # DCT-domain 1/2, 1/4 or 1/8 decode, still >= target
    im.load()  # full decode of the first frame: a truncated or corrupt file raises here

    display = _resize(_flatten(im), DISPLAY_MAX_SIDE, DISPLAY_RESAMPLE, DISPLAY_REDUCING_GAP)
    display = _to_srgb(display, icc)
    if orientation in _TRANSPOSE:
        display = display.transpose(_TRANSPOSE[orientation])
    thumb = _resize(display, THUMB_MAX_SIDE, THUMB_RESAMPLE, THUMB_REDUCING_GAP)
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
