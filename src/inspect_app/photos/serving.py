"""A stored photo as an HTTP answer (after the caller's access check): revalidated by ETag,
never cached past sign-out, metadata-free derivatives as JPEG."""

from __future__ import annotations

from pathlib import Path

from litestar import Request
from litestar.response import File, Response

from inspect_app.errors import NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import Photo, PhotoBlob
from inspect_app.photos.storage import PhotoStorage, photo_keys
from inspect_app.revalidate import not_modified


def photo_file(
    request: Request, storage: PhotoStorage, photo: Photo, blob: PhotoBlob, size: str
) -> Response:
    headers = {
        "Cache-Control": "private, no-cache",  # revalidated (304): none outlives sign-out
        "ETag": f'"{photo.sha256[:32]}-{size}"',
    }
    unchanged = not_modified(request, headers["ETag"], headers)
    if unchanged is not None:
        return unchanged
    key = photo_keys(photo.sha256)[size]
    path: Path | None = storage.get_path(key)
    if path is None:
        raise NotFound(_("The photo file is missing."))
    media_type = blob.content_type if size == "original" else "image/jpeg"
    return File(
        path=path,
        media_type=media_type,
        content_disposition_type="inline",
        filename=f"{photo.uuid}-{size}.{'jpg' if size != 'original' else 'bin'}",
        headers=headers,
    )
