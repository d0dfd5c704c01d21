"""The notice as a PDF: WeasyPrint in a bounded pool of threads with a time budget (as photos
are processed), Chinese text in an embedded subset of a CJK font found through fontconfig.

Without a CJK font WeasyPrint would print empty boxes; the app says what to install instead."""

from __future__ import annotations

import base64
import shutil

# subprocess runs fc-list only, with fixed arguments and no user input
import subprocess  # nosec B404
import threading
from functools import lru_cache
from typing import Any

from PIL import ImageFile

from inspect_app.errors import Busy
from inspect_app.i18n import gettext as _
from inspect_app.photos.pipeline import Deadline, PhotoTooSlow
from inspect_app.photos.pool import PhotoBusy, PhotoPool
from inspect_app.photos.storage import InvalidKey, PhotoStorage, photo_keys

FONT_FAMILY = "WenQuanYi Micro Hei"  # fonts-wqy-microhei; any fontconfig CJK family would do
FONT_PACKAGE = "fonts-wqy-microhei"
WORKERS = 1  # PDFs rendered at once per server process
QUEUE_SECONDS = 5.0
BUDGET_SECONDS = 20.0


class FontMissing(Busy):
    """No Chinese font on the server: a PDF would print empty boxes."""

    code = "font_missing"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The server has no Chinese font, so the PDF cannot be made. "
                "An administrator can install one with: apt-get install %(package)s",
                package=FONT_PACKAGE,
            )
        )


class PdfTooSlow(Busy):
    code = "pdf_too_slow"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            _(
                "Making this PDF took too long (over %(seconds)s seconds). "
                "Please try again later, or print the notice page instead.",
                seconds=f"{seconds:g}",
            )
        )


class PdfBusy(Busy):
    code = "pdf_busy"

    def __init__(self) -> None:
        super().__init__(
            _("The server is busy making other PDFs. Please try again in a moment."),
            headers={"Retry-After": str(int(QUEUE_SECONDS))},
        )


@lru_cache(maxsize=1)
def chinese_fonts() -> tuple[str, ...]:
    """The font families fontconfig offers for Chinese (empty: none, or no fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        out = subprocess.run(  # noqa: S603  # nosec B603
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()}))


def font_family() -> str:
    """The family the PDF asks for: WenQuanYi when present, else the first Chinese one."""
    families = chinese_fonts()
    if not families:
        raise FontMissing()
    return FONT_FAMILY if FONT_FAMILY in families else families[0]


def thumbnails(storage: PhotoStorage, photos: list[dict[str, str]]) -> dict[str, str]:
    """Photo id -> a data: URI of its thumbnail (missing ones are left out)."""
    out: dict[str, str] = {}
    for photo in photos:
        try:
            key = photo_keys(photo["sha256"])["thumb"]
            if storage.exists(key):
                data = base64.b64encode(storage.open(key)).decode("ascii")
                out[photo["id"]] = f"data:image/jpeg;base64,{data}"
        except (InvalidKey, OSError):
            continue
    return out


_load_lock = threading.Lock()
_html: Any = None
_load_error = ""


def load(_app: object = None) -> None:
    """Import WeasyPrint once, when a server starts (not at import: it loads Pango, ~0.8 s).

    Its import sets Pillow's global LOAD_TRUNCATED_IMAGES, which the photo pipeline refuses
    (it must never accept a truncated upload): set it back at once, before any photo."""
    global _html, _load_error
    with _load_lock:
        if _html is not None or _load_error:
            return
        try:
            from weasyprint import HTML
        except OSError as exc:  # Pango or its friends are missing
            _load_error = str(exc)
            return
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = False
        _html = HTML


class RendererMissing(Busy):
    code = "pdf_unavailable"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The server cannot make PDFs: its Pango library is missing. An administrator "
                "can install it with: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
            )
        )


def _write(html: str) -> bytes:
    load()
    if _html is None:
        raise RendererMissing()
    pdf = _html(string=html, base_url=None).write_pdf()
    assert pdf is not None
    return bytes(pdf)


_pool = PhotoPool(WORKERS)


async def render(html: str, *, budget: float = BUDGET_SECONDS) -> bytes:
    """The PDF of this HTML, made in the pool; 503 when every worker stays busy or the PDF
    takes longer than `budget` seconds (the thread ends on its own; its slot stays taken till
    then, so runaway PDFs cannot pile up)."""

    def work(_deadline: Deadline) -> bytes:
        return _write(html)

    try:
        return await _pool.run(work, wait=QUEUE_SECONDS, budget=budget)
    except PhotoBusy:
        raise PdfBusy() from None
    except PhotoTooSlow:
        raise PdfTooSlow(budget) from None
