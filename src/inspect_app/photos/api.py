"""Photo upload (streamed, idempotent by client UUID) and photo serving with access checks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio
from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import File, Response
from sqlmodel import Session

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id
from inspect_app.db import Database
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.inspections.api import check_uuid, photo_out
from inspect_app.inspections.schemas import PhotoOut
from inspect_app.models import Photo
from inspect_app.photos import service
from inspect_app.photos.pipeline import process_photo
from inspect_app.photos.pool import photo_pool
from inspect_app.photos.storage import photo_keys
from inspect_app.photos.upload import receive_upload
from inspect_app.rectifications import service as rectifications
from inspect_app.revalidate import not_modified

UPLOAD = {"request_max_body_size": None, "status_code": 200}  # the receiver enforces the cap
NO_COMPRESSION = "no_compression"  # JPEGs are compressed already: sent as they are
T = TypeVar("T")


class PhotosApiController(Controller):
    path = "/api/v1"
    guards = [require_login]
    tags = ["photos"]

    @put("/inspections/{uuid:str}/photos/{photo_uuid:str}", responses=ERRORS, **UPLOAD)
    async def upload_finding(
        self,
        request: Request,
        settings: AppSettings,
        state: State,
        uuid: FromPath[str],
        photo_uuid: FromPath[str],
    ) -> PhotoOut:
        """A photo of a finding: multipart `file` plus `item_code`. Sending the same photo again
        returns it unchanged; the same photo id with another picture or item is 409."""
        inspection_uuid = check_uuid(uuid)

        def locate(session: Session) -> service.Slot:
            found = inspections.get_inspection(
                session=session, user=request.user, uuid=inspection_uuid
            )
            return service.Slot(item_code="", inspection_id=found.id)

        def check(session: Session, item_code: str) -> service.Slot:
            found = inspections.get_inspection(
                session=session, user=request.user, uuid=inspection_uuid
            )
            inspections.require_photo_slot(
                session=session, user=request.user, inspection=found, item_code=item_code
            )
            return service.Slot(item_code=item_code, inspection_id=found.id)

        return await _upload(request, settings, state, photo_uuid, locate, check)

    @put("/rectifications/{item_id:int}/photos/{photo_uuid:str}", responses=ERRORS, **UPLOAD)
    async def upload_evidence(
        self,
        request: Request,
        settings: AppSettings,
        state: State,
        item_id: FromPath[Id],
        photo_uuid: FromPath[str],
    ) -> PhotoOut:
        """A photo of a fix (owner) or an 'after' photo (inspector): multipart `file`. Attach it
        with the photo id in report-fixed or verify."""

        def locate(session: Session) -> service.Slot:
            item = rectifications.get_rectification(
                session=session, user=request.user, item_id=item_id
            )
            return service.Slot(item_code=item.item_code, rectification_id=item.id)

        def check(session: Session, _item_code: str) -> service.Slot:
            item = rectifications.get_rectification(
                session=session, user=request.user, item_id=item_id
            )
            rectifications.require_photo_slot(user=request.user, item=item)
            return service.Slot(item_code=item.item_code, rectification_id=item.id)

        return await _upload(request, settings, state, photo_uuid, locate, check)

    @get(
        "/photos/{uuid:str}/{size:str}",
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
        headers = {
            "Cache-Control": "private, no-cache",  # revalidated (304): none outlives sign-out
            "ETag": f'"{photo.sha256[:32]}-{size}"',
        }
        unchanged = not_modified(request, headers["ETag"], headers)
        if unchanged is not None:
            return unchanged
        key = photo_keys(photo.sha256)[size]
        path: Path | None = state.storage.get_path(key)
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


async def in_thread(database: Database, work: Callable[[Session], T], *, write: bool) -> T:
    """work(session) in a worker thread, in a transaction of its own that ends there.

    An upload spans many awaits. One transaction across them (the request's session) held
    SQLite's write lock while the body arrived and the photo was processed, and its queries ran
    on the event loop: one waiting there for the lock stopped the very loop that would release
    it, and the request failed with "database is locked"."""

    def run() -> T:
        with database.session(write=write) as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


async def _upload(request, settings, state, photo_uuid, locate, check) -> PhotoOut:
    """Find the target (404 before a byte is read), receive the stream, answer a replay from what
    is stored, else check, process, store and record. The checks read in read transactions; the
    one write transaction records the processed photo and checks again."""
    photo_uuid = check_uuid(photo_uuid)
    slot = await in_thread(state.db, locate, write=False)
    tmp_dir = settings.var_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    received = await receive_upload(
        request, max_file_bytes=settings.photo_max_bytes, tmp_dir=tmp_dir
    )
    try:
        item_code = received.fields.get("item_code", "").strip() or slot.item_code
        slot = service.Slot(item_code, slot.inspection_id, slot.rectification_id)
        sha256 = received.sha256 if received.file_path else None

        def replay_or_check(session: Session) -> PhotoOut | service.Slot:
            existing = service.find_photo(session=session, uuid=photo_uuid)
            if existing is not None:
                photo = service.replay_or_conflict(photo=existing, slot=slot, sha256=sha256)
                return _answer(request, session, photo)
            return check(session, item_code)

        outcome = await in_thread(state.db, replay_or_check, write=False)
        if isinstance(outcome, PhotoOut):
            return outcome
        if received.file_path is None:
            raise Invalid(_("Choose a photo to upload."), fields={"file": _("Required.")})
        return await _store(request, settings, state, photo_uuid, outcome, check, received)
    finally:
        if received.file_path is not None:
            received.file_path.unlink(missing_ok=True)


def _answer(request: Request, session: Session, photo: Photo) -> PhotoOut:
    _photo, blob = service.get_photo(session=session, user=request.user, uuid=photo.uuid)
    return photo_out(photo, blob, staff=request.user.is_staff)


async def _store(request, settings, state, photo_uuid, slot, check, received) -> PhotoOut:
    """Process (in the bounded photo pool, within its time budget) and write the files (no
    transaction open), then record them in one transaction that checks again: the item may
    have closed meanwhile, or an overlapping copy of this request (a phone that gave up
    waiting and sent it again) may have recorded the photo."""
    processed = await photo_pool(settings.photo_workers).run(
        lambda deadline: process_photo(
            received.file_path,
            sha256=received.sha256,
            byte_size=received.byte_size,
            max_pixels=settings.photo_max_pixels,
            time_zone=settings.time_zone,
            deadline=deadline,
        ),
        wait=settings.photo_queue_seconds,
        budget=settings.photo_budget_seconds,
    )
    written = await anyio.to_thread.run_sync(
        lambda: service.save_files(
            storage=state.storage, processed=processed, original=received.file_path
        )
    )

    def record(session: Session) -> PhotoOut:
        existing = service.find_photo(session=session, uuid=photo_uuid)
        if existing is not None:
            photo = service.replay_or_conflict(photo=existing, slot=slot, sha256=processed.sha256)
        else:
            check(session, slot.item_code)  # the item may have closed meanwhile
            photo = service.record_photo(
                session=session,
                user=request.user,
                slot=slot,
                photo_uuid=photo_uuid,
                processed=processed,
            )
        return _answer(request, session, photo)

    def discard(session: Session) -> None:
        service.discard_unrecorded(
            session=session, storage=state.storage, sha256=processed.sha256, keys=written
        )

    try:
        return await in_thread(state.db, record, write=True)
    except BaseException:
        if written:  # nothing half-written stays behind, unless a record now relies on it
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await in_thread(state.db, discard, write=False)
        raise
