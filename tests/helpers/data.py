"""Demo data looked up and built for tests: sites, teams, inspections and their photos through
the API the way phones send them, rectification items, login locks."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import func, update
from sqlmodel import select

from inspect_app.models import (
    LoginLock,
    Photo,
    PhotoBlob,
    Rectification,
    Site,
    SiteOwner,
    Team,
    TeamMember,
    User,
)
from tests.helpers.app import csrf_token, office_today

# --- photos ---------------------------------------------------------------------------------


def jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def gps_jpeg() -> bytes:
    image = Image.new("RGB", (80, 60), (20, 120, 200))
    exif = Image.Exif()
    exif[0x0132] = "2026:11:28 10:15:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 13.0, 40.0), 3: "E", 4: (121.0, 27.0, 50.0)})
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def stored_files(settings) -> list[Path]:
    return (
        [p for p in settings.photo_dir.rglob("*") if p.is_file()]
        if settings.photo_dir.exists()
        else []
    )


def counts(world) -> tuple[int, int]:
    """How many photo records and stored blobs there are."""
    with world.session() as s:
        return (
            s.exec(select(func.count()).select_from(Photo)).one(),
            s.exec(select(func.count()).select_from(PhotoBlob)).one(),
        )


# --- sites and teams ------------------------------------------------------------------------


def count_sites(world, *where) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(Site).where(*where)).one()


def team_named(world, name_en: str) -> Team:
    with world.session() as s:
        return s.exec(select(Team).where(Team.name_en == name_en)).one()


def team_of(world, username: str) -> int:
    """The id of the (first) team a user belongs to."""
    user = world.user(username)
    with world.session() as s:
        return s.exec(select(TeamMember.team_id).where(TeamMember.user_id == user.id)).first()


def team_site(world, username: str) -> Site:
    """An enterprise the user's team inspects."""
    return world.sites(Site.team_id == team_of(world, username), Site.kind == "enterprise")[0]


def inspector_of(world, site: Site) -> str:
    with world.session() as s:
        member = s.exec(
            select(TeamMember.user_id).where(TeamMember.team_id == site.team_id)
        ).first()
        return s.get(User, member).username


def owner_names(world, site_id: int) -> set[str]:
    with world.session() as s:
        return set(
            s.exec(
                select(User.username)
                .join(SiteOwner, SiteOwner.user_id == User.id)
                .where(SiteOwner.site_id == site_id)
            )
        )


def site_form(site: Site, **changes) -> dict[str, str]:
    """What the edit form posts for this site, with some fields changed."""
    form = {
        "kind": str(site.kind),
        "name_zh": site.name_zh,
        "name_en": site.name_en,
        "address": site.address,
        "latitude": "" if site.latitude is None else str(site.latitude),
        "longitude": "" if site.longitude is None else str(site.longitude),
        "parent_id": str(site.parent_id or ""),
        "team_id": str(site.team_id or ""),
        "contact_name": site.contact_name,
        "contact_phone": site.contact_phone,
        "credit_code": site.credit_code or "",
    }
    if site.active:
        form["active"] = "true"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def import_sites(client, content: bytes | str, filename: str = "sites.csv"):
    """Upload a CSV file on the import page."""
    raw = content.encode() if isinstance(content, str) else content
    return client.post(
        "/sites/import",
        data={"_csrf_token": csrf_token(client)},
        files={"file": (filename, raw, "text/csv")},
        follow_redirects=False,
    )


# --- inspections ----------------------------------------------------------------------------


def body(site_id, answers=(), submit=False, version=1, code="fire-safety"):
    """An inspection as the API takes it."""
    return {
        "site_id": site_id,
        "template_code": code,
        "template_version": version,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": list(answers),
        "submit": submit,
    }


def all_pass(code_prefix="F", n=8):
    return [{"item_code": f"{code_prefix}{i:02d}", "result": "pass"} for i in range(1, n + 1)]


def draft_for(client, api_token, world, username="inspector1", site=None):
    """A draft inspection failing F01; returns its uuid and the inspector's headers."""
    headers = api_token(username)
    site = site or team_site(world, username)
    key = str(uuid.uuid4())
    answers = [{"item_code": "F01", "result": "fail"}]
    assert (
        client.put(
            f"/api/v1/inspections/{key}", headers=headers, json=body(site.id, answers)
        ).status_code
        == 200
    )
    return key, headers


def upload(
    client, headers, key, data, *, item="F01", photo_uuid=None, name="p.jpg", ctype="image/jpeg"
):
    """Put a photo file on an inspection's item."""
    photo_uuid = photo_uuid or str(uuid.uuid4())
    return client.put(
        f"/api/v1/inspections/{key}/photos/{photo_uuid}",
        headers=headers,
        files={"file": (name, io.BytesIO(data), ctype)},
        data={"item_code": item},
    )


def put_photo(client, headers, inspection_uuid, item_code, data=None, photo_uuid=None):
    return upload(
        client, headers, inspection_uuid, data or jpeg(), item=item_code, photo_uuid=photo_uuid
    )


# --- rectification items --------------------------------------------------------------------


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
        photo = jpeg((200, 10 * int(code[1:]), 30))
        r = upload(client, headers, key, photo, item=code, name="f.jpg")
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


# --- login limits ---------------------------------------------------------------------------


def locks(world, username: str) -> list[LoginLock]:
    with world.session() as s:
        return list(s.exec(select(LoginLock).where(LoginLock.username == username)))
