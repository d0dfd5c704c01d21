"""Issue 10, section 7: an inactive team grants nothing; users change their own password;
sessions have an absolute lifetime; API tokens expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, text, update
from sqlmodel import Session, select

from inspect_app import migrate
from inspect_app.models import ApiToken, AuthSession, Site, Team, utcnow
from tests.helpers.app import DEMO_PASSWORD, post_form, sign_in

NEW = "a-brand-new-secret"


def signed_in(client) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def new_token(client, username: str, password: str = DEMO_PASSWORD) -> tuple[dict, int]:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}, r.json()["token_id"]


# --- deactivating a team ---------------------------------------------------------------------


def test_deactivating_a_team_takes_away_its_inspectors_sites(login_as, client, world):
    with world.session() as s:
        team = s.exec(select(Team).where(Team.name_en == "Team 1")).one()
        sites = s.exec(select(Site.id).where(Site.team_id == team.id, Site.active)).all()
    site_id = world.site_named("华鼎大厦").id
    assert site_id in sites
    inspector = login_as("inspector1")
    headers, _ = new_token(client, "inspector1")
    assert inspector.get(f"/sites/{site_id}").status_code == 200
    assert client.get(f"/api/v1/sites/{site_id}", headers=headers).status_code == 200
    before = client.get("/api/v1/sites", headers=headers).json()["total"]
    assert before >= len(sites)

    admin = login_as("admin")
    form = {"name_zh": team.name_zh, "name_en": team.name_en}  # "active" unticked
    assert post_form(admin, f"/admin/teams/{team.id}", form).status_code == 303

    assert inspector.get(f"/sites/{site_id}").status_code == 404
    assert client.get(f"/api/v1/sites/{site_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/sites", headers=headers).json()["total"] == before - len(sites)
    assert team.id not in client.get("/api/v1/me", headers=headers).json()["team_ids"]

    assert (
        post_form(admin, f"/admin/teams/{team.id}", {**form, "active": "true"}).status_code == 303
    )
    assert inspector.get(f"/sites/{site_id}").status_code == 200


# --- changing one's own password ---------------------------------------------------------------


def change(client, current: str, new: str = NEW, again: str | None = None):
    data = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return post_form(client, "/account/password", data)


def test_changing_ones_password_ends_other_sessions_and_tokens(login_as, client, app):
    phone = login_as("inspector5")
    laptop = login_as("inspector5")
    laptop.cookies.set("locale", "en")
    headers, _ = new_token(client, "inspector5")
    r = change(laptop, DEMO_PASSWORD)
    assert r.status_code == 200
    assert "Your password has been changed" in r.text
    assert signed_in(laptop)  # the session that made the change stays
    assert not signed_in(phone)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert sign_in(client, "inspector5").status_code == 401
    assert sign_in(client, "inspector5", NEW).status_code == 303


def test_a_password_change_needs_the_current_password_and_a_good_new_one(login_as):
    laptop = login_as("inspector6")
    laptop.cookies.set("locale", "en")
    for args, field, message in [
        (("wrong-password",), "current_password", "The current password is wrong."),
        ((DEMO_PASSWORD, "short"), "new_password", "A password needs at least 8 characters."),
        ((DEMO_PASSWORD, NEW, NEW + "x"), "new_password_again", "The two new passwords differ."),
    ]:
        r = change(laptop, *args)
        assert r.status_code == 422, field
        assert message in r.text and 'id="e-' + field + '"' in r.text
    assert signed_in(laptop)
    csrf_less = laptop.post(
        "/account/password",
        data={"current_password": DEMO_PASSWORD, "new_password": NEW, "new_password_again": NEW},
        follow_redirects=False,
    )
    assert csrf_less.status_code == 403
    assert sign_in(login_as("admin"), "inspector6").status_code == 303  # unchanged


def test_wrong_current_passwords_count_as_failed_sign_ins(login_as, settings):
    laptop = login_as("inspector7")
    for _ in range(settings.login_max_failures_per_device):
        assert change(laptop, "wrong-password").status_code == 422
    assert change(laptop, DEMO_PASSWORD).status_code == 429  # guessing through the form waits


def test_a_strangers_guesses_never_stop_the_owner_changing_their_password(
    login_as, client, settings
):
    laptop = login_as("inspector8")
    for _ in range(settings.login_max_failures_per_account + 3):
        sign_in(client, "inspector8", "wrong-password")
    assert sign_in(client, "inspector8").status_code == 429  # the stranger's device waits
    assert change(laptop, DEMO_PASSWORD).status_code == 200  # the owner's session does not


def test_a_new_password_retires_the_old_device_cookies(login_as, client, settings):
    old_phone = login_as("inspector9")  # holds a device cookie earned with the old password
    old_phone.cookies.delete("sid")
    laptop = login_as("inspector9")
    assert change(laptop, DEMO_PASSWORD).status_code == 200
    for _ in range(settings.login_max_failures_per_account + 1):
        sign_in(client, "inspector9", "wrong-password")
    # The old phone is now an unknown device: the stranger's lock applies to it too.
    assert sign_in(old_phone, "inspector9", NEW).status_code == 429


def test_password_change_through_the_api_keeps_the_token_in_use(client, login_as):
    browser = login_as("owner3")
    headers, _ = new_token(client, "owner3")
    other, _ = new_token(client, "owner3")
    body = {"current_password": DEMO_PASSWORD, "new_password": NEW}
    wrong = client.post(
        "/api/v1/auth/password", json={**body, "current_password": "nope"}, headers=headers
    )
    assert wrong.status_code == 422
    assert "current_password" in wrong.json()["error"]["fields"]
    assert client.post("/api/v1/auth/password", json=body).status_code == 401
    assert client.post("/api/v1/auth/password", json=body, headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=other).status_code == 401
    assert not signed_in(browser)
    new_token(client, "owner3", NEW)


# --- session lifetime and token expiry ---------------------------------------------------------


def test_a_busy_session_still_ends_after_its_absolute_lifetime(login_as, world, settings):
    browser = login_as("owner2")
    assert signed_in(browser)
    with world.session() as s:
        s.exec(
            update(AuthSession).values(
                created_at=utcnow() - timedelta(days=settings.session_max_days, minutes=1),
                last_seen_at=utcnow(),
            )
        )
    r = browser.get("/account", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_session_cookie_lasts_no_longer_than_the_session(client, settings):
    r = sign_in(client, "owner2")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("sid="))
    assert f"Max-Age={int(settings.session_max_days * 86400)}" in cookie


def test_api_tokens_expire_after_90_days_and_say_so(client, login_as, world, settings):
    assert settings.api_token_days == 90
    headers, token_id = new_token(client, "supervisor")
    listed = client.get("/api/v1/auth/tokens", headers=headers).json()
    (mine,) = [t for t in listed if t["id"] == token_id]
    with world.session() as s:
        token = s.get(ApiToken, token_id)
    assert abs(token.expires_at - token.created_at - timedelta(days=90)) < timedelta(seconds=5)
    assert mine["expired"] is False and mine["expires_at"].startswith(
        token.expires_at.isoformat()[:16]
    )
    browser = login_as("supervisor")
    page = browser.get("/account").text
    assert f'datetime="{token.expires_at.isoformat()}"' in page

    with world.session() as s:
        s.exec(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    refused = client.get("/api/v1/me", headers={**headers, "Accept-Language": "en"})
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert error["code"] == "token_expired" and "expired" in error["message"]
    fresh, _ = new_token(client, "supervisor")
    listed = client.get("/api/v1/auth/tokens", headers=fresh).json()
    assert [t["expired"] for t in listed if t["id"] == token_id] == [True]
    assert "Expired" in browser.get("/account", headers={"Accept-Language": "en"}).text


def test_the_migration_gives_existing_tokens_90_days(empty_database):
    engine = create_engine(empty_database)
    try:
        migrate.upgrade(engine, "7c1e5a9d3b20")  # the revision before token expiry
        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (username, password_hash, display_name, role, city_wide,'
                    " active, phone, created_at) VALUES ('old', 'x', '', 'admin', true, true, '',"
                    " :now)"
                ),
                {"now": utcnow()},
            )
            conn.execute(
                text(
                    "INSERT INTO api_token (token_hash, user_id, name, created_at)"
                    " SELECT 'h', id, 'old', :now FROM \"user\""
                ),
                {"now": utcnow()},
            )
        migrate.upgrade(engine)
        with Session(engine) as s:
            (token,) = s.exec(select(ApiToken)).all()
        assert abs(token.expires_at - utcnow() - timedelta(days=90)) < timedelta(minutes=1)
    finally:
        engine.dispose()
