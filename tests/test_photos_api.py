"""Photos through the API: size, pixel and type rules, replays and dedupe, metadata for staff
only, nothing half-written, and who may see which size."""

from __future__ import annotations

import io
import uuid

import pytest
from litestar.testing import TestClient
from PIL import Image
from sqlmodel import select

from inspect_app.app import create_app
from inspect_app.models import TeamMember, User
from tests.helpers.app import make_settings, require_shared_photos
from tests.helpers.data import (
    all_pass,
    body,
    counts,
    draft_for,
    gps_jpeg,
    jpeg,
    stored_files,
    team_site,
    upload,
)

MAX_BYTES = 300_000
MAX_PIXELS = 4_000_000


@pytest.fixture
def settings(database_url, tmp_path):
    """Small caps, so the limits can be reached with small files."""
    return make_settings(
        tmp_path, database_url, photo_max_bytes=MAX_BYTES, photo_max_pixels=MAX_PIXELS
    )


def test_upload_serves_three_sizes_with_caching_and_no_metadata(client, api_token, world):
    key, headers = draft_for(client, api_token, world)
    original = gps_jpeg()
    r = upload(client, headers, key, original)
    assert r.status_code == 200, r.text
    photo = r.json()
    assert set(photo["urls"]) == {"thumb", "display", "original"}
    assert photo["gps_latitude"] == pytest.approx(31.2278, abs=1e-3)
    assert photo["gps_longitude"] == pytest.approx(121.4639, abs=1e-3)
    for size in ("thumb", "display"):
        served = client.get(photo["urls"][size], headers={**headers, "Accept-Encoding": "br, gzip"})
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert "content-encoding" not in served.headers  # a JPEG is not compressed twice
        assert "private" in served.headers["cache-control"] and served.headers["etag"]
        assert served.headers["x-content-type-options"] == "nosniff"
        image = Image.open(io.BytesIO(served.content))
        assert not image.getexif() and b"Exif" not in served.content
    assert client.get(photo["urls"]["original"], headers=headers).content == original


def test_replays_are_idempotent_and_other_content_is_a_conflict(client, api_token, world, settings):
    key, headers = draft_for(client, api_token, world)
    data = jpeg()
    photo_uuid = str(uuid.uuid4())
    first = upload(client, headers, key, data, photo_uuid=photo_uuid)
    again = upload(client, headers, key, data, photo_uuid=photo_uuid)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert upload(client, headers, key, jpeg((0, 0, 255)), photo_uuid=photo_uuid).status_code == 409
    assert upload(client, headers, key, data, photo_uuid=photo_uuid, item="F02").status_code == 409
    files = len(stored_files(settings))
    assert upload(client, headers, key, data).status_code == 200  # same picture, new id
    assert counts(world) == (2, 1) and len(stored_files(settings)) == files  # stored once


def test_oversize_upload_is_413_and_leaves_nothing(client, api_token, world, settings):
    key, headers = draft_for(client, api_token, world)
    noise = Image.frombytes("RGB", (400, 400), bytes(range(256)) * 1875)
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    big = buf.getvalue() + b"\0" * MAX_BYTES
    r = upload(client, headers, key, big, name="big.png", ctype="image/png")
    assert r.status_code == 413 and r.json()["error"]["code"] == "photo_too_large"
    assert "MB" in r.json()["error"]["message"]
    assert counts(world) == (0, 0) and stored_files(settings) == []
    assert not any((settings.var_dir / "tmp").glob("*"))


