"""Small generated JPEGs for benchmarks: distinct pictures (distinct SHA-256), no files needed."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, ImageDraw


def jpeg(n: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """The n-th picture: a coloured gradient with a few shapes and its number; ~20-40 KB."""
    rng = random.Random(n)  # noqa: S311 (test pictures, not secrets)
    base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    im = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(im)
    for y in range(0, size[1], 8):
        shade = tuple((c + y // 3) % 256 for c in base)
        draw.rectangle((0, y, size[0], y + 7), fill=shade)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(10, 80)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=4)
    draw.text((20, 20), f"bench photo {n}", fill=(255, 255, 255))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=82)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
