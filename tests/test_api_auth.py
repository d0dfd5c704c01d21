"""The API token flow, the error shape, and session cookies on the API."""

from __future__ import annotations

from tests.helpers.app import csrf_token, post_form
from tests.helpers.html import parse


def test_token_flow_me_list_and_revoke(client):
    r = client.post(
        "/api/v1/auth/token",
        json={"username": "Inspector1", "password": "demo1234", "name": "tablet"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["token"].startswith("ia_")
    assert body["user"]["username"] == "inspector1" and body["user"]["role"] == "inspector"
    assert len(body["user"]["team_ids"]) == 1
    headers = {"Authorization": f"Bearer {body['token']}"}

    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "inspector1"

    tokens = client.get("/api/v1/auth/tokens", headers=headers).json()
    assert [t["name"] for t in tokens] == ["tablet"] and tokens[0]["current"] is True
    assert "token" not in tokens[0] and "token_hash" not in tokens[0]

    assert (
        client.delete(f"/api/v1/auth/tokens/{body['token_id']}", headers=headers).status_code == 204
    )
    gone = client.get("/api/v1/me", headers=headers)
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "invalid_token"


def test_bearer_token_works_on_every_api_route_without_csrf(client, api_token):
    headers = api_token("admin")
    assert client.get("/api/v1/sites", headers=headers).status_code == 200
    second = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo1234"})
    token_id = second.json()["token_id"]
    # a bearer-authenticated write needs no CSRF token
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=headers).status_code == 204


def test_cannot_revoke_another_users_token(client, api_token):
    owner1 = api_token("owner1")
    other = client.post("/api/v1/auth/token", json={"username": "owner2", "password": "demo1234"})
    r = client.delete(f"/api/v1/auth/tokens/{other.json()['token_id']}", headers=owner1)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_wrong_password_and_bad_bodies_get_the_error_shape(client):
    r = client.post("/api/v1/auth/token", json={"username": "owner1", "password": "nope"})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "invalid_credentials" and error["message"] and error["fields"] == {}

    r = client.post("/api/v1/auth/token", json={"username": "owner1"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert "password" in " ".join(r.json()["error"]["fields"])

    r = client.post(
        "/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "error" in r.json()


def test_token_endpoint_is_rate_limited(client, settings):
    for _ in range(settings.login_max_failures_per_account):
        client.post("/api/v1/auth/token", json={"username": "owner4", "password": "bad"})
    r = client.post("/api/v1/auth/token", json={"username": "owner4", "password": "demo1234"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"


def test_invalid_bearer_token_is_401_not_anonymous(client):
    r = client.get("/api/v1/sites", headers={"Authorization": "Bearer ia_forged"})
    assert r.status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_works_on_the_api_and_writes_need_the_csrf_header(login_as, client):
    browser = login_as("owner1")
    assert browser.get("/api/v1/me").json()["username"] == "owner1"
    token_id = client.post(
        "/api/v1/auth/token", json={"username": "owner1", "password": "demo1234"}
    ).json()["token_id"]
    refused = browser.delete(f"/api/v1/auth/tokens/{token_id}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    ok = browser.delete(
        f"/api/v1/auth/tokens/{token_id}", headers={"X-CSRFToken": csrf_token(browser)}
    )
    assert ok.status_code == 204


def test_account_page_creates_a_token_shown_once(login_as):
    browser = login_as("supervisor")
    r = post_form(browser, "/account/tokens", {"name": "daily report"})
    assert r.status_code == 201
    token = parse(r.text).select_one("#new-token").text
    assert token.startswith("ia_")
    assert (
        browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    again = browser.get("/account")
    assert "daily report" in again.text and token not in again.text