def test_too_many_pixels_is_422(client, api_token, world, settings):
    key, headers = draft_for(client, api_token, world)
    buf = io.BytesIO()
    Image.new("L", (2100, 2000), 128).save(buf, "PNG")
    r = upload(client, headers, key, buf.getvalue(), name="huge.png", ctype="image/png")
    assert r.status_code == 422 and r.json()["error"]["code"] == "photo_too_many_pixels"
    assert counts(world) == (0, 0) and stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("invoice.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
        ("notes.jpg", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_files_that_are_not_photos_are_415(client, api_token, world, settings, name, data):
    key, headers = draft_for(client, api_token, world)
    r = upload(client, headers, key, data, name=name)
    assert r.status_code == 415 and r.json()["error"]["message"]
    assert counts(world) == (0, 0) and stored_files(settings) == []


def test_truncated_jpeg_is_422_and_leaves_nothing(client, api_token, world, settings):
    key, headers = draft_for(client, api_token, world)
    buf = io.BytesIO()
    Image.frombytes("RGB", (300, 300), bytes(i * 7 % 256 for i in range(270_000))).save(buf, "JPEG")
    r = upload(client, headers, key, buf.getvalue()[: len(buf.getvalue()) // 2])
    assert r.status_code == 422 and r.json()["error"]["code"] == "photo_unreadable"
    assert counts(world) == (0, 0) and stored_files(settings) == []


def test_html_appended_to_a_jpeg_is_never_served_as_html(client, api_token, world):
    key, headers = draft_for(client, api_token, world)
    r = upload(client, headers, key, jpeg() + b"<html><script>alert(1)</script></html>")
    if r.status_code == 200:
        for size in ("display", "thumb"):
            served = client.get(r.json()["urls"][size], headers=headers)
            assert (
                served.headers["content-type"] == "image/jpeg" and b"<script" not in served.content
            )
    else:
        assert r.status_code in (415, 422)


def test_photo_rules_per_item_and_inspection_state(client, api_token, world):
    key, headers = draft_for(client, api_token, world)
    r = upload(client, headers, key, jpeg(), item="Z99")
    assert r.status_code == 422 and "item_code" in r.json()["error"]["fields"]
    r = client.put(
        f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
        headers=headers,
        content=b"not multipart",
    )
    assert r.status_code in (400, 415)
    site = team_site(world, "inspector1")
    done = str(uuid.uuid4())
    client.put(f"/api/v1/inspections/{done}", headers=headers, json=body(site.id, all_pass(), True))
    assert upload(client, headers, done, jpeg()).status_code == 409


def test_who_may_see_which_photo_size(client, api_token, world):
    site = world.owned_by("owner1")[0]
    with world.session() as s:
        member = s.exec(
            select(TeamMember.user_id).where(TeamMember.team_id == site.team_id)
        ).first()
        inspector = s.get(User, member).username
    key, headers = draft_for(client, api_token, world, inspector, site)
    photo = upload(client, headers, key, gps_jpeg()).json()
    assert (
        client.put(
            f"/api/v1/inspections/{key}",
            headers=headers,
            json=body(
                site.id,
                [*all_pass()[1:], {"item_code": "F01", "result": "fail"}],
                True,
            ),
        ).status_code
        == 200
    )
    urls = photo["urls"]
    owner = api_token("owner1")
    assert client.get(urls["thumb"], headers=owner).status_code == 200
    assert client.get(urls["display"], headers=owner).status_code == 200
    assert client.get(urls["original"], headers=owner).status_code == 403
    seen_by_owner = client.get(f"/api/v1/inspections/{key}", headers=owner).json()
    owner_photo = seen_by_owner["answers"][0]["photos"][0]
    assert owner_photo["gps_latitude"] is None and "original" not in owner_photo["urls"]
    for outsider in ("owner2", "supervisor2", "inspector12"):
        assert client.get(urls["thumb"], headers=api_token(outsider)).status_code == 404
    assert client.get(urls["original"], headers=api_token("supervisor")).status_code == 200
    assert client.get(urls["thumb"]).status_code == 401
    assert client.get(urls["thumb"].replace("/thumb", "/huge"), headers=owner).status_code == 404


@pytest.mark.parametrize("relative", ["heic/mobile/iphone_13_pro_max.HEIC", "jpg/gps/DSCN0010.jpg"])
def test_real_phone_photos_through_the_api(client, api_token, world, settings, tmp_path, relative):
    path = require_shared_photos(relative)
    key, headers = draft_for(client, api_token, world)
    full = create_app(make_settings(tmp_path / "full", settings.database_url))  # default caps
    try:
        with TestClient(full) as phone:
            r = upload(phone, headers, key, path.read_bytes(), name=path.name)
            assert r.status_code == 200, r.text
            photo = r.json()
            assert photo["taken_at"] is not None
            display = phone.get(photo["urls"]["display"], headers=headers)
            image = Image.open(io.BytesIO(display.content))
            assert max(image.size) <= 1600 and not image.getexif()
    finally:
        full.state.db.dispose()
