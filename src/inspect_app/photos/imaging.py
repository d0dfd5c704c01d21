"""The pixel work of the pipeline: orientation, size, colour (ICC -> sRGB, alpha onto white) and
JPEG encoding without metadata."""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageCms

WHITE = (255, 255, 255)

# ImageOps.exif_transpose's table: orientation -> transpose method.
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    long_side = max(width, height)
    if long_side <= max_side:
        return size
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(
    im: Image.Image, max_side: int, resample: Image.Resampling, reducing_gap: float
) -> Image.Image:
    """Reduce-then-resize: an integer box reduce() while the image stays >= reducing_gap x the
    target, then `resample` for the rest. 1.0 = as much box reduction as possible (fast; what
    JPEG draft mode does in the DCT domain anyway); 2.0 = the filter over the last 2-4x."""
    target = fit(im.size, max_side)
    if target == im.size:
        return im
    return im.resize(target, resample, reducing_gap=reducing_gap)


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _srgb_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from an embedded profile to sRGB; None if the profile is sRGB already,
    unreadable, or does not fit the pixel mode (then the pixels are taken as sRGB)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").lower().replace(" ", "")
        if "srgb" in description:
            return None
        # NOCACHE: lcms's one-pixel cache is not safe when threads share a transform.
        return ImageCms.buildTransform(
            profile,
            _srgb_profile(),
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            flags=ImageCms.Flags.NOCACHE,
        )
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None


def flatten(im: Image.Image) -> Image.Image:
    """Any mode -> RGB, L or CMYK (the modes an ICC transform takes); alpha onto white."""
    mode = im.mode
    if mode in ("RGB", "L", "CMYK") and "transparency" not in im.info:
        return im
    if mode.startswith("I;16") or mode == "I":
        im = im.convert("I") if mode != "I" else im
        return im.point(lambda v: v * (1 / 256)).convert("L")  # 16 -> 8 bits, not clipped
    if mode == "1":
        return im.convert("L")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGB", im.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")  # P, YCbCr, LAB, HSV, F...


def to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB. `im` belongs to the caller's pipeline: an RGB one is converted in place."""
    transform = _srgb_transform(icc, im.mode) if icc else None
    if transform is not None:
        try:
            if im.mode == "RGB":
                ImageCms.applyTransform(im, transform, inPlace=True)
                return im
            return ImageCms.applyTransform(im, transform)  # type: ignore[return-value]  # None only in place
        except (OSError, ValueError, ImageCms.PyCMSError):
            transform = None  # fall back to a plain conversion
    return im if im.mode == "RGB" else im.convert("RGB")


def encode_jpeg(
    im: Image.Image, quality: int, *, optimize: bool, progressive: bool = False
) -> bytes:
    """A JPEG with no metadata at all."""
    im.info.clear()  # nothing from the source (exif, icc_profile, xmp, comment) rides along
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, optimize=optimize, progressive=progressive)
    return buf.getvalue()
