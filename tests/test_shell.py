"""The shell: health check, security headers, error pages and JSON errors, logs, docs, assets."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from litestar.testing import TestClient

from tests.helpers.app import sign_in
from tests.helpers.html import parse

ROOT = Path(__file__).resolve().parents[1]


def test_healthz_needs_no_login_and_writes_nothing(client, world):
    with world.session() as s:
        before = s.connection().exec_driver_sql("SELECT count(*) FROM auth_session").scalar()
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert "set-cookie" not in {k.lower() for k in r.headers} or "sid=" not in r.headers.get(
        "set-cookie", ""
    )
    with world.session() as s:
        after = s.connection().exec_driver_sql("SELECT count(*) FROM auth_session").scalar()
    assert before == after


def test_security_headers_on_pages(client):
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"  # no inline script, no eval, no CDN
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-request-id"]


def test_pages_have_no_inline_script_and_no_external_assets():
    for path in list((ROOT / "templates").rglob("*.html")):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path}"
        assert not re.search(r"\bon[a-z]+=\"", html), f"inline event handler in {path}"
        assert not re.search(r"(src|href)=[\"']https?://", html), f"external asset in {path}"


def test_cookies_are_secure_over_https(app):
    with TestClient(app, base_url="https://inspect.example") as c:
        c.get("/login")
        r = sign_in(c, "inspector1")
        cookies = r.headers.get_list("set-cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies)
        assert r.headers["strict-transport-security"]
    with TestClient(app) as c:
        r = c.get("/login")
        assert "Secure" not in r.headers.get("set-cookie", "")


def test_not_found_is_a_page_for_browsers_and_json_for_the_api(login_as):
    c = login_as("inspector1")
    page = c.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text and "Traceback" not in page.text
    api = c.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert set(api.json()["error"]) == {"code", "message", "fields"}


def test_htmx_errors_come_back_as_a_fragment(login_as):
    c = login_as("inspector1")
    r = c.get("/sites/999999", headers={"HX-Request": "true"})
    assert r.status_code == 404
    assert "<html" not in r.text and 'role="alert"' in r.text
    assert r.headers["hx-retarget"] == "#flash"


def test_unexpected_errors_show_a_calm_page_without_a_trace(app, login_as, monkeypatch):
    from inspect_app.sites import service

    def boom(**_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "get_site", boom)
    c = login_as("admin")
    page = c.get("/sites/1")
    assert page.status_code == 500
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert page.headers["x-request-id"] in page.text  # a reference the user can quote
    api = c.get("/api/v1/sites/1")
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"
    assert "secret internals" not in api.text


def test_one_log_line_per_request_with_user_and_no_secrets(client, caplog):
    with caplog.at_level(logging.INFO, logger="inspect_app.access"):
        sign_in(client, "owner1")
        client.get("/")
    lines = [r.getMessage() for r in caplog.records if r.name == "inspect_app.access"]
    home = [line for line in lines if " GET / " in line]
    assert len(home) == 1
    assert re.match(r"^[0-9a-f]{16} GET / 200 user=owner1 \d+\.\dms$", home[0])
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "demo1234" not in everything
    assert client.cookies.get("sid") not in everything


def test_api_docs_need_login_and_load_only_local_assets(client, login_as):
    assert client.get("/schema", follow_redirects=False).status_code in (302, 303)
    c = login_as("inspector1")
    page = c.get("/schema")
    assert page.status_code == 200
    srcs = [e.get("src") for e in parse(page.text).select("[src]")]
    assert srcs and all(src.startswith("/static/") for src in srcs)
    for src in srcs:
        assert c.get(src).status_code == 200
    spec = c.get("/schema/openapi.json")
    assert spec.status_code == 200 and "/api/v1/sites" in spec.json()["paths"]


def test_vendored_htmx_and_app_assets_are_served_with_long_caching(login_as):
    c = login_as("inspector1")
    doc = parse(c.get("/sites").text)  # a page that uses htmx (tests/test_page_polish.py)
    srcs = [e.get("src") for e in doc.select('[src^="/static/"]')]
    for src in srcs:
        r = c.get(src)
        assert r.status_code == 200
        assert "javascript" in r.headers["content-type"]
        assert "max-age=31536000" in r.headers["cache-control"]
    htmx = [src for src in srcs if src.startswith("/static/js/htmx-2.0.11.min.js?v=")]
    assert len(htmx) == 1 and re.fullmatch(r"[0-9a-f]{10}", htmx[0].split("?v=")[1]), srcs


def test_pages_and_scripts_are_compressed_for_slow_connections(client):
    """Brotli when the browser offers it, gzip otherwise, plain text for clients asking none."""
    html = client.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert html.headers["content-encoding"] == "br" and "<form" in html.text
    script = parse(html.text).select_one('[src^="/static/"]').get("src")
    gzipped = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    plain = client.get(script, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzipped.content == plain.content  # the client sees the same script either way
    assert int(gzipped.headers["content-length"]) < len(plain.content) / 2


def test_each_role_has_its_own_home_page(login_as):
    texts = {u: login_as(u).get("/").text for u in ("admin", "supervisor", "inspector1", "owner1")}
    assert "/admin/users" in texts["admin"] and "/sites/import" in texts["admin"]
    assert "/admin/users" not in texts["supervisor"] and 'class="tiles"' in texts["supervisor"]
    assert 'class="list"' in texts["inspector1"] and 'class="tiles"' not in texts["inspector1"]
    assert "/admin/users" not in texts["owner1"]


def test_unknown_address_speaks_the_users_language(client):
    english = client.get("/no/such/page", headers={"Accept-Language": "en-US"})
    assert english.status_code == 404 and "Not found" in english.text
    chinese = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert "Not found" not in chinese.text


def test_account_page_names_devices_plainly(app):
    ua = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36"
    )
    with TestClient(app) as c:
        c.headers["User-Agent"] = ua
        sign_in(c, "inspector2")
        page = c.get("/account")
    assert "Chrome · Android" in page.text and "KHTML" not in page.text
