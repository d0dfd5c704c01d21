"""The structure of JPEG and PNG files, walked without decoding, in time linear in the file.

JPEG: refuse what libjpeg would "repair" with grey blocks and a warning nobody sees (invalid
markers inside a scan, restart markers lost or out of order), and more segments, scans or junk
between segments than any photo has (each costs Python work in Pillow's parser, each scan a
pass of libjpeg over the whole image). PNG: more chunks than any encoder writes. Every search is
done by C code over the bytes (`bytes.find`, `bytes.count`, fixed-length regexes); no regex here
can backtrack and no Python loop runs per byte. Raises `Malformed` with what is wrong.
"""

from __future__ import annotations

import math
import re


class Malformed(ValueError):
    """The file's structure is not one a photo has; the message says where, for logs."""


# In entropy-coded data 0xFF is followed by 0x00 (stuffing), more 0xFF (fill) or a marker. Every
# pattern here is one fixed-length step from a literal 0xFF, so a search is linear in the data:
# `\xff\xff*([^\x00\xff])` (a fill run, then the marker) retried the whole run from each of its
# bytes and took 11 s on 48 KB of 0xFF ending in 0x00 (quadratic).
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")  # the last fill byte, then a marker
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")
_FILL = re.compile(rb"\xff*")
_RESTARTS = tuple(bytes((0xFF, 0xD0 + i)) for i in range(8))
_RESTART_CYCLE = b"".join(_RESTARTS)
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_LOSSLESS_OR_HIERARCHICAL = {0xC3, 0xC5, 0xC6, 0xC7, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers that may legitimately end a scan: tables, another scan, APPn/COM, DNL, EOI, SOFs.
_AFTER_SCAN = {0xC4, 0xCC, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xFE}
_AFTER_SCAN |= set(range(0xE0, 0xF0)) | _SOF_MARKERS
# Phone photos hold under 10 segments and 1 scan; progressive encoders write about 10 scans.
# libjpeg decodes every scan over the whole image (7 ms each at 12 MP here: 1,000 scans of 26
# bytes took 6.8 s), and Pillow's header parser costs Python work per segment and per byte of
# fill or junk between segments (0.4 s per MB), so all three are capped far above real photos.
MAX_SEGMENTS = 1000
MAX_SCANS = 50
MAX_GAP_BYTES = 64 * 1024


def check_jpeg(data: bytes) -> None:
    """Walk the markers of the primary JPEG image without decoding it; raise Malformed if the
    entropy-coded data is visibly corrupt (an invalid marker inside a scan, restart markers out of
    sequence or too few of them for the image size) or has more segments, scans or bytes between
    segments than a photo.
    Data after the end-of-image marker (MPF frames, trailers) is ignored. A file cut short is left
    for the decoder, which refuses it. Linear in the size of the file."""
    n = len(data)
    pos = 2
    frame: tuple[int, int, dict[int, tuple[int, int]], int] | None = None  # X, Y, comps, SOF
    restart_interval = segments = scans = gap = 0
    while pos < n:
        if data[pos] != 0xFF:  # libjpeg skips stray bytes between segments with a warning
            nxt = data.find(b"\xff", pos)
            nxt = n if nxt < 0 else nxt
            gap += nxt - pos
            pos = nxt
        fill_end = _FILL.match(data, pos).end()  # type: ignore[union-attr]  # \xff* always matches
        gap += max(0, fill_end - pos - 1)  # 0xFF fill before a marker's own 0xFF
        pos = fill_end
        if gap > MAX_GAP_BYTES:
            raise Malformed(f"more than {MAX_GAP_BYTES} bytes between segments")
        if pos >= n:
            return
        marker = data[pos]
        pos += 1
        if marker == 0x00:  # 0xFF 0x00 outside a scan: junk to libjpeg too
            gap += 2
            continue
        if marker == 0xD9:  # EOI
            return
        if marker == 0xD8:
            raise Malformed("second SOI")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # parameterless
            continue
        segments += 1
        if segments > MAX_SEGMENTS:
            raise Malformed(f"more than {MAX_SEGMENTS} segments")
        if pos + 2 > n:
            return
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise Malformed(f"segment 0x{marker:02X} with length {length}")
        segment = data[pos + 2 : pos + length]
        pos += length
        if marker in _SOF_MARKERS:
            frame = _parse_sof(segment, marker)
        elif marker == 0xDD and len(segment) >= 2:
            restart_interval = int.from_bytes(segment[:2], "big")
        elif marker == 0xDA:
            scans += 1
            if scans > MAX_SCANS:
                raise Malformed(f"more than {MAX_SCANS} scans")
            pos = _check_scan(data, pos, segment, frame, restart_interval)


def _parse_sof(segment: bytes, marker: int) -> tuple[int, int, dict[int, tuple[int, int]], int]:
    if len(segment) < 6:
        raise Malformed("short SOF")
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    count = segment[5]
    if width == 0 or count == 0 or len(segment) < 6 + 3 * count:
        raise Malformed("bad SOF")
    comps = {}
    for i in range(count):
        cid, sampling = segment[6 + 3 * i], segment[7 + 3 * i]
        h, v = sampling >> 4, sampling & 0x0F
        if not (1 <= h <= 4 and 1 <= v <= 4):
            raise Malformed("bad sampling factors")
        comps[cid] = (h, v)
    return width, height, comps, marker


def _mcus_in_scan(frame, scan_ids: list[int]) -> int | None:
    """How many MCUs a scan holds (ITU T.81 A.2), or None when we cannot tell."""
    width, height, comps, marker = frame
    if height == 0 or marker in _LOSSLESS_OR_HIERARCHICAL or not scan_ids:
        return None  # height defined later by DNL, or a coding mode we do not check
    if any(cid not in comps for cid in scan_ids):
        raise Malformed("scan names an unknown component")
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
    that ends it. Raises Malformed on corruption. Searches in C, no Python loop per byte or
    per restart marker: the end of the scan, then the restart markers before it."""
    if not header:
        raise Malformed("empty SOS")
    if frame is None:
        raise Malformed("scan before frame header")  # libjpeg refuses it too
    scan_ids = [header[1 + 2 * i] for i in range(header[0]) if 1 + 2 * i < len(header)]
    found = _END_OF_SCAN.search(data, pos)
    if found is None:
        return len(data)  # cut short: the decoder will say "truncated"
    end, marker = found.start(), data[found.start() + 1]
    if marker not in _AFTER_SCAN:
        raise Malformed(f"marker 0x{marker:02X} inside image data")
    restarts = 0
    if _RESTART.search(data, pos, end):  # most photos have none: one quick pass
        restarts = sum(data.count(rst, pos, end) for rst in _RESTARTS)  # no copies, no objects
    if restarts and not restart_interval:
        raise Malformed("restart marker without a restart interval")
    if restart_interval:
        mcus = _mcus_in_scan(frame, scan_ids)
        if mcus is not None:
            expected = math.ceil(mcus / restart_interval) - 1
            # libjpeg tolerates one stray RST at the very end; fewer means lost data.
            if not expected <= restarts <= expected + 1:
                raise Malformed(f"{restarts} restart markers, expected {expected}")
    if restarts:
        _check_restart_order(data, pos, end)
    return end


def _check_restart_order(data: bytes, start: int, end: int) -> None:
    """Malformed unless the restart markers in data[start:end] run RST0, RST1.. RST7, RST0...
    Searched window by window, so memory stays small however many there are."""
    count = 0
    while start < end:
        stop = min(start + 65536, end)
        if data[stop - 1] == 0xFF and stop < end:
            stop += 1  # keep a marker whole
        found = b"".join(_RESTART.findall(data, start, stop))
        first = 2 * (count % 8)
        expected = (_RESTART_CYCLE * (len(found) // 16 + 2))[first : first + len(found)]
        if found != expected:
            raise Malformed("restart markers out of sequence")
        count += len(found) // 2
        start = stop


# Pillow's PNG reader handles each chunk in Python (about 2.5 us a chunk: 20 MB of empty chunks
# would hold a worker 4 s). Encoders write a few metadata chunks and image data in chunks of
# 8 KB or more; 1,000 chunks plus one per KB of file is far above any of them.
MAX_PNG_CHUNKS = 1000


def check_png(data: bytes) -> None:
    """Count the chunks (reading only their headers); Malformed if there are more than a photo
    has. A file cut short is left for the decoder, which refuses it."""
    limit = MAX_PNG_CHUNKS + len(data) // 1024
    pos, chunks = 8, 0  # after the signature
    while pos + 8 <= len(data):
        chunks += 1
        if chunks > limit:
            raise Malformed(f"more than {limit} PNG chunks")
        if data[pos + 4 : pos + 8] == b"IEND":
            return
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")


CHECKS = {"JPEG": check_jpeg, "PNG": check_png}
