"""Malformed input is a clear 4xx at the edge, on both engines (issue 10, section 3), and every
error reply carries the security headers (section 7). Each test here answered 500, or missed
the headers, before the edge existed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from litestar import get
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from inspect_app.bounds import MAX_ID, parse_whole
from inspect_app.deps import DbSession
from inspect_app.edge import JSON_MAX_BYTES, JSON_MAX_DEPTH, json_depth
from inspect_app.middleware import client_ip
from inspect_app.models import AuthSession, LoginAttempt, Site
from tests.helpers.app import post_form, says

HUGE = (2**63, 2**64, 10**30)
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def assert_refused(response, status: int = 400) -> dict:
    """A clear refusal: the status, the one JSON error shape, a message, never a 500."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    return error


# --- integers above 64 bits ----------------------------------------------------------------


@pytest.mark.parametrize("value", HUGE)
def test_path_ids_above_64_bits_are_refused(client, api_token, value):
    admin = api_token("admin")
    for url in (
        f"/api/v1/sites/{value}",
        f"/api/v1/sites/{value}/inspections",
        f"/api/v1/rectifications/{value}",
    ):
        error = assert_refused(client.get(url, headers=admin))
        assert error["fields"], url
    assert_refused(client.delete(f"/api/v1/auth/tokens/{value}", headers=admin))


@pytest.mark.parametrize(
    "query",
    [
        f"/api/v1/sites?team_id={2**64}",
        f"/api/v1/sites?parent_id={2**63}",
        f"/api/v1/sites?offset={2**64}",
        f"/api/v1/rectifications?site_id={10**30}",
        f"/api/v1/rectifications?team_id={2**64}",
        f"/api/v1/rectifications?offset={2**63}",
        f"/api/v1/templates/enterprise-12?version={2**64}",
    ],
)
def test_query_integers_above_64_bits_are_refused(client, api_token, query):
    name = query.split("?")[1].split("=")[0]
    assert name in assert_refused(client.get(query, headers=api_token("admin")))["fields"]


def _inspection(**fields) -> dict:
    return {
        "template_code": "enterprise-12",
        "template_version": 1,
        "started_at": "2026-01-05T09:00:00Z",
        "answers": [],
        **fields,
    }


@pytest.mark.parametrize(
    ("field", "value"), [("site_id", 2**64), ("site_id", 0), ("template_version", 2**63)]
)
def test_json_integers_out_of_range_are_refused(client, api_token, world, field, value):
    site = world.sites(Site.team_id.is_not(None))[0]
    body = _inspection(**{"site_id": site.id, field: value})
    response = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=api_token("inspector1")
    )
    assert response.status_code in (400, 422), response.text
    assert field in str(response.json()["error"]["fields"])


def test_the_openapi_schema_documents_the_bounds(login_as):
    schema = login_as("admin").get("/schema/openapi.json").json()
    params = schema["paths"]["/api/v1/sites/{site_id}"]["get"]["parameters"]
    site_id = next(p for p in params if p["name"] == "site_id")["schema"]
    assert site_id["minimum"] == 1 and int(site_id["maximum"]) <= 2**63


# --- digits that are not ASCII ---------------------------------------------------------------


def test_parse_whole_takes_ascii_digits_in_range_only():
    assert parse_whole(" 42 ") == 42
    for raw in ("²", "٣", "1_000", "-1", "+1", "1e3", "", None, str(MAX_ID + 1), "9" * 5000):
        assert parse_whole(raw) is None, raw
    assert parse_whole("0", low=1) is None
    assert parse_whole("366", high=365) is None


def test_unicode_digits_in_forms_and_queries_are_not_errors(login_as):
    inspector = login_as("inspector1")
    response = post_form(inspector, "/visits/new", {"site_id": "²"})
    assert response.status_code == 422 and says(response.text, "Choose a site.")
    assert inspector.get("/sites?team_id=²").status_code == 200
    assert inspector.get("/rectifications?page=²").status_code == 200
    assert inspector.get(f"/rectifications?page={2**64}").status_code == 200


def test_unicode_digits_in_the_site_form_are_a_field_error(login_as):
    admin = login_as("admin")
    response = post_form(
        admin, "/sites/new", {"kind": "shop", "name_zh": "测试店", "parent_id": "²", "team_id": "³"}
    )
    assert response.status_code == 422
    assert says(response.text, "Choose a team of the same subdistrict.")


# --- deep and large JSON -----------------------------------------------------------------------


def test_json_depth_is_measured_without_recursion():
    assert json_depth(b"{}") == 1
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'["\\"[[[", [[]]]') == 3
    assert json_depth(DEEP_ARRAY.encode()) == 1000
    assert json_depth(b'"\\"\\"\\"' * 10_000) == 0  # unterminated strings stay linear


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT])
def test_deep_json_is_refused_before_sign_in(client, body):
    response = client.post(
        "/api/v1/auth/token", content=body, headers={"content-type": "application/json"}
    )
    error = assert_refused(response)
    assert str(JSON_MAX_DEPTH) in error["message"]


def test_deep_json_is_refused_whatever_the_content_type(client, api_token):
    headers = {**api_token("inspector1"), "content-type": "text/plain"}
    response = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}", content=DEEP_OBJECT, headers=headers
    )
    assert_refused(response)


