"""Timestamps keep their instant on every engine, whatever offset the client sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import select

from inspect_app.models import Inspection
from tests.helpers.data import all_pass, body, team_site


def test_an_offset_timestamp_is_stored_as_the_same_instant(client, api_token, world):
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    key = str(uuid.uuid4())
    sent = body(site.id, all_pass())
    sent["started_at"] = "2026-11-28T09:00:00+08:00"
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=sent).status_code == 200

    with world.session() as s:
        stored = s.exec(select(Inspection.started_at).where(Inspection.uuid == key)).one()
    assert stored == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    shown = client.get(f"/api/v1/inspections/{key}", headers=headers).json()["started_at"]
    assert datetime.fromisoformat(shown) == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
