"""Login limits after OWASP's device cookies (issue 10, section 4), on the form and the API:
nobody's failures keep an owner out of their own account from a device they used before, and no
account's failures (or made-up names) refuse another account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, update

from inspect_app.auth.limits import device_cookie_name
from inspect_app.models import LockKind, LoginAttempt, LoginLock, utcnow
from tests.helpers.app import api_sign_in, fail, sign_in
from tests.helpers.data import locks


def signs_in(client: TestClient, username: str, *, api: bool) -> bool:
    if api:
        return api_sign_in(client, username).status_code == 201
    return sign_in(client, username).status_code == 303


def expire_locks(world, username: str) -> None:
    """Move the clock past the current locks (their failures still count)."""
    with world.session() as s:
        s.exec(
            update(LoginLock)
            .where(LoginLock.username == username)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


def forget_failures(world, username: str) -> None:
    with world.session() as s:
        s.exec(delete(LoginAttempt).where(LoginAttempt.username == username))
        s.exec(delete(LoginLock).where(LoginLock.username == username))


def trusted_browser(login_as, username: str) -> TestClient:
    """A browser that signed in to the account before (and signed out): it holds a device cookie."""
    browser = login_as(username)
    browser.cookies.delete("sid")
    return browser


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_owner_signs_in_from_a_trusted_device_after_an_attackers_50_failures(
    api, login_as, client, settings
):
    phone = trusted_browser(login_as, "supervisor")
    statuses = fail(client, "supervisor", 50, api=api)
    assert statuses[: settings.login_max_failures_per_account] == [401] * 5
    assert set(statuses[5:]) == {429}  # the attacker's unknown device is refused...
    assert api_sign_in(client, "supervisor").status_code == 429  # ...even with the password
    r = sign_in(phone, "supervisor")  # ...but the owner's phone is not
    assert r.status_code == 303
    assert phone.get("/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_made_up_names_from_one_address_never_refuse_another_account(api, client, settings):
    for i in range(settings.login_max_failures_per_address + 5):
        assert fail(client, f"ghost{i}", 1, api=api) == [401]
    assert signs_in(client, "inspector2", api=api)


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_one_accounts_failures_never_refuse_another_account_from_the_same_address(
    api, client, settings
):
    fail(client, "owner3", settings.login_max_failures_per_address + 5, api=api)
    assert signs_in(client, "owner2", api=api)


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_unknown_devices_wait_longer_after_each_further_failure(api, client, world, settings):
    assert fail(client, "owner4", 5, api=api) == [401] * 5
    waits = []
    for _ in range(4):
        refused = api_sign_in(client, "owner4") if api else sign_in(client, "owner4")
        assert refused.status_code == 429  # the right password waits too
        text = refused.json()["error"]["message"] if api else refused.text
        assert "sign in from a device you used before" in text or "之前用过的设备" in text
        (lock,) = locks(world, "owner4")
        assert lock.kind == LockKind.account
        waits.append(round((lock.locked_until - utcnow()).total_seconds() / 60))
        expire_locks(world, "owner4")
        assert fail(client, "owner4", 1, api=api) == [401]
    assert waits == [1, 2, 4, 8]
    expire_locks(world, "owner4")
    assert signs_in(client, "owner4", api=api)


def test_the_delay_is_capped(settings):
    from inspect_app.auth.limits import unknown_delay

    assert unknown_delay(settings, 5) == timedelta(minutes=1)
    assert unknown_delay(settings, 500) == timedelta(minutes=settings.login_delay_max_minutes)


def test_refusal_says_how_long_and_what_to_do(client):
    client.cookies.set("locale", "en")
    fail(client, "owner5", 5)
    text = sign_in(client, "owner5").text
    assert "Try again in 1 minute" in text
    assert "sign in from a device you used before" in text
    assert "ask an administrator to lift the lock" in text


def test_a_forged_device_cookie_or_one_for_another_account_is_ignored(
    app, login_as, settings, world
):
    owner2_phone = trusted_browser(login_as, "owner2")
    name_for = {u: device_cookie_name(u, settings.secret_key) for u in ("owner1", "owner2")}
    stolen = owner2_phone.cookies.get(name_for["owner2"])
    assert stolen
    cases = {
        "another account's cookie, renamed": stolen,
        "forged signature": stolen.split(".")[0] + ".forged",
        "no signature": stolen.split(".")[0],
    }
    for value in cases.values():
        browser = TestClient(app)
        browser.cookies.set(name_for["owner1"], value)
        fail(browser, "owner1", 5)
        assert sign_in(browser, "owner1").status_code == 429, value  # treated as unknown
        assert {lock.kind for lock in locks(world, "owner1")} == {LockKind.account}
        forget_failures(world, "owner1")
    # the owner2 cookie, under its own name, does not make the browser trusted for owner1
    fail(owner2_phone, "owner1", 5)
    assert sign_in(owner2_phone, "owner1").status_code == 429
    assert sign_in(owner2_phone, "owner2").status_code == 303  # but it is trusted for owner2


def test_a_trusted_device_that_fails_too_often_is_locked_not_the_account(login_as, app, world):
    phone = trusted_browser(login_as, "inspector3")
    laptop = trusted_browser(login_as, "inspector3")
    statuses = fail(phone, "inspector3", 11)
    assert statuses == [401] * 10 + [429]
    refused = sign_in(phone, "inspector3")
    assert refused.status_code == 429
    assert "from this device" in refused.text or "这台设备" in refused.text
    (lock,) = locks(world, "inspector3")
    assert lock.kind == LockKind.device
    # the other trusted device and unknown devices still sign in
    assert sign_in(laptop, "inspector3").status_code == 303
    assert sign_in(TestClient(app), "inspector3").status_code == 303


def test_a_success_forgives_only_its_own_devices_failures(login_as, client, world):
    phone = trusted_browser(login_as, "inspector4")
    fail(phone, "inspector4", 3)
    fail(client, "inspector4", 4)  # an unknown device: one short of the lock
    assert sign_in(phone, "inspector4").status_code == 303
    fail(client, "inspector4", 1)
    assert sign_in(client, "inspector4").status_code == 429  # the phone did not reset it


def test_a_username_with_a_nul_byte_is_nobody_on_the_form(client):
    r = sign_in(client, "adm\x00in")
    assert r.status_code in (400, 401)  # refused at the edge, or a wrong username; never admin
    assert "sid=" not in " ".join(r.headers.get_list("set-cookie"))


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_a_lock_says_when_to_try_again_in_retry_after(api, client, settings):
    fail(client, "owner5", settings.login_max_failures_per_account, api=api)
    refused = api_sign_in(client, "owner5") if api else sign_in(client, "owner5")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"  # the first wait: one minute


def test_a_flood_of_sign_ins_queues_for_hashing_then_says_busy(client, monkeypatch):
    from inspect_app.auth import passwords

    monkeypatch.setattr(passwords, "HASH_WAIT_SECONDS", 0.2)
    held = 0
    try:
        while passwords._hashing.acquire(blocking=False):  # every slot taken by other sign-ins
            held += 1
        assert held == passwords.HASHES_AT_ONCE
        busy = api_sign_in(client, "owner1")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["code"] == "busy"
    finally:
        for _ in range(held):
            passwords._hashing.release()
    assert api_sign_in(client, "owner1").status_code == 201  # nothing was counted against it
