"""Business links in tests: the current link of a site (its token derived as the app does),
and every table's row count (to show that opening a link writes nothing)."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import func, select
from sqlmodel import SQLModel

from inspect_app.links import service, tokens
from inspect_app.models import BusinessLink
from tests.helpers.app import csrf_token
from tests.helpers.data import jpeg


def current_link(world, site_id: int) -> BusinessLink | None:
    with world.session() as s:
        return service.current(session=s, site_id=site_id)


def link_path(world, site_id: int) -> str:
    """/n/<token> of the site's current link."""
    link = current_link(world, site_id)
    assert link is not None, "the site has no link"
    return f"/n/{tokens.derive(world.db.settings.secret_key, link.nonce)}"


def row_counts(world) -> dict[str, int]:
    with world.session() as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


def link_upload(client, path: str, item_id: int, data: bytes | None = None, *, csrf=True):
    """A photo of the fix sent through the link, as its page's script sends it."""
    photo_id = str(uuid.uuid4())
    headers = {"X-CSRFToken": csrf_token(client)} if csrf else {}
    r = client.put(
        f"{path}/items/{item_id}/photos/{photo_id}",
        headers=headers,
        files={"file": ("fix.jpg", io.BytesIO(data or jpeg((30, 160, 60))), "image/jpeg")},
    )
    return r, photo_id
