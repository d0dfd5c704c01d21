"""Photos in the database and in storage: idempotent by client UUID, deduplicated by SHA-256.

A photo belongs to an inspection item (the finding), to a rectification item (a fix, an
'after' photo) or to a site (an outcome recorded on the spot); either way it is visible exactly
to those who may see that site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.errors import Conflict, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import Inspection, Photo, PhotoBlob, Rectification, Site
from inspect_app.photos.pipeline import ProcessedPhoto
from inspect_app.photos.storage import PhotoStorage, photo_keys
from inspect_app.sites.service import site_scope
from inspect_app.sites.visibility import readable_clause

SIZES = ("thumb", "display", "original")


@dataclass(frozen=True)
class Slot:
    """Where a new photo goes: an inspection's item, a rectification item, or a site itself
    (a photo for an outcome recorded on the spot, attached to it when the outcome is sent)."""

    item_code: str
    inspection_id: int | None = None
    rectification_id: int | None = None
    site_id: int | None = None


def find_photo(*, session: Session, uuid: str) -> Photo | None:
    return session.exec(select(Photo).where(Photo.uuid == uuid)).first()


def get_photo(*, session: Session, user: CurrentUser, uuid: str) -> tuple[Photo, PhotoBlob]:
    """A photo whose site this user may see, and whose inspection, if it belongs to one, they
    may see (a draft's photos are its inspector's and the office's); 404 otherwise."""
    site_id = func.coalesce(Inspection.site_id, Rectification.site_id, Photo.site_id)
    row = session.exec(
        select(Photo, PhotoBlob)
        .join(PhotoBlob, PhotoBlob.sha256 == Photo.sha256)
        .outerjoin(Inspection, Inspection.id == Photo.inspection_id)
        .outerjoin(Rectification, Rectification.id == Photo.rectification_id)
        .join(Site, Site.id == site_id)
        .where(
            Photo.uuid == uuid,
            *site_scope(user),
            or_(Inspection.id.is_(None), readable_clause(user)),
        )
    ).first()
    if row is None:
        raise NotFound(_("This photo does not exist or is not visible to you."))
    return row


def blobs_for(*, session: Session, photos: dict[str, list[Photo]]) -> list[PhotoBlob]:
    hashes = {p.sha256 for group in photos.values() for p in group}
    if not hashes:
        return []
    return list(session.exec(select(PhotoBlob).where(PhotoBlob.sha256.in_(hashes))))


def replay_or_conflict(*, photo: Photo, slot: Slot, sha256: str | None) -> Photo:
    """The same photo sent again is answered with what is stored; other content is refused."""
    if (photo.inspection_id, photo.rectification_id, photo.site_id, photo.item_code) != (
        slot.inspection_id,
        slot.rectification_id,
        slot.site_id,
        slot.item_code,
    ):
        raise Conflict(_("This photo id is already used for another item."))
    if sha256 is not None and photo.sha256 != sha256:
        raise Conflict(_("This photo id is already used for a different picture."))
    return photo


def save_files(*, storage: PhotoStorage, processed: ProcessedPhoto, original: Path) -> list[str]:
    """Write the original and derivatives unless already stored; returns the keys written."""
    keys = photo_keys(processed.sha256)
    written = []
    for size, data in (
        ("original", original),
        ("display", processed.display),
        ("thumb", processed.thumb),
    ):
        if not storage.exists(keys[size]):
            storage.put(keys[size], data)
            written.append(keys[size])
    return written


def record_photo(
    *, session: Session, user: CurrentUser, slot: Slot, photo_uuid: str, processed: ProcessedPhoto
) -> Photo:
    """The database rows for a stored photo (the blob once per content)."""
    if session.get(PhotoBlob, processed.sha256) is None:
        try:
            with session.begin_nested():  # another request may store the same content meanwhile
                session.add(
                    PhotoBlob(
                        sha256=processed.sha256,
                        content_type=processed.content_type,
                        byte_size=processed.byte_size,
                        width=processed.width,
                        height=processed.height,
                        taken_at=processed.taken_at,
                        gps_latitude=processed.gps_latitude,
                        gps_longitude=processed.gps_longitude,
                    )
                )
        except IntegrityError:
            pass
    photo = Photo(
        uuid=photo_uuid,
        sha256=processed.sha256,
        inspection_id=slot.inspection_id,
        rectification_id=slot.rectification_id,
        site_id=slot.site_id,
        item_code=slot.item_code,
        uploaded_by=user.id,
    )
    try:
        with session.begin_nested():
            session.add(photo)
    except IntegrityError:
        # PostgreSQL: an overlapping copy of this request recorded the photo id first.
        existing = find_photo(session=session, uuid=photo_uuid)
        if existing is None:
            raise
        return replay_or_conflict(photo=existing, slot=slot, sha256=processed.sha256)
    return photo


def discard_unrecorded(
    *, session: Session, storage: PhotoStorage, sha256: str, keys: list[str]
) -> None:
    """Delete files a failed upload wrote, unless a record of the same content exists now (an
    overlapping request that found them already stored relies on them)."""
    if session.get(PhotoBlob, sha256) is None:
        for key in keys:
            storage.delete(key)


def delete_photo(*, session: Session, inspection: Inspection, uuid: str) -> None:
    """Remove a photo from a draft (a wrong shot); its files stay while other records use them."""
    photo = find_photo(session=session, uuid=uuid)
    if photo is None or photo.inspection_id != inspection.id:
        raise NotFound(_("This photo does not exist or is not visible to you."))
    session.delete(photo)
    session.flush()


def photo_urls(photo: Photo, *, staff: bool) -> dict[str, str]:
    sizes = SIZES if staff else SIZES[:2]
    return {size: f"/api/v1/photos/{photo.uuid}/{size}" for size in sizes}
