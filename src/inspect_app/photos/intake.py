"""One upload flow for every photo: find where it goes, receive the stream, process, store and
record it, idempotent by the client's photo id.

The domain that owns the photo (an inspection's finding, a rectification item's fix) says where
it goes and whether it may be added, as a `PhotoTarget`; this module does the rest. Its own
endpoint lives with that domain (`inspections.api`, `rectifications.api`)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import anyio
from litestar import Request
from sqlmodel import Session

from inspect_app.db import Database
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import Photo
from inspect_app.photos import service
from inspect_app.photos.pipeline import process_photo
from inspect_app.photos.pool import photo_pool
from inspect_app.photos.schemas import PhotoOut, photo_out
from inspect_app.photos.storage import PhotoStorage
from inspect_app.photos.upload import ReceivedUpload, receive_upload
from inspect_app.settings import Settings
from inspect_app.web import check_uuid

# Handler options for an upload: the receiver enforces the byte cap, not Litestar.
UPLOAD: dict[str, Any] = {"request_max_body_size": None, "status_code": 200}
T = TypeVar("T")


class PhotoTarget(Protocol):
    """Where a photo goes, as its owning domain decides. Both run in a read transaction."""

    def locate(self, session: Session) -> service.Slot:
        """The slot, or NotFound before a byte of the upload is read."""
        ...

    def admit(self, session: Session, item_code: str) -> service.Slot:
        """The slot for this item, or an error if a photo may not be added there now."""
        ...


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


async def receive_photo(request: Request, photo_uuid: str, target: PhotoTarget) -> PhotoOut:
    """Find the target (404 before a byte is read), receive the stream, answer a replay from what
    is stored, else check, process, store and record. The checks read in read transactions; the
    one write transaction records the processed photo and checks again."""
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.db
    photo_uuid = check_uuid(photo_uuid)
    slot = await in_thread(database, target.locate, write=False)
    tmp_dir = settings.var_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    received = await receive_upload(
        request, max_file_bytes=settings.photo_max_bytes, tmp_dir=tmp_dir
    )
    try:
        item_code = received.fields.get("item_code", "").strip() or slot.item_code
        slot = dataclasses.replace(slot, item_code=item_code)
        sha256 = received.sha256 if received.file_path else None

        def replay_or_admit(session: Session) -> PhotoOut | service.Slot:
            existing = service.find_photo(session=session, uuid=photo_uuid)
            if existing is not None:
                photo = service.replay_or_conflict(photo=existing, slot=slot, sha256=sha256)
                return _answer(request, session, photo)
            return target.admit(session, item_code)

        outcome = await in_thread(database, replay_or_admit, write=False)
        if isinstance(outcome, PhotoOut):
            return outcome
        if received.file_path is None:
            raise Invalid(_("Choose a photo to upload."), fields={"file": _("Required.")})
        return await _store(request, photo_uuid, outcome, target, received)
    finally:
        if received.file_path is not None:
            received.file_path.unlink(missing_ok=True)


def _answer(request: Request, session: Session, photo: Photo) -> PhotoOut:
    _photo, blob = service.get_photo(session=session, user=request.user, uuid=photo.uuid)
    return photo_out(photo, blob, staff=request.user.is_staff)


async def _store(
    request: Request,
    photo_uuid: str,
    slot: service.Slot,
    target: PhotoTarget,
    received: ReceivedUpload,
) -> PhotoOut:
    """Process (in the bounded photo pool, within its time budget) and write the files (no
    transaction open), then record them in one transaction that checks again: the item may
    have closed meanwhile, or an overlapping copy of this request (a phone that gave up
    waiting and sent it again) may have recorded the photo."""
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.db
    storage: PhotoStorage = request.app.state.storage
    assert received.file_path is not None
    original = received.file_path
    processed = await photo_pool(settings.photo_workers).run(
        lambda deadline: process_photo(
            original,
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
        lambda: service.save_files(storage=storage, processed=processed, original=original)
    )

    def record(session: Session) -> PhotoOut:
        existing = service.find_photo(session=session, uuid=photo_uuid)
        if existing is not None:
            photo = service.replay_or_conflict(photo=existing, slot=slot, sha256=processed.sha256)
        else:
            target.admit(session, slot.item_code)  # the item may have closed meanwhile
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
            session=session, storage=storage, sha256=processed.sha256, keys=written
        )

    try:
        return await in_thread(database, record, write=True)
    except BaseException:
        if written:  # nothing half-written stays behind, unless a record now relies on it
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await in_thread(database, discard, write=False)
        raise
