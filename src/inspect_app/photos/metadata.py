"""Capture time and GPS from EXIF, bounded and forgiving: a photo with unreadable, malformed or
absurd metadata is still a photo, stored with that metadata unknown (None)."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image

T = TypeVar("T")


_DATE_RE = re.compile(r"^\s*(\d{4})[:\-](\d\d)[:\-](\d\d)[ T](\d\d):(\d\d):(\d\d)", re.ASCII)
_OFFSET_RE = re.compile(r"^\s*([+-])(\d\d):?(\d\d)\s*$", re.ASCII)
_NOT_DIGIT = re.compile(r"[^0-9]+")
# A capture time outside these bounds is a wrong camera clock or a crafted file: stored as
# unknown. (9999:12:31 23:59:59 at -12:00 is past the end of Python's calendar in UTC: a 500.)
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)
CAPTURE_CLOCK_AHEAD = timedelta(days=1)  # how far a camera's clock may run ahead of ours
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


def _parse_exif_time(value, subsec, offset, tz: ZoneInfo, now: datetime) -> datetime | None:
    """UTC, or None unless the time is a real date between EARLIEST_CAPTURE and a day after
    `now`. The wall-clock time is checked before any time-zone arithmetic, which cannot then
    overflow; the result is checked again."""
    match = _DATE_RE.match(_text(value))
    if not match:
        return None
    try:
        local = datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type]  # six groups
    except ValueError:  # 0000:00:00 00:00:00 and friends
        return None
    latest = now.astimezone(UTC) + CAPTURE_CLOCK_AHEAD
    margin = timedelta(days=1)  # no UTC offset is larger
    if not EARLIEST_CAPTURE - margin <= local.replace(tzinfo=UTC) <= latest + margin:
        return None
    digits = _NOT_DIGIT.sub("", _text(subsec))[:6]
    if digits:
        local = local.replace(microsecond=int(digits.ljust(6, "0")))
    off = _OFFSET_RE.match(_text(offset))
    if off:
        sign, hours, minutes = off.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            aware = local.replace(tzinfo=timezone(-delta if sign == "-" else delta))
            return _within(aware.astimezone(UTC), latest)
    return _within(local.replace(tzinfo=tz).astimezone(UTC), latest)


def _within(moment: datetime, latest: datetime) -> datetime | None:
    return moment if EARLIEST_CAPTURE <= moment <= latest else None


def _gps_coordinate(value, ref, negative: str, limit: float) -> float | None:
    values = value if isinstance(value, tuple | list) else (value,)
    if not all(isinstance(v, numbers.Real) for v in values):  # text where rationals belong
        return None
    try:
        parts = [float(v) for v in values]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not parts or len(parts) > 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if degrees > limit:
        return None
    if _text(ref).upper().startswith(negative):
        degrees = -degrees
    return round(degrees, 7)


def _time_from(ifds, tag, subsec, offset, where, tz, now) -> datetime | None:
    """One of _TIME_TAGS, with its sub-second and offset tags from the Exif IFD."""
    if tag not in ifds[where]:
        return None
    exif = ifds["exif"]
    return _parse_exif_time(ifds[where][tag], exif.get(subsec), exif.get(offset), tz, now)


def _or_none(parse: Callable[..., T], *args) -> T | None:
    """parse(*args), or None when the values are of a kind no parser here expects (a tuple for
    a date, a string for a rational...): metadata is optional, the photo is not refused."""
    try:
        return parse(*args)
    except Exception:
        return None


def read_metadata(
    im: Image.Image, tz: ZoneInfo, now: datetime | None = None
) -> tuple[datetime | None, str | None, float | None, float | None, int]:
    """(taken_at UTC, its source tag, latitude, longitude, orientation). Never raises: a photo
    with unreadable metadata is still a photo. `now` (default: the clock) bounds taken_at."""
    now = now or datetime.now(UTC)
    try:
        exif = im.getexif()
    except Exception:  # malformed EXIF must not reject the photo
        return None, None, None, None, 1
    orientation = _or_none(exif.get, ExifTags.Base.Orientation, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    try:
        ifds = {"ifd0": exif, "exif": exif.get_ifd(ExifTags.IFD.Exif)}
    except Exception:
        ifds = {"ifd0": exif, "exif": {}}
    taken_at = source = None
    for name, *tags in _TIME_TAGS:
        taken_at = _or_none(_time_from, ifds, *tags, tz, now)
        if taken_at is not None:
            source = name
            break
    lat = lon = None
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        gps = {}
    if gps:
        lat = _or_none(_gps_coordinate, gps.get(2), gps.get(1), "S", 90.0)
        lon = _or_none(_gps_coordinate, gps.get(4), gps.get(3), "W", 180.0)
        if lat is None or lon is None or (lat == 0.0 and lon == 0.0):  # 0,0 = no fix
            lat = lon = None
    return taken_at, source, lat, lon, orientation
