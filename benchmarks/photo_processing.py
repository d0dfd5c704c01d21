"""Server-side photo processing: process_photo vs a naive Pillow pipeline, on the real photos.

For every real photo (jpg/mobile, jpg/gps, jpg/orientation, heic/mobile, no_exif.jpg) both
pipelines run --repeat times, interleaved (alternating which goes first) in the same process, so
machine load hits both alike. Prints median and p95 milliseconds per file, per group and overall,
the speedup (naive median / ours median), and the figures for the largest photos.

naive = Image.open, full-resolution load, ImageOps.exif_transpose, convert("RGB"), resize to
        1600 and to 320 from the full image with LANCZOS, save both as JPEG (same qualities).
ours  = process_photo: sniff + JPEG structure check, header pixel cap, JPEG draft (DCT-scaled)
        decode, reduce-then-resize, ICC -> sRGB, orientation on the small image, thumbnail from
        the display image, Huffman-optimised baseline JPEGs, EXIF time and GPS read.

An extra section times the same two pipelines on 2048 px versions of the phone photos (made in
a temporary directory with their EXIF kept): that is what the server receives from phones that
ran static/js/photo-shrink.js first. Draft decoding cannot help there (2048 / 1600 < 2).

    .venv/bin/python benchmarks/photo_processing.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import PIL
from PIL import Image, ImageOps, features

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from inspect_app.photos.pipeline import (  # noqa: E402
    DISPLAY_MAX_SIDE,
    DISPLAY_QUALITY,
    THUMB_MAX_SIDE,
    THUMB_QUALITY,
    process_photo,
)

PHOTOS = ROOT.parent / "shared" / "photos"


def photo_set() -> list[Path]:
    files = [
        *sorted(PHOTOS.glob("jpg/mobile/*.jpg")),
        *sorted(PHOTOS.glob("jpg/gps/*.jpg")),
        *sorted(PHOTOS.glob("jpg/orientation/*.jpg")),
        PHOTOS / "jpg" / "no_exif.jpg",
        *sorted(PHOTOS.glob("heic/mobile/*")),
    ]
    return [f for f in files if f.is_file()]


def naive(path: Path) -> tuple[bytes, bytes]:
    with Image.open(path) as im:
        im.load()
        upright = ImageOps.exif_transpose(im).convert("RGB")
    out = []
    for side, quality in ((DISPLAY_MAX_SIDE, DISPLAY_QUALITY), (THUMB_MAX_SIDE, THUMB_QUALITY)):
        scale = min(1.0, side / max(upright.size))
        size = (max(1, round(upright.width * scale)), max(1, round(upright.height * scale)))
        resized = upright.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        resized.save(buf, "JPEG", quality=quality)
        out.append(buf.getvalue())
    return out[0], out[1]


def ours(path: Path, digest: str, size: int):
    return process_photo(path, sha256=digest, byte_size=size)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def group_of(path: Path) -> str:
    rel = path.relative_to(PHOTOS)
    return "heic/mobile" if rel.parts[0] == "heic" else "/".join(rel.parts[:2]).replace(".jpg", "")


def shrunk_copies(files: list[Path], directory: Path) -> list[Path]:
    """2048 px JPEG copies (quality 85, EXIF kept) of the phone photos, like photo-shrink.js
    (HEIC ones as iOS hands them to a file input: converted to JPEG, then shrunk)."""
    out = []
    for f in files:
        with Image.open(f) as im:
            if max(im.size) <= 2048:
                continue
            exif = im.info.get("exif", b"")
            im.draft("RGB", (2048, 2048))
            small = im.convert("RGB")
            small.thumbnail((2048, 2048), Image.Resampling.LANCZOS)
        target = directory / f"{f.parent.parent.name}-{f.stem}-2048.jpg"  # jpg-… / heic-…
        small.save(target, "JPEG", quality=85, exif=exif)
        out.append(target)
    return out


def measure(files: list[Path], repeat: int) -> tuple[dict, dict]:
    meta = {}
    for f in files:
        data = f.read_bytes()
        with Image.open(f) as im:
            meta[f] = (hashlib.sha256(data).hexdigest(), len(data), im.size, im.format)
        ours(f, meta[f][0], meta[f][1])  # warm up plugins, caches, page cache
        naive(f)
    times: dict[Path, dict[str, list[float]]] = {f: {"ours": [], "naive": []} for f in files}
    for run in range(repeat):
        for f in files:
            digest, size, _dims, _fmt = meta[f]
            order = ("ours", "naive") if run % 2 == 0 else ("naive", "ours")
            for which in order:
                if which == "ours":
                    times[f]["ours"].append(timed(ours, f, digest, size))
                else:
                    times[f]["naive"].append(timed(naive, f))
    return meta, times


def row(label: str, o: list[float], n: list[float]) -> str:
    return (
        f"{label:<55} | {statistics.median(o):>8.1f} {p95(o):>7.1f} | "
        f"{statistics.median(n):>9.1f} {p95(n):>7.1f} | "
        f"{statistics.median(n) / statistics.median(o):>6.1f}x"
    )


def table(files: list[Path], meta: dict, times: dict, base: Path) -> None:
    head = (
        f"{'photo':<38} {'pixels':>10} {'MP':>5} | {'ours med':>8} {'p95':>7} | "
        f"{'naive med':>9} {'p95':>7} | {'speedup':>7}"
    )
    print(head)
    print("-" * len(head))
    for f in files:
        w, h = meta[f][2]
        label = f"{f.relative_to(base).as_posix():<38} {f'{w}x{h}':>10} {w * h / 1e6:>5.1f}"
        print(row(label, times[f]["ours"], times[f]["naive"]))
    print("-" * len(head))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    files = photo_set()
    if not files:
        print(f"no photos under {PHOTOS}")
        return 1
    print(
        f"Pillow {PIL.__version__} (libjpeg-turbo {features.version('libjpeg_turbo')}), "
        f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}, "
        f"{args.repeat} runs per photo per pipeline"
    )
    meta, times = measure(files, args.repeat)
    table(files, meta, times, PHOTOS)
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(group_of(f), []).append(f)
    groups["all JPEG"] = [f for f in files if meta[f][3] in ("JPEG", "MPO")]
    groups["all"] = files
    for name, members in groups.items():
        o = [t for f in members for t in times[f]["ours"]]
        n = [t for f in members for t in times[f]["naive"]]
        print(row(f"{name} ({len(members)} photos)", o, n))
    print()
    jpegs = [f for f in files if meta[f][3] in ("JPEG", "MPO")]
    heifs = [f for f in files if meta[f][3] == "HEIF"]
    for label, pool in (("largest JPEG", jpegs), ("largest HEIF", heifs)):
        if not pool:
            continue
        big = max(pool, key=lambda f: meta[f][2][0] * meta[f][2][1])
        w, h = meta[big][2]
        o, n = times[big]["ours"], times[big]["naive"]
        print(
            f"{label}: {big.relative_to(PHOTOS)} ({w}x{h}, {w * h / 1e6:.1f} MP): "
            f"ours {statistics.median(o):.0f} ms (p95 {p95(o):.0f}), "
            f"naive {statistics.median(n):.0f} ms (p95 {p95(n):.0f}), "
            f"{statistics.median(n) / statistics.median(o):.1f}x"
        )
    for f in heifs:
        if "iphone" in f.name.lower():
            w, h = meta[f][2]
            print(
                f"12 MP phone photo: {f.relative_to(PHOTOS)} ({w}x{h}): "
                f"ours {statistics.median(times[f]['ours']):.0f} ms, "
                f"naive {statistics.median(times[f]['naive']):.0f} ms"
            )

    with tempfile.TemporaryDirectory(prefix="bench-2048-") as tmp:
        phone = [f for f in files if f.parent.name == "mobile"]
        shrunk = shrunk_copies(phone, Path(tmp))
        if shrunk:
            print("\nAs uploaded after photo-shrink.js (2048 px JPEG, EXIF kept):")
            meta2, times2 = measure(shrunk, args.repeat)
            table(shrunk, meta2, times2, Path(tmp))
            o = [t for f in shrunk for t in times2[f]["ours"]]
            n = [t for f in shrunk for t in times2[f]["naive"]]
            print(row(f"2048 px uploads ({len(shrunk)} photos)", o, n))
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
