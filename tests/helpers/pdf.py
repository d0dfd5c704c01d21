"""PDF pages as pictures: pdftoppm (poppler-utils) rasterises a page for the checks a reader's
eye would make (is anything printed, does the QR code scan). Without pdftoppm the test skips
with the reason, except in CI, where it fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.app import IN_CI


def page_image(pdf: bytes, folder: Path, *, page: int = 1, dpi: int = 100) -> Image.Image:
    """Page `page` of the PDF as a greyscale picture at `dpi`."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if IN_CI:
            pytest.fail("CI requires pdftoppm (apt-get install poppler-utils; .ci/run does)")
        pytest.skip("pdftoppm is missing: apt-get install poppler-utils")
    source = folder / "page.pdf"
    source.write_bytes(pdf)
    stem = folder / f"page-{page}"
    pages = ["-f", str(page), "-l", str(page), "-singlefile"]
    subprocess.run([pdftoppm, "-png", "-r", str(dpi), *pages, source, stem], check=True, timeout=60)
    with Image.open(stem.with_suffix(".png")) as image:
        return image.convert("L")


def ink(image: Image.Image, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> float:
    """The share of dark pixels in a part of the page (box as fractions: left, top, right,
    bottom)."""
    w, h = image.size
    part = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    histogram = part.histogram()
    return sum(histogram[:128]) / max(1, part.width * part.height)
