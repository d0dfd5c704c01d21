"""Login limits, continued: the per-(address, account) limit, bounded storage, and the admin page
that lists current locks and lifts one (scoped like every admin page)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from inspect_app.auth import service
from inspect_app.models import LockKind, LoginAttempt, LoginLock, utcnow
from tests.helpers.app import DEMO_PASSWORD, fail, make_city_wide_admin, post_form, sign_in
from tests.helpers.data import locks


def attempt(db, settings, username: str, password: str, ip: str) -> str:
    """One sign-in through the service: "ok", "invalid" or "locked"."""
    with db.session(write=True) as s:
        try:
            service.authenticate(
                session=s, settings=settings, username=username, password=password, ip=ip
            )
        except service.LoginRefused as refused:
            return refused.reason
        return "ok"


def test_one_address_is_shut_out_of_one_account_only(db, settings, world):
    no_delays = replace(settings, login_delay_minutes=0)  # isolate the per-address limit
    limit = settings.login_max_failures_per_address
    for _ in range(limit):
        assert attempt(db, no_delays, "owner1", "wrong", "10.0.0.1") == "invalid"
    assert attempt(db, no_delays, "owner1", DEMO_PASSWORD, "10.0.0.1") == "locked"
    (lock,) = [lock for lock in locks(world, "owner1") if lock.kind == LockKind.address]
    assert lock.key == "10.0.0.1"
    assert lock.locked_until - utcnow() > timedelta(hours=settings.login_memory_hours - 1)
    # other addresses, and other accounts from this address, are not refused
    assert attempt(db, no_delays, "owner1", DEMO_PASSWORD, "10.0.0.2") == "ok"
    assert attempt(db, no_delays, "owner2", DEMO_PASSWORD, "10.0.0.1") == "ok"


def test_client_text_is_stored_bounded_and_without_nul(db, settings, world):
    username = "ab\x00c" * 100
    assert attempt(db, settings, username, "x", "1\x00" * 100) == "invalid"
    with world.session() as s:
        (row,) = s.exec(select(LoginAttempt).where(LoginAttempt.username.startswith("abc"))).all()
    assert "\x00" not in row.username + row.ip
    assert len(row.username) == 80 and len(row.ip) <= 64


def test_old_failures_and_expired_locks_are_pruned(db, settings, world):
    long_ago = utcnow() - timedelta(hours=settings.login_memory_hours + 1)
    with world.session() as s:
        s.add(LoginAttempt(username="owner1", ip="10.0.0.9", at=long_ago))
        s.add(
            LoginLock(
                kind=LockKind.account,
                username="owner1",
                failures=9,
                locked_at=long_ago,
                locked_until=utcnow() - timedelta(minutes=1),
            )
        )
    assert attempt(db, settings, "owner2", "wrong", "10.0.0.9") == "invalid"
    with world.session() as s:
        assert s.exec(select(LoginAttempt.username)).all() == ["owner2"]
        assert s.exec(select(LoginLock)).all() == []


def test_admin_sees_a_lock_and_lifts_it(client, login_as, world):
    fail(client, "owner1", 5)
    fail(client, "not-a-user", 5)  # made-up names lock nobody and are not listed
    assert sign_in(client, "owner1").status_code == 429
    admin = login_as("admin")
    admin.cookies.set("locale", "en")
    page = admin.get("/admin/users/locks")
    assert page.status_code == 200
    assert "owner1" in page.text and "not-a-user" not in page.text
    assert "Every device not used before" in page.text
    (lock,) = locks(world, "owner1")
    forged = admin.post(f"/admin/users/locks/{lock.id}/lift", follow_redirects=False)
    assert forged.status_code == 403  # CSRF
    lifted = post_form(admin, f"/admin/users/locks/{lock.id}/lift")
    assert lifted.status_code == 303 and lifted.headers["location"] == "/admin/users/locks"
    assert locks(world, "owner1") == []
    assert "No account is locked." in admin.get("/admin/users/locks").text
    assert sign_in(client, "owner1").status_code == 303  # a fresh allowance, at once
    assert post_form(admin, f"/admin/users/locks/{lock.id}/lift").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "inspector1", "owner1"])
def test_only_admins_see_or_lift_locks(role, client, login_as, world):
    fail(client, "owner2", 5)
    (lock,) = locks(world, "owner2")
    user = login_as(role)
    assert user.get("/admin/users/locks").status_code == 403
    assert post_form(user, f"/admin/users/locks/{lock.id}/lift").status_code == 403
    assert len(locks(world, "owner2")) == 1


def test_a_subdistrict_admin_cannot_see_or_lift_another_subdistricts_lock(
    client, login_as, world, settings
):
    fail(client, "inspector12", 5)  # the second subdistrict
    (lock,) = locks(world, "inspector12")
    admin = login_as("admin")
    assert "inspector12" not in admin.get("/admin/users/locks").text
    assert post_form(admin, f"/admin/users/locks/{lock.id}/lift").status_code == 404
    assert len(locks(world, "inspector12")) == 1
    city = login_as(*make_city_wide_admin(world.db, settings))
    assert "inspector12" in city.get("/admin/users/locks").text
    assert post_form(city, f"/admin/users/locks/{lock.id}/lift").status_code == 303
    assert locks(world, "inspector12") == []


def test_a_name_cleaned_for_storage_is_nobodys(db, settings):
    assert attempt(db, settings, "adm\x00in", DEMO_PASSWORD, "10.0.0.3") == "invalid"
    assert attempt(db, settings, "admin" + "x" * 90, DEMO_PASSWORD, "10.0.0.3") == "invalid"
    assert attempt(db, settings, " Admin ", DEMO_PASSWORD, "10.0.0.3") == "ok"
