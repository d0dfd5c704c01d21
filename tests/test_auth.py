"""Sign-in, rate limits, CSRF, sessions (revocation, idle timeout, deactivation)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from inspect_app.models import AuthSession, User, utcnow
from tests.helpers.app import csrf_token, post_form, sign_in
from tests.helpers.html import visible_text


def test_login_success_sets_session_and_greets_user(client):
    response = sign_in(client, "inspector1")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("sid="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    home = client.get("/")
    assert home.status_code == 200
    assert (
        "inspector1" not in visible_text(home.text) or "Hello" in home.text or "你好" in home.text
    )


def test_login_follows_only_local_next(client):
    r = post_form(
        client, "/login", {"username": "admin", "password": "demo1234", "next": "/sites?q=x"}
    )
    assert r.headers["location"] == "/sites?q=x"
    client.cookies.clear()
    r = post_form(
        client, "/login", {"username": "admin", "password": "demo1234", "next": "//evil.example/"}
    )
    assert r.headers["location"] == "/"


def test_login_failure_explains_and_creates_no_session(client):
    r = sign_in(client, "inspector1", "wrong-password")
    assert r.status_code == 401
    assert "Wrong username or password" in r.text or "用户名或密码错误" in r.text
    assert "sid=" not in " ".join(r.headers.get_list("set-cookie"))
    assert client.get("/", follow_redirects=False).status_code in (302, 303)


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    wrong = sign_in(client, "inspector1", "nope-nope")
    unknown = sign_in(client, "nobody-here", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert visible_text(wrong.text).replace("inspector1", "") == visible_text(unknown.text).replace(
        "nobody-here", ""
    )


def test_rate_limit_per_account_blocks_unknown_devices_even_with_the_right_password(
    client, settings
):
    for _ in range(settings.login_max_failures_per_account):
        assert sign_in(client, "owner1", "bad-password").status_code == 401
    blocked = sign_in(client, "owner1")  # this browser never signed in to owner1: unknown
    assert blocked.status_code == 429
    assert "1 minute" in blocked.text or "1 分钟" in blocked.text  # how long to wait
    # another account from the same address is not blocked by owner1's failures
    assert sign_in(client, "owner2").status_code == 303


def test_failures_with_made_up_names_never_block_another_account(client, settings):
    # (The old per-address limit refused every account behind the address: issue 10, 4.)
    for i in range(settings.login_max_failures_per_address):
        sign_in(client, f"ghost{i}", "bad-password")
    assert sign_in(client, "inspector2").status_code == 303


def test_successful_login_clears_the_account_counter(client, settings):
    for _ in range(settings.login_max_failures_per_account - 1):
        sign_in(client, "owner3", "bad-password")
    assert sign_in(client, "owner3").status_code == 303
    client.cookies.clear()
    for _ in range(settings.login_max_failures_per_account - 1):
        sign_in(client, "owner3", "bad-password")
    assert sign_in(client, "owner3").status_code == 303


def test_csrf_missing_or_wrong_token_is_refused(client, login_as):
    client.get("/login")
    r = client.post(
        "/login", data={"username": "admin", "password": "demo1234"}, follow_redirects=False
    )
    assert r.status_code == 403
    assert "security token" in r.text or "安全令牌" in r.text
    admin = login_as("admin")
    csrf_token(admin)
    r = admin.post(
        "/account/tokens", data={"name": "x", "_csrf_token": "forged"}, follow_redirects=False
    )
    assert r.status_code == 403
    r = admin.post("/admin/teams/new", data={"name_zh": "X组"}, follow_redirects=False)
    assert r.status_code == 403


def test_logout_ends_the_session(login_as):
    c = login_as("supervisor")
    assert post_form(c, "/logout").status_code == 303
    assert c.get("/", follow_redirects=False).status_code in (302, 303)


def test_revoking_a_session_from_another_device_signs_it_out(login_as, world):
    phone = login_as("inspector3")
    laptop = login_as("inspector3")
    with world.session() as s:
        sessions = s.exec(
            AuthSession.__table__.select().where(AuthSession.user_id == world.user("inspector3").id)
        ).all()
    assert len(sessions) == 2
    phone_session = max(sessions, key=lambda row: row.id).id - 1  # the first one was the phone
    page = laptop.get("/account")
    assert page.status_code == 200
    r = post_form(laptop, f"/account/sessions/{phone_session}/revoke")
    assert r.status_code == 303
    assert phone.get("/", follow_redirects=False).status_code in (302, 303)
    assert laptop.get("/").status_code == 200


def test_cannot_revoke_someone_elses_session(login_as, world):
    login_as("inspector4")
    other = login_as("inspector5")
    with world.session() as s:
        victim = s.exec(
            AuthSession.__table__.select().where(AuthSession.user_id == world.user("inspector4").id)
        ).first()
    assert post_form(other, f"/account/sessions/{victim.id}/revoke").status_code == 404


def test_idle_session_expires(login_as, world, settings):
    c = login_as("owner1")
    with world.session() as s:
        s.exec(
            update(AuthSession).values(
                last_seen_at=utcnow() - timedelta(hours=settings.session_idle_hours + 1)
            )
        )
    r = c.get("/", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_deactivated_account_cannot_sign_in_and_loses_sessions(login_as, world):
    c = login_as("inspector6")
    with world.session() as s:
        s.exec(update(User).where(User.username == "inspector6").values(active=False))
    assert c.get("/", follow_redirects=False).status_code in (302, 303)
    assert sign_in(c, "inspector6").status_code == 401


def test_unauthenticated_pages_redirect_to_login_with_next(client):
    r = client.get("/sites?q=abc", follow_redirects=False)
    assert r.status_code in (302, 303)
    assert r.headers["location"] == "/login?next=/sites%3Fq%3Dabc"
