"""EXIF capture times and GPS that no camera writes: stored as unknown, never a 500.

The finding: DateTimeOriginal 9999:12:31 23:59:59 with OffsetTimeOriginal -12:00 is past the end
of Python's calendar once converted to UTC (OverflowError: a 500). Times outside 1990 .. a day
after the server's clock are unknown (None); so is every malformed date, offset or coordinate.
The photos are made here: Pillow for well-typed tags, a small TIFF writer for any other type."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from inspect_app.photos.pipeline import process_photo
from tests.helpers.data import counts, draft_for, upload

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # a fixed "server clock" for the window tests
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ORIGINAL, OFFSET_ORIGINAL, SUBSEC_ORIGINAL = 0x9003, 0x9011, 0x9291


def jpeg(exif: Image.Exif | bytes | None = None) -> bytes:
    buf = io.BytesIO()
    extra = {} if exif is None else {"exif": exif}  # an empty Exif is falsy: test for None
    Image.new("RGB", (48, 32), (30, 140, 90)).save(buf, "JPEG", **extra)
    return buf.getvalue()


def exif_time(taken, offset=None, subsec=None) -> Image.Exif:
    exif = Image.Exif()
    sub = exif.get_ifd(EXIF_IFD)
    sub[ORIGINAL] = taken
    if offset is not None:
        sub[OFFSET_ORIGINAL] = offset
    if subsec is not None:
        sub[SUBSEC_ORIGINAL] = subsec
    return exif


def processed(tmp_path: Path, data: bytes, now: datetime = NOW):
    path = tmp_path / "p.jpg"
    path.write_bytes(data)
    return process_photo(path, sha256="0" * 64, byte_size=len(data), now=now)


def test_the_reported_photo_is_stored_with_an_unknown_time(client, api_token, world):
    key, headers = draft_for(client, api_token, world)
    r = upload(client, headers, key, jpeg(exif_time("9999:12:31 23:59:59", "-12:00")))
    assert r.status_code == 200, r.text
    assert r.json()["taken_at"] is None
    assert counts(world) == (1, 1)


@pytest.mark.parametrize(
    ("taken", "offset"),
    [
        ("9999:12:31 23:59:59", "-12:00"),  # past datetime.max in UTC
        ("9999:12:31 23:59:59", None),  # read in the office's zone
        ("0001:01:01 00:00:00", "+14:00"),  # before datetime.min in UTC
        ("1989:12:31 23:59:59", "+00:00"),
        ("1970:01:01 00:00:00", None),  # a camera that lost its clock
        ("2026:06:16 05:00:01", "+00:00"),  # more than a day after the server clock
        ("2026:06:17 12:00:00", "+14:00"),  # the same, said in another zone
        ("2024:06:30 23:59:60", None),  # leap second
        ("2024:02:30 10:00:00", None),
        ("２０２４:01:01 10:00:00", None),  # full-width digits
        ("2024:01:01 10:00:00\x00garbage", "+99:99"),  # an offset no zone has: office time
    ],
)
def test_capture_times_outside_the_window_are_unknown(tmp_path, taken, offset):
    result = processed(tmp_path, jpeg(exif_time(taken, offset)))
    expected_kept = taken.startswith("2024:01:01 10:00:00\x00")
    assert (result.taken_at is not None) == expected_kept
    assert result.display and result.thumb


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("1990:01:01 00:00:00", "+00:00", datetime(1990, 1, 1, tzinfo=UTC)),
        ("2026:06:16 04:00:00", "+00:00", NOW + timedelta(days=1)),  # a day ahead: still kept
        ("2026:06:16 11:59:00", "+08:00", datetime(2026, 6, 16, 3, 59, tzinfo=UTC)),
    ],
)
def test_capture_times_inside_the_window_are_kept(tmp_path, taken, offset, expected):
    assert processed(tmp_path, jpeg(exif_time(taken, offset))).taken_at == expected


@pytest.mark.parametrize("subsec", ["²³", "abc", "9" * 5000, "-1", "１２"])
def test_odd_sub_seconds_do_not_matter(tmp_path, subsec):
    result = processed(tmp_path, jpeg(exif_time("2020:05:05 05:05:05", "+00:00", subsec)))
    assert result.taken_at is not None and result.taken_at.replace(microsecond=0) == datetime(
        2020, 5, 5, 5, 5, 5, tzinfo=UTC
    )


# --------------------------------------------------------------------------------------------
# Any tag type: a little-endian TIFF written by hand (Pillow's writer insists on the right types)

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL, DOUBLE = 1, 2, 3, 4, 5, 7, 10, 12


def ascii_(text: bytes) -> tuple[int, int, bytes]:
    return ASCII, len(text) + 1, text + b"\x00"


def rationals(*pairs, kind=RATIONAL) -> tuple[int, int, bytes]:
    fmt = "<II" if kind == RATIONAL else "<ii"
    return kind, len(pairs), b"".join(struct.pack(fmt, *p) for p in pairs)


def raw_exif(exif: dict[int, tuple], gps: dict[int, tuple]) -> bytes:
    """b"Exif\\0\\0" + a TIFF whose IFD0 points at an Exif IFD and a GPS IFD with these entries
    (tag -> (type, count, value bytes)); a count may lie about the bytes that follow."""
    ifds = [{EXIF_IFD: (LONG, 1, b""), GPS_IFD: (LONG, 1, b"")}, exif, gps]
    starts, offset = [], 8
    for ifd in ifds:
        starts.append(offset)
        offset += 2 + 12 * len(ifd) + 4
    ifds[0] = {EXIF_IFD: (LONG, 1, struct.pack("<I", starts[1]))}
    ifds[0][GPS_IFD] = (LONG, 1, struct.pack("<I", starts[2]))
    tables, data = b"", b""
    for ifd in ifds:
        tables += struct.pack("<H", len(ifd))
        for tag in sorted(ifd):
            kind, count, value = ifd[tag]
            if len(value) <= 4:
                field = value.ljust(4, b"\x00")
            else:
                field = struct.pack("<I", offset + len(data))
                data += value + b"\x00" * (len(value) % 2)
            tables += struct.pack("<HHI", tag, kind, count) + field
        tables += struct.pack("<I", 0)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + tables + data


N, E = ascii_(b"N"), ascii_(b"E")
GOOD_LON = rationals((121, 1), (27, 1), (50, 1))


@pytest.mark.parametrize(
    "latitude",
    [
        rationals((31, 0), (13, 1), (40, 1)),  # zero denominator
        rationals((0, 0), (0, 0), (0, 0)),
        rationals((-31, 1), (13, 1), (40, 1), kind=SRATIONAL),  # negative
        rationals((4294967295, 1), (1, 1), (1, 1)),  # beyond 90 degrees
        rationals(*[(1, 1)] * 40),  # too many values
        ascii_(b"31.2278"),  # text where numbers belong
        ascii_(b"\xff\xfe\x00"),
        (UNDEFINED, 8, b"\x00\x01\x02\x03\x04\x05\x06\x07"),
        (DOUBLE, 1, struct.pack("<d", float("inf"))),
        (DOUBLE, 1, struct.pack("<d", float("nan"))),
        (RATIONAL, 3, b""),  # says three rationals, holds none
        (RATIONAL, 0x0FFFFFFF, struct.pack("<I", 0xFFFFFF00)),  # points past the end
        (BYTE, 0, b""),
    ],
)
def test_malformed_gps_is_unknown(tmp_path, latitude):
    data = jpeg(raw_exif({}, {1: N, 2: latitude, 3: E, 4: GOOD_LON}))
    result = processed(tmp_path, data)
    assert result.gps_latitude is None and result.gps_longitude is None
    assert result.display and result.thumb


def test_well_formed_gps_through_the_hand_written_exif(tmp_path):
    lat = rationals((31, 1), (13, 1), (40, 1))
    result = processed(tmp_path, jpeg(raw_exif({}, {1: N, 2: lat, 3: E, 4: GOOD_LON})))
    assert result.gps_latitude == pytest.approx(31.2278, abs=1e-4)
    assert result.gps_longitude == pytest.approx(121.4639, abs=1e-4)
    whole = (SHORT, 3, struct.pack("<HHH", 31, 13, 40))  # numbers of another type still count
    result = processed(tmp_path, jpeg(raw_exif({}, {1: N, 2: whole, 3: E, 4: GOOD_LON})))
    assert result.gps_latitude == pytest.approx(31.2278, abs=1e-4)


@pytest.mark.parametrize(
    ("taken", "offset"),
    [
        ((SHORT, 3, struct.pack("<HHH", 2024, 1, 1)), ascii_(b"+08:00")),  # numbers, not text
        (rationals((2024, 1)), ascii_(b"+08:00")),
        (ascii_(b"9999:12:31 23:59:59"), (SHORT, 1, struct.pack("<H", 12))),
        (ascii_(b"9999:12:31 23:59:59"), ascii_(b"-12:00")),
        (ascii_(b"\xe6\x97\xa5\xe6\x9c\x9f"), ascii_(b"-12:00")),  # UTF-8, not ASCII
        ((ASCII, 0x7FFFFFFF, struct.pack("<I", 0x7FFFFFF0)), ascii_(b"+00:00")),  # past the end
        ((UNDEFINED, 19, b"2024:01:01 10:00:00"), (UNDEFINED, 6, b"-12:00")),
        (ascii_(b"2024:01:01 10:00:00"), ascii_(b"-" + b"9" * 300)),
    ],
)
def test_malformed_capture_times_never_fail_the_photo(tmp_path, taken, offset):
    data = jpeg(raw_exif({ORIGINAL: taken, OFFSET_ORIGINAL: offset}, {}))
    result = processed(tmp_path, data)
    if result.taken_at is not None:
        assert datetime(1990, 1, 1, tzinfo=UTC) <= result.taken_at <= NOW + timedelta(days=1)
    assert result.display and result.thumb


def test_malformed_exif_through_the_api_is_stored_without_metadata(client, api_token, world):
    key, headers = draft_for(client, api_token, world)
    bad = raw_exif(
        {ORIGINAL: ascii_(b"9999:12:31 23:59:59"), OFFSET_ORIGINAL: ascii_(b"-12:00")},
        {1: N, 2: rationals((31, 0), (13, 1), (40, 1)), 3: E, 4: GOOD_LON},
    )
    r = upload(client, headers, key, jpeg(bad))
    assert r.status_code == 200, r.text
    photo = r.json()
    assert photo["taken_at"] is None and photo["gps_latitude"] is None
