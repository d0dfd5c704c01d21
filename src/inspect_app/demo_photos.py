"""Phone-like photos for the demo history: a simple drawn scene per checklist item, the problem
circled in red on a finding, put right on a fix or 'after' photo, with the camera's date stamp
and EXIF capture time and GPS (the pipeline reads both, as it does from a real phone)."""

from __future__ import annotations

import io
import random
from datetime import datetime
from functools import cache

from PIL import Image, ImageDraw, ImageFont

W, H = 800, 600
WALLS = ((214, 206, 190), (200, 204, 206), (226, 220, 205), (205, 210, 196))
RED = (215, 30, 30)
SCENES = {
    "F01": "boxes",
    "F03": "extinguisher",
    "F04": "exit_sign",
    "F05": "door",
    "F06": "ebike",
    "F07": "wires",
    "F08": "hydrant",
    "closed": "shutter",  # not an item: a shop told to close (demo_campaigns)
}  # every other item is about papers: a plan, a log, a register
Box = tuple[int, int, int, int]


def _shade(colour: tuple[int, ...], by: int) -> tuple[int, ...]:
    return tuple(max(0, min(255, c + by)) for c in colour)


def _boxes(d: ImageDraw.ImageDraw, rng: random.Random, area: Box) -> Box:
    x0, y0, x1, y1 = area
    for _n in range(rng.randint(4, 7)):
        w, h = rng.randint(70, 130), rng.randint(50, 90)
        x, y = rng.randint(x0, x1 - w), rng.randint(y0, y1 - h)
        brown = _shade((160, 115, 70), rng.randint(-25, 25))
        d.rectangle((x, y, x + w, y + h), fill=brown, outline=_shade(brown, -50), width=3)
        d.line((x + w // 2, y, x + w // 2, y + h), fill=(200, 180, 140), width=6)
    return area


def _exit_sign(d: ImageDraw.ImageDraw, lit: bool) -> Box:
    box = (330, 95, 470, 145)
    d.rectangle(box, fill=(0, 160, 80) if lit else (70, 75, 70), outline=(40, 40, 40), width=3)
    if lit:
        d.polygon([(350, 120), (380, 105), (380, 135)], fill="white")
        d.rectangle((385, 113, 450, 127), fill="white")
    else:
        d.line((340, 100, 420, 140), fill=(30, 30, 30), width=3)
    return box


def _shutter(d: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """A shop front, its roller shutter down, the notice taped to it."""
    d.rectangle((0, 0, W, H), fill=_shade((190, 185, 175), rng.randint(-15, 15)))  # the street
    d.rectangle((120, 40, 680, 110), fill=rng.choice(((150, 30, 30), (30, 70, 130))))  # sign
    for x in range(160, 660, 60):
        d.rectangle((x, 62, x + 36, 90), fill=(235, 225, 200))
    d.rectangle((120, 120, 680, 560), fill=(165, 168, 172), outline=(90, 90, 95), width=6)
    for y in range(135, 560, 16):
        d.line((126, y, 674, y), fill=(135, 138, 142), width=3)
    d.rectangle((330, 250, 470, 430), fill=(250, 250, 245), outline=(200, 200, 200))
    d.rectangle((350, 268, 450, 282), fill=RED)
    for y in range(300, 412, 16):  # the notice's lines
        d.rectangle((350, y, 350 + rng.randint(60, 100), y + 6), fill=(90, 90, 90))


def _scene(d: ImageDraw.ImageDraw, rng: random.Random, kind: str, fixed: bool) -> Box | None:
    """Draws the subject; returns where the problem is (to circle it) or None."""
    if kind == "shutter":
        _shutter(d, rng)
        return None
    if kind == "boxes":
        _exit_sign(d, True)
        return None if fixed else _boxes(d, rng, (200, 390, 600, 560))
    if kind == "hydrant":
        d.rectangle((150, 180, 310, 430), fill=(200, 25, 25), outline=(120, 10, 10), width=4)
        d.ellipse((180, 230, 280, 330), outline="white", width=10)
        return None if fixed else _boxes(d, rng, (130, 340, 430, 530))
    if kind == "exit_sign":
        return _exit_sign(d, fixed)
    if kind == "extinguisher":
        d.rounded_rectangle((350, 250, 450, 540), radius=35, fill=(205, 20, 20))
        d.line((450, 290, 490, 330, 480, 450), fill=(20, 20, 20), width=8)
        d.ellipse((370, 180, 430, 240), fill="white", outline=(20, 20, 20), width=4)
        d.arc((374, 184, 426, 236), 200, 270, fill=(0, 160, 60), width=6)
        d.arc((374, 184, 426, 236), 110, 200, fill=RED, width=6)
        end = (385, 222) if not fixed else (412, 195)
        d.line((400, 210, *end), fill=(20, 20, 20), width=4)
        return None if fixed else (360, 170, 440, 250)
    if kind == "door":
        d.rectangle((270, 150, 530, 560), fill=(110, 135, 120), outline=(60, 70, 60), width=5)
        d.rectangle((330, 200, 470, 300), fill=(180, 205, 215))
        d.rectangle((490, 340, 515, 360), fill=(200, 200, 200))
        if fixed:
            return None
        d.polygon([(520, 560), (600, 560), (600, 530)], fill=(150, 110, 60))  # wedge
        for x in range(440, 540, 18):  # chain across the handle
            d.ellipse((x, 340, x + 22, 358), outline=(90, 90, 90), width=4)
        return (430, 320, 610, 570)
    if kind == "ebike":
        if fixed:
            d.rectangle((300, 520, 500, 540), fill=(230, 200, 40))  # the no-parking line
            return None
        for cx in (260, 490):
            d.ellipse((cx - 70, 400, cx + 70, 540), outline=(25, 25, 25), width=12)
        d.line((260, 470, 360, 390, 490, 470, 420, 380, 360, 390), fill=(30, 90, 160), width=10)
        d.line((420, 380, 700, 300), fill=(20, 20, 20), width=4)  # the charging cable
        d.rectangle((690, 280, 730, 320), fill="white", outline=(60, 60, 60), width=3)
        return (170, 360, 740, 550)
    if kind == "wires":
        if fixed:
            d.rectangle((0, 110, W, 130), fill=(245, 245, 245), outline=(150, 150, 150))
            return None
        for _n in range(6):
            colour = rng.choice(((20, 20, 20), (240, 240, 240), (200, 40, 40), (40, 40, 200)))
            points = [(x, rng.randint(100, 330)) for x in range(0, W + 1, 100)]
            d.line(points, fill=colour, width=5, joint="curve")
        d.rectangle((520, 320, 660, 350), fill="white", outline=(80, 80, 80), width=3)
        return (60, 90, 740, 370)
    d.rectangle((0, 0, W, H), fill=_shade((170, 125, 85), rng.randint(-15, 15)))  # a desk
    d.rectangle((230, 50, 570, 570), fill=(120, 80, 45))
    d.rectangle((250, 95, 550, 555), fill=(250, 250, 245))
    d.rectangle((360, 40, 440, 80), fill=(180, 180, 185))
    rows = 14 if fixed else rng.randint(4, 8)
    for n in range(rows):
        y = 125 + n * 29
        d.rectangle((270, y, 270 + rng.randint(140, 260), y + 8), fill=(120, 120, 130))
    if fixed:
        d.line((430, 470, 465, 510, 535, 420), fill=(0, 150, 60), width=14)
        return None
    d.line((300, 380, 500, 530), fill=RED, width=12)
    d.line((500, 380, 300, 530), fill=RED, width=12)
    return (250, 95, 550, 555)


@cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=26)


def _dms(value: float) -> tuple[float, float, float]:
    degrees, rest = int(value), abs(value - int(value)) * 60
    return float(degrees), float(int(rest)), round((rest - int(rest)) * 60, 2)


def draw_photo(
    code: str, *, fixed: bool, rng: random.Random, taken: datetime, gps: tuple[float, float]
) -> bytes:
    """A JPEG of the item's scene; `taken` is office-local time (it goes into EXIF as such)."""
    wall = _shade(rng.choice(WALLS), rng.randint(-12, 12))
    im = Image.new("RGB", (W, H), wall)
    d = ImageDraw.Draw(im)
    d.polygon([(0, H), (W, H), (560, 380), (240, 380)], fill=_shade(wall, -80))  # the floor
    d.rectangle((240, 150, 560, 380), outline=_shade(wall, -60), width=4)  # the corridor's end
    problem = _scene(d, rng, SCENES.get(code, "papers"), fixed)
    if problem:
        x0, y0, x1, y1 = problem
        d.ellipse((x0 - 25, y0 - 25, x1 + 25, y1 + 25), outline=RED, width=7)
    stamp = taken.strftime("%Y-%m-%d %H:%M")
    d.text((W - 18, H - 16), stamp, fill=(255, 200, 0), font=_font(), anchor="rd")
    exif = Image.Exif()
    offset = taken.strftime("%z")
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    exif_ifd[0x9011] = f"{offset[:3]}:{offset[3:]}"  # OffsetTimeOriginal
    exif[0x8825] = {1: "N", 2: _dms(gps[0]), 3: "E", 4: _dms(gps[1])}  # GPSInfo
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=82, exif=exif)
    return buf.getvalue()
