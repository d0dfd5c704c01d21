"""Client-side shrinking in real Chromium: bytes saved by static/js/photo-shrink.js per photo.

Serves a tiny page (photo-shrink.js + copies of the real photos) from 127.0.0.1 in a thread,
drives /usr/bin/chromium through Playwright, calls InspectPhotos.shrink(file) on every real JPEG
(and the HEIC files, which must come back unchanged), and prints original bytes, shrunk bytes
and the saving. It also checks that the Exif segment survived (capture time, GPS and the
Orientation tag read back with Pillow) and that the server pipeline turns the shrunk file into
an upright display image that matches the one made from the original.

    .venv/bin/python benchmarks/client_shrink.py
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from inspect_app.photos.pipeline import process_photo  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "photos"
SCRIPT = ROOT / "static" / "js" / "photo-shrink.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = """<!doctype html><meta charset="utf-8"><title>shrink</title>
<script src="photo-shrink.js"></script>
<script>
async function shrinkOne(url, name, type) {
  const blob = await (await fetch(url)).blob();
  const file = new File([blob], name, {type: type, lastModified: 0});
  const t0 = performance.now();
  const out = await window.InspectPhotos.shrink(file, {maxSide: 2048, quality: 0.85});
  const ms = performance.now() - t0;
  const bytes = new Uint8Array(await out.arrayBuffer());
  let b64 = "";
  for (let i = 0; i < bytes.length; i += 32768) {
    b64 += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
  }
  return {original: file.size, shrunk: out.size, unchanged: out === file, ms: ms,
          name: out.name || "", type: out.type, data: btoa(b64)};
}
</script>"""


def real_photos() -> list[Path]:
    jpegs = sorted(
        [
            *PHOTOS.glob("jpg/mobile/*.jpg"),
            *PHOTOS.glob("jpg/gps/*.jpg"),
            *PHOTOS.glob("jpg/orientation/*.jpg"),
            PHOTOS / "jpg" / "no_exif.jpg",
        ]
    )
    return [p for p in jpegs if p.exists()] + sorted(PHOTOS.glob("heic/mobile/*"))


def exif_facts(data: bytes) -> tuple:
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        sub = exif.get_ifd(0x8769)
        gps = exif.get_ifd(0x8825)
        return (
            sub.get(0x9003),
            tuple(float(v) for v in gps.get(2, ())) or None,
            exif.get(0x0112),
        )


def exif_right_after_soi(data: bytes) -> bool:
    return data[:4] == b"\xff\xd8\xff\xe1" and data[6:12] == b"Exif\x00\x00"


def display_difference(a: bytes, b: bytes) -> float:
    """Mean absolute RGB difference (0-255) of two display JPEGs at 64 px; inf if shapes differ."""
    with Image.open(io.BytesIO(a)) as ia, Image.open(io.BytesIO(b)) as ib:
        if abs(ia.width / ia.height - ib.width / ib.height) > 0.02:
            return float("inf")
        size = (64, max(1, round(64 * ia.height / ia.width)))
        diff = ImageChops.difference(ia.convert("RGB").resize(size), ib.convert("RGB").resize(size))
        return sum(ImageStat.Stat(diff).mean) / 3


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the stdlib signature; keep the output quiet
        pass


def main() -> int:
    from playwright.sync_api import sync_playwright

    photos = real_photos()
    if not photos:
        print(f"no photos under {PHOTOS}; nothing to measure")
        return 1
    with tempfile.TemporaryDirectory(prefix="shrink-bench-") as tmp:
        site = Path(tmp)
        shutil.copy(SCRIPT, site / "photo-shrink.js")
        (site / "index.html").write_text(PAGE, encoding="utf-8")
        names = {}
        for i, path in enumerate(photos):
            name = f"{i:02d}-{path.name}"
            shutil.copy(path, site / name)
            names[path] = name
        handler = functools.partial(QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page()
                page.goto(base + "index.html")
                results = []
                for path in photos:
                    is_heif = path.suffix.lower() in (".heic", ".heif")
                    mime = "image/heic" if is_heif else "image/jpeg"
                    out = page.evaluate(
                        "([u, n, t]) => shrinkOne(u, n, t)", [base + names[path], path.name, mime]
                    )
                    out["data"] = base64.b64decode(out["data"])
                    results.append((path, out))
                version = browser.version
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return report(results, version)


def report(results, version: str) -> int:
    print(f"Chromium {version}: InspectPhotos.shrink(file, {{maxSide: 2048, quality: 0.85}})")
    header = (
        f"{'file':<34} {'size':>11} {'original':>10} {'shrunk':>10} {'saved':>7} "
        f"{'ms':>6}  exif  orient upright"
    )
    print(header)
    print("-" * len(header))
    total_in = total_out = jpeg_in = jpeg_out = 0
    problems = []
    for path, out in results:
        rel = path.relative_to(PHOTOS).as_posix()
        original = path.read_bytes()
        data = out["data"]
        total_in += out["original"]
        total_out += out["shrunk"]
        if path.suffix.lower() in (".jpg", ".jpeg"):
            jpeg_in += out["original"]
            jpeg_out += out["shrunk"]
        with Image.open(io.BytesIO(data)) as im:
            size = f"{im.width}x{im.height}"
        saved = 1 - out["shrunk"] / out["original"]
        if out["unchanged"]:
            exif_note, orient_note, upright_note = "kept", "-", "-"
            if path.suffix.lower() in (".jpg", ".jpeg") and max(Image.open(path).size) > 2048:
                problems.append(f"{rel}: large JPEG came back unchanged")
        else:
            had_exif = b"Exif\x00\x00" in original[:65536]
            if had_exif:
                ok = exif_right_after_soi(data)
                before, after = exif_facts(original), exif_facts(data)
                # Orientation may legitimately become 1 if the browser oriented the pixels.
                ok = ok and before[:2] == after[:2]
                exif_note = "ok" if ok else "LOST"
                orient_note = f"{before[2] or '-'}>{after[2] or '-'}"
                if not ok:
                    problems.append(f"{rel}: Exif did not survive ({before} -> {after})")
            else:
                exif_note, orient_note = "none", "-"
            with tempfile.TemporaryDirectory() as tmp:
                a, b = Path(tmp) / "a", Path(tmp) / "b"
                a.write_bytes(original)
                b.write_bytes(data)
                pa = process_photo(a, sha256="a", byte_size=len(original))
                pb = process_photo(b, sha256="b", byte_size=len(data))
            diff = display_difference(pa.display, pb.display)
            upright_note = f"{diff:5.1f}" if diff != float("inf") else "TURNED"
            if diff > 12:
                problems.append(f"{rel}: server display differs from original's (diff {diff})")
        print(
            f"{rel:<34} {size:>11} {out['original']:>10,} {out['shrunk']:>10,} "
            f"{saved:>6.0%} {out['ms']:>6.0f}  {exif_note:<5} {orient_note:<6} {upright_note}"
        )
    print("-" * len(header))
    for label, before, after in (("JPEG total", jpeg_in, jpeg_out), ("all", total_in, total_out)):
        if before:
            print(f"{label:<34} {'':>11} {before:>10,} {after:>10,} {1 - after / before:>6.0%}")
    print(
        "exif: ok = APP1 Exif right after SOI with the same DateTimeOriginal and GPS; "
        "kept = original returned unchanged.\n"
        "orient: EXIF Orientation before > after (set to 1 when the browser already turned the "
        "pixels).\n"
        "upright: mean abs RGB difference (0-255) between the server's display image from the "
        "shrunk file and from the original."
    )
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - start:.1f} s)")
    sys.exit(code)
