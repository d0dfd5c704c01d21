"""The business's link: a capability for one site (>= 128 bits, only its hash stored), opened
without an account; GET writes nothing; actions need a button press and the CSRF token; it
expires after the last item closes, is revoked by staff and replaced by each new notice; it
never reaches another site; events say "the business, via the notice link"."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import select, update

from inspect_app.app import create_app
from inspect_app.links import tokens
from inspect_app.models import (
    BusinessLink,
    Photo,
    Rectification,
    RectificationStatus,
    Site,
    User,
)
from tests.helpers.app import english, make_settings, office_today, post_form, says
from tests.helpers.data import findings, gps_jpeg, inspector_of
from tests.helpers.html import parse
from tests.helpers.links import current_link, link_path, link_upload, row_counts

LABEL = "the business, via the notice link"


@pytest.fixture
def site(world) -> Site:
    return world.owned_by("owner1")[0]


@pytest.fixture
def item(client, api_token, world, site) -> int:
    return findings(client, api_token, world, site)[0]


@pytest.fixture
def business(app):
    """A fresh browser of the business: no account, no cookies."""
    from litestar.testing import TestClient

    with TestClient(app) as c:
        yield english(c)


def test_the_token_has_128_bits_and_only_its_hash_is_stored(world, site, item):
    link = current_link(world, site.id)
    token = tokens.derive(world.db.settings.secret_key, link.nonce)
    assert len(token) >= 22 and tokens.well_formed(token)  # 22 x 6 = 132 bits
    assert len(bytes.fromhex(link.nonce)) * 8 >= 128
    assert link.token_hash == tokens.digest(token) and token not in link.token_hash
    with world.session() as s:
        stored = " ".join(
            str(v) for row in s.exec(select(BusinessLink)) for v in row.__dict__.values()
        )
    assert token not in stored
    # another secret makes another token: a copy of the database alone opens nothing
    assert tokens.derive("another-secret", link.nonce) != token


def test_the_business_opens_its_page_without_an_account(business, world, site, item):
    path = link_path(world, site.id)
    r = business.get(path)
    assert r.status_code == 200
    page = parse(r.text)
    assert site.name_zh in r.text or site.name_en in r.text
    with world.session() as s:
        from inspect_app.models import Notice

        number = s.exec(select(Notice.number).where(Notice.site_id == site.id)).first()
    assert number in r.text
    assert "Finding at F01" in r.text  # the inspector's note
    thumbs = [img.get("src") for img in page.select("#link-items img")]
    assert thumbs and all(src.startswith(f"{path}/photos/") for src in thumbs)
    assert "/api/v1/photos" not in r.text and inspector_of(world, site) not in r.text
    assert page.select(f"#item-{item} button")  # report fixed
    assert page.select("#recheck button")  # apply for a re-check


def test_opening_the_link_writes_nothing(business, world, site, item):
    path = link_path(world, site.id)
    before = row_counts(world)
    with world.session() as s:
        photo = s.exec(select(Photo.uuid).where(Photo.inspection_id.is_not(None))).first()
    for url in (path, f"{path}/photos/{photo}/thumb", "/n/" + "A" * 22, "/n/short"):
        business.get(url)
    assert row_counts(world) == before


def test_unknown_expired_and_revoked_links_say_to_contact_the_office(
    business, login_as, world, site, item
):
    r = business.get("/n/" + "A" * 22)
    assert r.status_code == 404 and says(r.text, "contact the subdistrict office")
    assert "Traceback" not in r.text
    path = link_path(world, site.id)
    staff = login_as(inspector_of(world, site))
    r = post_form(staff, f"/sites/{site.id}/business-link/revoke", {"next": f"/sites/{site.id}"})
    assert r.status_code == 303
    r = business.get(path)
    assert r.status_code == 410 and says(r.text, "This link was withdrawn by the office.")


def test_a_link_expires_30_days_after_the_last_item_closes(business, world, site, item):
    path = link_path(world, site.id)
    zone = ZoneInfo(world.db.settings.time_zone)

    def closed_days_ago(days: int) -> int:
        day = office_today() - timedelta(days=days)
        moment = datetime.combine(day, time(12), zone).astimezone(UTC)
        with world.db.session(write=True) as s:
            s.exec(
                update(Rectification)
                .where(Rectification.site_id == site.id)
                .values(status=RectificationStatus.closed, resolved_at=moment)
            )
            s.exec(update(BusinessLink).values(created_at=moment - timedelta(days=1)))
        return business.get(path).status_code

    assert business.get(path).status_code == 200  # items active: it does not expire
    assert closed_days_ago(30) == 200  # the 30th day after is the last it works
    assert closed_days_ago(31) == 410
    assert says(business.get(path).text, "This link has expired")


def test_a_new_notice_replaces_the_link(client, api_token, business, world, site, item):
    old = link_path(world, site.id)
    findings(client, api_token, world, site, failed=("F02",))
    new = link_path(world, site.id)
    assert new != old
    assert business.get(new).status_code == 200
    r = business.get(old)
    assert r.status_code == 410 and says(r.text, "replaced by the one on a newer notice")


def test_report_fixed_through_the_link_needs_csrf_a_photo_and_a_button_press(
    business, login_as, world, site, item
):
    path = link_path(world, site.id)
    business.get(path)
    # without the CSRF token: refused, nothing stored
    r, _photo = link_upload(business, path, item, csrf=False)
    assert r.status_code == 403
    r = business.post(f"{path}/items/{item}/fixed", data={"note": "done"}, follow_redirects=False)
    assert r.status_code == 403
    # without a photo: the page again, with the reason, the note kept
    r = post_form(business, f"{path}/items/{item}/fixed", {"note": "换了新灭火器"})
    assert r.status_code == 422 and says(r.text, "Add at least one photo of the fix.")
    assert parse(r.text).select_one(f"#note-{item}").text.strip() == "换了新灭火器"
    # a photo first, then the note and the button
    r, photo = link_upload(business, path, item)
    assert r.status_code == 200, r.text
    r = post_form(
        business, f"{path}/items/{item}/fixed", {"note": "换了新灭火器", "photo_ids": photo}
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}#item-{item}"
    page = business.get(path).text
    assert says(page, "Thank you. The office will check the fix.")
    assert says(page, "Reported fixed: waiting for the inspector's check")
    with world.session() as s:
        assert s.get(Rectification, item).status == RectificationStatus.fix_reported
    # staff read who did it: the business, via the notice link
    staff = english(login_as(inspector_of(world, site)))
    history = parse(staff.get(f"/rectifications/{item}").text).select_one("#history").text
    assert LABEL in history
    zh = login_as(inspector_of(world, site))
    zh.cookies.set("locale", "zh_CN")
    assert "企业（通过通知书链接）" in zh.get(f"/rectifications/{item}").text
    api = staff.get(f"/api/v1/rectifications/{item}").json()
    assert api["events"][-1]["actor_name"] == LABEL


def test_a_refused_photo_says_why(business, world, site, item):
    path = link_path(world, site.id)
    r, _photo = link_upload(business, path, item, data=b"<html>not a photo</html>")
    assert r.status_code == 415
    assert r.json()["error"]["message"]


def test_photos_through_the_link_are_derivatives_without_gps(
    client, api_token, business, world, site
):
    headers = api_token(inspector_of(world, site))
    item = findings(client, api_token, world, site)[0]
    with world.session() as s:
        finding = s.exec(
            select(Photo)
            .join(Rectification, Rectification.inspection_id == Photo.inspection_id)
            .where(Rectification.id == item)
        ).first()
    path = link_path(world, site.id)
    assert business.get(f"{path}/photos/{finding.uuid}/original").status_code == 404
    for size in ("thumb", "display"):
        r = business.get(f"{path}/photos/{finding.uuid}/{size}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(r.content))
        assert not image.getexif() and "exif" not in image.info
    assert headers  # (the inspector's token made the finding)
    assert gps_jpeg()  # the helper exists; the pipeline's GPS tests live in test_photos


def test_a_link_never_reaches_another_sites_items_or_photos(
    client, api_token, business, world, site, item
):
    other = world.owned_by("owner2")[0]
    other_item = findings(client, api_token, world, other)[0]
    with world.session() as s:
        other_photo = s.exec(
            select(Photo.uuid)
            .join(Rectification, Rectification.inspection_id == Photo.inspection_id)
            .where(Rectification.id == other_item)
        ).first()
    path = link_path(world, site.id)
    assert other.name_zh not in business.get(path).text
    assert business.get(f"{path}/photos/{other_photo}/thumb").status_code == 404
    r, photo = link_upload(business, path, other_item)
    assert r.status_code == 404
    r = post_form(business, f"{path}/items/{other_item}/fixed", {"note": "x", "photo_ids": photo})
    assert r.status_code == 404
    with world.session() as s:
        assert s.get(Rectification, other_item).status == RectificationStatus.open


def test_the_link_account_is_never_listed_and_never_signs_in(client, login_as, world, site, item):
    link = current_link(world, site.id)
    with world.session() as s:
        account = s.get(User, link.user_id)
    assert account.link_site_id == site.id and not account.active
    r = client.post(
        "/api/v1/auth/token", json={"username": account.username, "password": "!link-account"}
    )
    assert r.status_code == 401
    admin = login_as("admin")
    assert account.username not in admin.get("/admin/users").text
    assert admin.get(f"/admin/users/{account.id}").status_code == 404
    assert account.username not in admin.get(f"/sites/{site.id}").text


def test_rate_limited_per_link_and_per_address(tmp_path, world, site, item):
    settings = make_settings(
        tmp_path, world.db.settings.database_url, link_rate_per_token=3, link_rate_per_address=5
    )
    settings = type(settings)(**{**settings.__dict__, "secret_key": world.db.settings.secret_key})
    app = create_app(settings)
    from litestar.testing import TestClient

    try:
        with TestClient(app) as c:
            path = link_path(world, site.id)
            assert [c.get(path).status_code for _ in range(3)] == [200] * 3
            r = c.get(path)
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            assert says(
                r.text, "Too many requests through this link. Please wait a minute and try again."
            )
            # other tokens from the same address count against the address
            codes = [c.get("/n/" + f"{n:022d}").status_code for n in range(3)]
            assert codes[:1] == [404] and 429 in codes
    finally:
        app.state.db.dispose()


def test_staff_see_the_qr_copy_revoke_and_reissue(login_as, world, site, item):
    staff = english(login_as(inspector_of(world, site)))
    page = parse(staff.get(f"/sites/{site.id}").text)
    box = page.select_one("#business-link")
    url = box.select_one("#link-url").get("value")
    assert url.endswith(link_path(world, site.id))
    assert box.select_one(".qr img").get("src").startswith("data:image/svg+xml")
    assert box.select_one("[data-copy-link]") is not None
    old = link_path(world, site.id)
    r = post_form(staff, f"/sites/{site.id}/business-link/new", {"next": f"/sites/{site.id}"})
    assert r.status_code == 303
    assert link_path(world, site.id) != old
    # owners do not manage links
    owner = login_as("owner1")
    assert "business-link" not in owner.get(f"/sites/{site.id}").text
    assert post_form(owner, f"/sites/{site.id}/business-link/new").status_code == 403


def test_the_staff_api(client, api_token, world, site, item):
    headers = api_token(inspector_of(world, site))
    url = f"/api/v1/sites/{site.id}/business-link"
    r = client.get(url, headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "active" and body["url"].endswith(link_path(world, site.id))
    assert body["expires_on"] is None and body["revoked_at"] is None
    r = client.post(url, headers=headers)
    assert r.status_code == 201 and r.json()["url"] != body["url"]
    r = client.delete(url, headers=headers)
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert client.delete(url, headers=headers).status_code == 409
    assert client.get(url, headers=api_token("owner1")).status_code == 403
    assert client.get(url, headers=api_token("inspector12")).status_code == 404
    spec = client.get("/schema/openapi.json", headers=headers).json()
    assert set(spec["paths"]["/api/v1/sites/{site_id}/business-link"]) >= {"get", "post", "delete"}


def test_public_url_sets_the_links_base(tmp_path, world, site, item):
    settings = make_settings(
        tmp_path, world.db.settings.database_url, public_url="https://jc.example.cn"
    )
    settings = type(settings)(**{**settings.__dict__, "secret_key": world.db.settings.secret_key})
    app = create_app(settings)
    from litestar.testing import TestClient

    try:
        with TestClient(app) as c:
            from tests.helpers.app import sign_in

            sign_in(c, inspector_of(world, site))
            body = c.get(f"/api/v1/sites/{site.id}/business-link").json()
            assert body["url"] == "https://jc.example.cn" + link_path(world, site.id)
    finally:
        app.state.db.dispose()
