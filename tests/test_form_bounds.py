"""Page forms are bounded like the API: a report naming thousands of photos, or a note longer
than its column, is a clear 422 at the field and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from inspect_app.models import RectificationEvent
from inspect_app.rectifications.schemas import MAX_PHOTOS, NOTE_MAX
from tests.helpers.app import post_form
from tests.helpers.data import findings


@pytest.fixture
def item(client, api_token, world):
    site = world.owned_by("owner1")[0]
    return findings(client, api_token, world, site, failed=("F02",))[0]


def events(world, item_id: int) -> list[str]:
    with world.session() as s:
        rows = s.exec(
            select(RectificationEvent.kind).where(RectificationEvent.rectification_id == item_id)
        ).all()
    return [k.value for k in rows]


@pytest.mark.parametrize(
    "data",
    [
        {"note": "done", "photo_ids": ",".join(str(uuid.uuid4()) for _ in range(5000))},
        {"note": "x" * (NOTE_MAX + 1), "photo_ids": ""},
    ],
    ids=["thousands-of-photos", "note-too-long"],
)
def test_an_unbounded_report_is_refused_at_the_field(login_as, item, world, data):
    owner = login_as("owner1")
    owner.cookies.set("locale", "en")
    r = post_form(owner, f"/rectifications/{item}/report-fixed", data)
    assert r.status_code == 422
    assert f"At most {MAX_PHOTOS} photos" in r.text or f"At most {NOTE_MAX} characters" in r.text
    assert events(world, item) == ["created"]


def test_a_list_filter_naming_no_possible_site_says_to_choose_from_the_list(login_as):
    supervisor = login_as("supervisor")
    supervisor.cookies.set("locale", "en")
    for raw in ("²", "99999999999999999999", "-1"):
        r = supervisor.get(f"/rectifications?site_id={raw}")
        assert r.status_code == 400 and "Choose one from the list." in r.text, raw
