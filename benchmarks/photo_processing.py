"""Server-side photo processing: process_photo vs a naive Pillow pipeline, on the real photos.

For every real photo (jpg/mobile, jpg/gps, jpg/orientation, heic/mobile, no_exif.jpg) both
pipelines run --repeat times, interleaved (alternating which goes first) in the same process, so
machine load hits both alike. Two sets made in a temporary directory from the real phone photos
are timed the same way: "12 MP JPEG" (the iPhone HEIC as a full-size JPEG with its EXIF and
Display P3 profile, as iOS hands a HEIC photo to a file input) and "2048 px" (what the server
receives from phones that ran static/js/photo-shrink.js first; draft decoding cannot help there,
2048 / 1600 < 2).

Printed: wall-clock median and p95 per photo, per group and overall, with the speedup (naive /
ours, of the medians and of the p95s), and the CPU time of this process (all its threads) per
photo, which moves much less than wall time on a machine shared with other work. Then the
targets (2x naive per group, a 12 MP photo under 150 ms), the HEIF decode floor (pillow-heif
decoding the primary image, nothing else) and where our time goes, step by step (cProfile).

naive = Image.open, full-resolution load, ImageOps.exif_transpose, convert("RGB"), resize to
        1600 and to 320 from the full image with LANCZOS, save both as JPEG (same qualities).
ours  = process_photo: sniff + JPEG structure check, header pixel cap, JPEG draft (DCT-scaled)
        decode, reduce-then-resize, ICC -> sRGB, orientation on the small image, thumbnail from
        the display image, baseline JPEGs, EXIF time and GPS read.

With --hostile: only the crafted files of tests/helpers/hostile_photos.py (1 MB each: a run of
0xFF then 0x00, many markers, nested images, many scans, restart markers, truncated segments, huge
segment lengths, a PNG of tiny chunks), each through process_photo, with the outcome. (The
marker regex before issue 10 took 11 s on the first one at 48 KB; quadratic, so ~1.4 h at 1 MB.)

    .venv/bin/python benchmarks/photo_processing.py [--repeat 9] [--no-steps] [--hostile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import PIL
import pillow_heif
from PIL import Image, ImageOps, features

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from inspect_app.photos.pipeline import (  # noqa: E402
    DISPLAY_MAX_SIDE,
    DISPLAY_QUALITY,
    THUMB_MAX_SIDE,
    THUMB_QUALITY,
    PhotoRejected,
    process_photo,
)

PHOTOS = ROOT.parent / "shared" / "photos"
TARGET_SPEEDUP = 2.0
TARGET_12MP_MS = 150.0
WIDTH = 118


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


def ours(path: Path) -> None:
    process_photo(path, sha256="0" * 64, byte_size=path.stat().st_size)


def heif_decode(path: Path) -> int:
    """The floor for a HEIF photo: libheif decoding the primary image to RGB, nothing else."""
    heif = pillow_heif.open_heif(path.read_bytes(), convert_hdr_to_8bit=True)
    return len(heif[heif.primary_index].data)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed(fn: Callable[[Path], object], path: Path) -> tuple[float, float]:
    """(wall ms, CPU ms of this process, all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(path)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def group_of(path: Path) -> str:
    if not path.is_relative_to(PHOTOS):
        return "12 MP JPEG" if "12mp" in path.name else "2048 px"
    rel = path.relative_to(PHOTOS)
    return "heic/mobile" if rel.parts[0] == "heic" else "/".join(rel.parts[:2]).replace(".jpg", "")


def made_copies(files: list[Path], directory: Path) -> list[Path]:
    """The iPhone HEIC as a full-size JPEG (quality 92, EXIF and ICC kept), then 2048 px JPEG
    copies (quality 85, EXIF kept) of every phone photo, like photo-shrink.js (HEIC ones as iOS
    hands them to a file input: converted to JPEG, then shrunk)."""
    out = []
    for f in files:
        if f.parent.parent.name == "heic" and "iphone" in f.name.lower():
            with Image.open(f) as im:
                target = directory / f"{f.stem}-12mp.jpg"
                info = {k: im.info[k] for k in ("exif", "icc_profile") if k in im.info}
                im.save(target, "JPEG", quality=92, **info)
            out.append(target)
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


Times = dict[Path, dict[str, list[tuple[float, float]]]]


def measure(files: list[Path], repeat: int) -> tuple[dict, Times]:
    meta = {}
    for f in files:
        with Image.open(f) as im:
            meta[f] = (im.size, im.format)
        ours(f)  # warm up plugins, caches, page cache
        naive(f)
    times: Times = {f: {"ours": [], "naive": [], "floor": []} for f in files}
    pipelines = {"ours": ours, "naive": naive, "floor": heif_decode}
    for run in range(repeat):
        for f in files:
            order = ["ours", "naive"] if run % 2 == 0 else ["naive", "ours"]
            if meta[f][1] == "HEIF":
                order.insert(run % 3, "floor")
            for which in order:
                times[f][which].append(timed(pipelines[which], f))
    return meta, times


def stats(samples: list[tuple[float, float]]) -> tuple[float, float, float]:
    wall = [w for w, _c in samples]
    return statistics.median(wall), p95(wall), statistics.median(c for _w, c in samples)


HEAD = (
    f"{'':<49}|{'wall ms: ours':>15} {'naive':>15} {'speedup':>13} |{'CPU ms: ours':>13} "
    f"{'naive':>6} {'x':>5}\n"
    f"{'':<49}|{'med':>7} {'p95':>7} {'med':>7} {'p95':>7} {'med':>6} {'p95':>6} |"
    f"{'med':>13} {'med':>6} {'':>5}"
)


def row(label: str, o: list[tuple[float, float]], n: list[tuple[float, float]]) -> str:
    (om, op, oc), (nm, np_, nc) = stats(o), stats(n)
    return (
        f"{label:<49}|{om:>7.1f} {op:>7.1f} {nm:>7.1f} {np_:>7.1f} {nm / om:>5.1f}x "
        f"{np_ / op:>5.1f}x |{oc:>13.1f} {nc:>6.1f} {nc / oc:>4.1f}x"
    )


def groups(files: list[Path], meta: dict) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for f in files:
        out.setdefault(group_of(f), []).append(f)
    real = [f for f in files if f.is_relative_to(PHOTOS)]
    if len(out) > 1:
        out["all real JPEG"] = [f for f in real if meta[f][1] in ("JPEG", "MPO")]
        out["all real photos"] = real
    return {name: members for name, members in out.items() if members}


def table(title: str, files: list[Path], meta: dict, times: Times) -> dict[str, list[Path]]:
    print(f"\n{title}\n{HEAD}\n{'-' * WIDTH}")
    for f in files:
        w, h = meta[f][0]
        name = f.relative_to(PHOTOS).as_posix() if f.is_relative_to(PHOTOS) else f.name
        label = f"{name[:34]:<34} {f'{w}x{h}':>9} {w * h / 1e6:>4.1f}"
        print(row(label, times[f]["ours"], times[f]["naive"]))
    print("-" * WIDTH)
    grouped = groups(files, meta)
    for name, members in grouped.items():
        o = [t for f in members for t in times[f]["ours"]]
        n = [t for f in members for t in times[f]["naive"]]
        print(row(f"{name} ({len(members)} photos)", o, n))
    return grouped


def targets(grouped: dict[str, list[Path]], meta: dict, times: Times) -> None:
    print(
        f"\nTargets: {TARGET_SPEEDUP:g}x naive (medians), a 12 MP photo under {TARGET_12MP_MS:g} ms"
    )
    for name, members in grouped.items():
        o, _op, oc = stats([t for f in members for t in times[f]["ours"]])
        n, _np, nc = stats([t for f in members for t in times[f]["naive"]])
        verdict = "meets" if n / o >= TARGET_SPEEDUP else "below"
        print(
            f"  {name:<28} {n / o:>4.1f}x wall, {nc / oc:>4.1f}x CPU: {verdict} {TARGET_SPEEDUP:g}x"
        )
    for f, ((w, h), fmt) in meta.items():
        if 11e6 <= w * h <= 13e6:
            o, op, oc = stats(times[f]["ours"])
            verdict = "under" if o < TARGET_12MP_MS else "over"
            print(
                f"  12 MP {fmt:<5} {f.name:<30} ours {o:.0f} ms (p95 {op:.0f}, CPU {oc:.0f}): "
                f"{verdict} {TARGET_12MP_MS:g} ms"
            )


def heif_floor(heifs: list[Path], times: Times) -> None:
    threads = pillow_heif.options.DECODE_THREADS
    print(
        f"\nHEIF decode floor (pillow-heif decoding alone, DECODE_THREADS={threads}, interleaved):"
    )
    for f in heifs:
        (fm, fp, fc), (om, _op, oc) = stats(times[f]["floor"]), stats(times[f]["ours"])
        print(
            f"  {f.name:<26} decode {fm:>4.0f} ms (p95 {fp:.0f}, CPU {fc:.0f}); "
            f"process_photo {om:.0f} ms (CPU {oc:.0f}): the rest is {om - fm:.0f} ms "
            f"(CPU {oc - fc:.0f})"
        )


# cProfile entries (file, function) -> step; C methods are timed on their own (tottime),
# the Python steps with what they call (cumtime).
STEPS = {
    ("~", "<method 'decode' of 'ImagingDecoder' objects>"): "decode",
    ("heif.py", "load"): "decode",  # libheif decodes inside BaseImage.load (a C property)
    ("~", "<method 'resize' of 'ImagingCore' objects>"): "resize",
    ("~", "<method 'reduce' of 'ImagingCore' objects>"): "resize",
    ("~", "<method 'apply' of 'PIL.ImageCms.core.CmsTransform' objects>"): "ICC",
    ("~", "<method 'transpose' of 'ImagingCore' objects>"): "orient",
    ("~", "<method 'encode' of 'ImagingEncoder' objects>"): "encode",
    ("pipeline.py", "_check_structure"): "check",
    ("metadata.py", "read_metadata"): "EXIF",
}
STEP_NAMES = ["decode", "resize", "ICC", "orient", "encode", "check", "EXIF", "other"]


def steps(grouped: dict[str, list[Path]], times: Times) -> None:
    """CPU ms per photo for each step of process_photo, one profiled pass per group. Profiling
    slows the Python parts (EXIF, check, other) more than the C ones; "unprofiled" is the mean
    CPU time per photo without it."""
    print(f"\nWhere process_photo's time goes (CPU ms per photo, cProfile):\n{'':<30}", end="")
    print("".join(f"{name:>9}" for name in [*STEP_NAMES, "total", "unprof."]))
    for name, members in grouped.items():
        profile = cProfile.Profile(time.process_time)
        start = time.process_time()
        for f in members:
            profile.runcall(ours, f)
        total = time.process_time() - start
        spent = dict.fromkeys(STEP_NAMES, 0.0)
        for (file, _line, func), (_cc, _nc, tottime, cumtime, _callers) in pstats.Stats(
            profile
        ).stats.items():  # type: ignore[attr-defined]
            step = STEPS.get((os.path.basename(file), func))
            if step:
                cumulative = file.endswith(("pipeline.py", "metadata.py"))  # our own functions
                spent[step] += cumtime if cumulative else tottime
        spent["other"] = total - sum(spent.values())
        cells = [spent[s] * 1000 / len(members) for s in STEP_NAMES]
        cells.append(total * 1000 / len(members))
        cells.append(statistics.mean(c for f in members for _w, c in times[f]["ours"]))
        print(f"{name[:30]:<30}" + "".join(f"{c:>9.1f}" for c in cells))


def hostile(repeat: int) -> None:
    """Each crafted file through process_photo: median and worst wall time, and the answer."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers.hostile_photos import BOUNDED

    print(f"Crafted files through process_photo ({repeat} runs each)")
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        path = Path(tmp) / "upload"
        for name, make in BOUNDED.items():
            data = make()
            path.write_bytes(data)
            times, outcome = [], ""
            for _ in range(repeat):
                start = time.perf_counter()
                try:
                    process_photo(path, sha256="0" * 64, byte_size=len(data))
                    outcome = "200 accepted"
                except PhotoRejected as exc:
                    outcome = f"{exc.status_code} {exc.code}"
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"  {name:32} {len(data) / 1024:7.0f} KB  median {statistics.median(times):7.1f} ms"
                f"  max {max(times):7.1f} ms  {outcome}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-steps", action="store_true", help="skip the per-step profile")
    parser.add_argument("--hostile", action="store_true", help="only the crafted files")
    args = parser.parse_args()
    if args.hostile:
        hostile(args.repeat)
        return 0
    files = photo_set()
    if not files:
        print(f"no photos under {PHOTOS}")
        return 1
    print(
        f"Pillow {PIL.__version__} (libjpeg-turbo {features.version('libjpeg_turbo')}), "
        f"pillow-heif {pillow_heif.__version__} (libheif {pillow_heif.libheif_version()}), "
        f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}, "
        f"{args.repeat} runs per photo per pipeline"
    )
    meta, times = measure(files, args.repeat)
    grouped = table("Real photos (../shared/photos)", files, meta, times)
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        made = made_copies([f for f in files if f.parent.name == "mobile"], Path(tmp))
        meta2, times2 = measure(made, args.repeat)
        title = "As phones upload them (made from the phone photos above)"
        grouped.update(table(title, made, meta2, times2))
        meta.update(meta2)
        times.update(times2)
        targets(grouped, meta, times)
        heif_floor([f for f in files if meta[f][1] == "HEIF"], times)
        if not args.no_steps:
            steps(grouped, times)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