def test_oversized_json_is_413(client):
    body = '{"username": "' + "a" * JSON_MAX_BYTES + '", "password": "x"}'
    response = client.post(
        "/api/v1/auth/token", content=body, headers={"content-type": "application/json"}
    )
    assert_refused(response, 413)


# --- NUL bytes and long strings ----------------------------------------------------------------


def test_nul_in_json_is_refused_and_nothing_is_stored(client, world):
    response = client.post("/api/v1/auth/token", json={"username": "ad\x00min", "password": "x"})
    assert "body" in assert_refused(response)["fields"]
    with world.session() as s:
        assert not [a for a in s.exec(select(LoginAttempt)) if "\x00" in a.username]


def test_nul_in_query_strings_and_paths_is_refused(client, api_token):
    admin = api_token("admin")
    assert_refused(client.get("/api/v1/sites?q=a%00b", headers=admin))
    assert_refused(client.get("/api/v1/templates/enter%00prise", headers=admin))


def test_nul_in_a_form_is_refused(client, world):
    response = post_form(client, "/login", {"username": "admin\x00", "password": "wrong"})
    assert response.status_code == 400
    with world.session() as s:
        assert not [a for a in s.exec(select(LoginAttempt)) if "\x00" in a.username]


def test_overlong_login_username_is_not_an_error(client):
    response = post_form(client, "/login", {"username": "u" * 5000, "password": "wrong"})
    assert response.status_code == 401
    response = client.post("/api/v1/auth/token", json={"username": "u" * 5000, "password": "x"})
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_overlong_json_text_is_refused_by_its_column(client, api_token, world):
    site = world.sites(Site.team_id.is_not(None))[0]
    body = _inspection(site_id=site.id, answers=[{"item_code": "x" * 41, "result": "pass"}])
    response = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=api_token("inspector1")
    )
    assert response.status_code == 400 and "item_code" in str(response.json()["error"])


def test_a_forwarded_address_is_bounded_before_it_is_stored(app, world):
    """Behind the proxy (uvicorn's proxy headers) X-Forwarded-For becomes the client address."""
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="*")
    forwarded = {"x-forwarded-for": "9" * 5000 + "\x01"}
    with TestClient(proxied) as c:
        c.headers.update(forwarded)
        assert post_form(c, "/login", {"username": "admin", "password": "no"}).status_code == 401
        assert (
            post_form(c, "/login", {"username": "admin", "password": "demo1234"}).status_code == 303
        )
    with world.session() as s:
        ips = [a.ip for a in s.exec(select(LoginAttempt))] + [
            a.ip for a in s.exec(select(AuthSession))
        ]
    assert ips and all(len(ip) <= 64 for ip in ips)


def test_client_ip_keeps_addresses_and_bounds_anything_else():
    assert client_ip({"client": ("2001:db8::1", 1)}) == "2001:db8::1"
    assert client_ip({"client": ("203.0.113.9", 1)}) == "203.0.113.9"
    assert client_ip({"client": ("a\x00" * 100, 1)}) == "a" * 64
    assert client_ip({}) == ""


# --- defence in depth: the database's own refusals ------------------------------------------


@get("/_test/overflow", sync_to_thread=True, include_in_schema=False)
def _overflow(db: DbSession) -> dict:
    """What the edge stops: a 2**64 reaching the driver (SQLite: OverflowError; PostgreSQL:
    integer out of range)."""
    return {"v": db.exec(text("SELECT CAST(:v AS INTEGER)"), params={"v": 2**64}).scalar()}


@get("/_test/nul", sync_to_thread=True, include_in_schema=False)
def _nul(db: DbSession) -> dict:
    db.add(LoginAttempt(username="a\x00b", ip="x"))
    db.flush()
    return {}


@get("/_test/ours", sync_to_thread=False, include_in_schema=False)
def _ours() -> dict:
    """An overflow in our own arithmetic is our bug: it stays a 500, logged."""
    return {"day": str(date.max + timedelta(days=1))}


def test_database_range_errors_answer_400_not_500(app, database_url):
    for handler in (_overflow, _nul, _ours):
        app.register(handler)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/_test/overflow").status_code == 400
        if database_url.startswith("postgresql"):
            assert c.get("/_test/nul").status_code == 400
        assert c.get("/_test/ours").status_code == 500


# --- security headers on every error ------------------------------------------------------------


def test_errors_raised_before_routing_carry_the_security_headers(client):
    replies = [
        client.get("/no-such-page"),
        client.get("/api/v1/no-such-thing"),
        client.post("/healthz"),
        client.delete("/api/v1/me"),
        client.get(f"/api/v1/sites/{2**64}"),
    ]
    for response in replies:
        assert response.status_code in (400, 401, 404, 405), response.request.url
        for header in SECURITY_HEADERS:
            assert header in response.headers, (response.request.url, header)


def test_a_refused_host_carries_the_security_headers(tmp_path, sqlite_template):
    import shutil

    from inspect_app.app import create_app
    from tests.helpers.app import make_settings

    db = tmp_path / "hosts.db"
    shutil.copyfile(sqlite_template, db)
    app = create_app(make_settings(tmp_path, f"sqlite:///{db}", allowed_hosts=("example.org",)))
    with TestClient(app, base_url="http://evil.test") as c:
        response = c.get("/login")
    app.state.db.dispose()
    assert response.status_code == 400
    for header in SECURITY_HEADERS:
        assert header in response.headers
