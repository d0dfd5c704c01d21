"""Photo serving with access checks (uploads are received by the domain that owns the photo,
through `photos.intake`)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Response

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.deps import DbSession
from inspect_app.errors import Forbidden, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.photos import service
from inspect_app.photos.serving import photo_file
from inspect_app.web import check_uuid

NO_COMPRESSION = "no_compression"  # JPEGs are compressed already: sent as they are


class PhotosApiController(Controller):
    path = "/api/v1/photos"
    guards = [require_login]
    tags = ["photos"]

    @get(
        "/{uuid:str}/{size:str}",
        responses=ERRORS,
        sync_to_thread=True,
        opt={NO_COMPRESSION: True},
    )
    def serve(
        self,
        request: Request,
        db: DbSession,
        state: State,
        uuid: FromPath[str],
        size: FromPath[str],
    ) -> Response:
        """`thumb` and `display` (no metadata) for all who see the site; `original` for staff."""
        if size not in service.SIZES:
            raise NotFound(_("Photo sizes are thumb, display and original."))
        photo, blob = service.get_photo(session=db, user=request.user, uuid=check_uuid(uuid))
        if size == "original" and not request.user.is_staff:
            raise Forbidden(_("Original photos are for inspection staff only."))
        return photo_file(request, state.storage, photo, blob, size)
