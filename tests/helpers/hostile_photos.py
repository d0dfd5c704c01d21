"""Crafted photo files that attack the parsers rather than please the eye; used by the tests and by
benchmarks/photo_processing.py --hostile. Each builder returns `size` bytes (or close to it)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

from PIL import Image

MB = 1024 * 1024


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(size=(16, 16), **params) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, "JPEG", **params)
    return buf.getvalue()


def jpeg_through_sos(**params) -> bytes:
    """A valid JPEG cut right after its (first) start-of-scan header: what a scanner meets."""
    data = _jpeg(**params)
    sos = data.index(b"\xff\xda")
    return data[: sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")]


def ff_run_then_zero(size: int = MB) -> bytes:
    """The finding: a JPEG header, then 0xFF fill to the end but for a last 0x00 (11 s at 48 KB
    with the old regex, hours at 1 MB)."""
    head = jpeg_through_sos()
    return head + b"\xff" * (size - len(head) - 1) + b"\x00"


def ff_run_before_any_segment(size: int = MB) -> bytes:
    """Start-of-image, then 0xFF fill and a 0x00 where the next marker should be."""
    return b"\xff\xd8" + b"\xff" * (size - 3) + b"\x00"


def ff_zero_pairs(size: int = MB) -> bytes:
    """A scan made only of stuffed 0xFF 0x00 pairs and fill runs, never ending."""
    head = jpeg_through_sos()
    body = (b"\xff\x00" + b"\xff" * 61 + b"\x00") * ((size - len(head)) // 64 + 1)
    return head + body[: size - len(head)]


def many_markers(size: int = MB) -> bytes:
    """Start-of-image followed by a quarter of a million empty APP0 segments."""
    empty = b"\xff\xe0\x00\x02"
    return b"\xff\xd8" + empty * ((size - 2) // 4)


def nested_images(size: int = MB) -> bytes:
    """A JPEG whose header repeats start-of-image markers and whole JPEGs in comments, nested
    the way a recursive parser would follow them."""
    inner = _jpeg()
    nested = inner
    while len(nested) < 60_000:
        nested = _segment(0xFE, nested[:65_000])
    out = bytearray(b"\xff\xd8")
    while len(out) < size - 70_000:
        out += nested if len(nested) < 65_533 else _segment(0xFE, nested[:65_000])
    out += b"\xff\xd8" * ((size - len(out)) // 2)
    return bytes(out)


def many_scans(size: int = MB, *, pixels: tuple[int, int] = (4000, 3000)) -> bytes:
    """A progressive JPEG for `pixels` whose smallest scan (26 bytes) is repeated to the end:
    libjpeg would decode each copy over the whole image (7 ms each at 12 MP: minutes per MB)."""
    data = _jpeg(pixels, progressive=True, quality=1)
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xda"]
    ends = [*starts[1:], data.rindex(b"\xff\xd9")]
    scans = [data[a:b] for a, b in zip(starts, ends, strict=True)]
    smallest = min(scans[1:], key=len)
    head = data[: ends[0]]  # the tables, the frame and the first (DC) scan
    return head + smallest * ((size - len(head) - 2) // len(smallest)) + b"\xff\xd9"


def many_restarts(size: int = MB) -> bytes:
    """A JPEG with a restart interval whose scan holds nothing but restart markers, in order."""
    head = jpeg_through_sos()
    dri = _segment(0xDD, struct.pack(">H", 1))
    cycle = bytes(b for i in range(8) for b in (0xFF, 0xD0 + i))
    body = cycle * ((size - len(head) - 8) // 16)
    return head[:2] + dri + head[2:] + body + b"\xff\xd9"


def truncated_segments(size: int = MB) -> bytes:
    """Many whole segments, then one that says it is longer than the rest of the file."""
    out = bytearray(b"\xff\xd8")
    while len(out) < size - 66_000:
        out += _segment(0xE5, b"\xff" * 4000)
    out += b"\xff\xdb\xff\xff" + b"\x00" * (size - len(out) - 4)
    return bytes(out)


def huge_segment_lengths(size: int = MB) -> bytes:
    """Segments of the largest length there is, full of bytes that look like markers, no frame."""
    payload = (b"\xff\xda\xff\xff\xff\x00\xff\xd8" * 8192)[:65_533]
    out = bytearray(b"\xff\xd8")
    while len(out) + 65_537 <= size:
        out += _segment(0xE1, payload)
    return bytes(out + b"\xff\xfe\xff\xff" + b"\xff" * (size - len(out) - 4))


def png_many_chunks(size: int = MB) -> bytes:
    """A PNG header and tens of thousands of tiny ancillary chunks before any image data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
    tiny = chunk(b"teXt", b"k\x00v")
    idat = chunk(b"IDAT", zlib.compress(b"\x00" + b"\x00" * 192)) + chunk(b"IEND", b"")
    return head + tiny * ((size - len(head) - len(idat)) // len(tiny)) + idat


HOSTILE: dict[str, Callable[..., bytes]] = {
    "0xFF run then 0x00 in a scan": ff_run_then_zero,
    "0xFF run before any segment": ff_run_before_any_segment,
    "many markers": many_markers,
    "nested images": nested_images,
    "many progressive scans": many_scans,
    "many restart markers": many_restarts,
    "truncated segments": truncated_segments,
    "huge segment lengths": huge_segment_lengths,
    "PNG with many chunks": png_many_chunks,
}
# Garbage a decoder reads as a (tiny) picture: it may be taken, but as quickly as the others.
BOUNDED = {**HOSTILE, "stuffed 0xFF 0x00 pairs": ff_zero_pairs}
