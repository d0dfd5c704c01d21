"""Building rectification items for tests: a real inspection, submitted through the API."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import update
from sqlmodel import select

from inspect_app.models import Rectification, Site, TeamMember, User
from tests.conftest import office_today


def jpeg(color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


def inspector_of(world, site: Site) -> str:
    with world.session() as s:
        member = s.exec(
            select(TeamMember.user_id).where(TeamMember.team_id == site.team_id)
        ).first()
        return s.get(User, member).username


def findings(client, api_token, world, site: Site, failed=("F01",), deadline_days=3) -> list[int]:
    """Submit a fire-safety inspection of `site` failing `failed`; returns the new item ids."""
    headers = api_token(inspector_of(world, site))
    key = str(uuid.uuid4())
    deadline = (office_today() + timedelta(days=deadline_days)).isoformat()
    answers = [
        {
            "item_code": f"F{n:02d}",
            "result": "fail" if f"F{n:02d}" in failed else "pass",
            "note": f"Finding at F{n:02d}" if f"F{n:02d}" in failed else "",
            "deadline": deadline if f"F{n:02d}" in failed else None,
        }
        for n in range(1, 9)
    ]
    body = {
        "site_id": site.id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": answers,
    }
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=body).status_code == 200
    for code in failed:
        r = client.put(
            f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
            headers=headers,
            files={
                "file": ("f.jpg", io.BytesIO(jpeg((200, 10 * int(code[1:]), 30))), "image/jpeg")
            },
            data={"item_code": code},
        )
        assert r.status_code == 200, r.text
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json={**body, "submit": True})
    assert r.status_code == 200, r.text
    with world.session() as s:
        return sorted(
            s.exec(
                select(Rectification.id)
                .where(Rectification.site_id == site.id, Rectification.item_code.in_(failed))
                .order_by(Rectification.id.desc())
                .limit(len(failed))
            ).all()
        )


def set_deadline(world, item_id: int, deadline: date) -> None:
    with world.session() as s:
        s.exec(update(Rectification).where(Rectification.id == item_id).values(deadline=deadline))


def evidence(client, headers, item_id: int, color=(30, 160, 60)) -> str:
    """Upload a photo for an item (a fix or an 'after' photo); returns its id."""
    photo_id = str(uuid.uuid4())
    r = client.put(
        f"/api/v1/rectifications/{item_id}/photos/{photo_id}",
        headers=headers,
        files={"file": ("fix.jpg", io.BytesIO(jpeg(color)), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    return photo_id
