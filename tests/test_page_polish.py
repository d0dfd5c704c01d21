"""What benchmarks/page_weight.py and benchmarks/lighthouse.py found: htmx only on the pages
that use it, a description on every page, wording."""

from __future__ import annotations

import re

from inspect_app.web import HTMX_FILE
from tests.helpers.app import post_form
from tests.helpers.data import team_site
from tests.helpers.html import visible_text

HX_REQUEST = re.compile(r"\shx-(get|post|put|patch|delete)=")


def test_htmx_is_loaded_exactly_where_a_page_uses_it(client, login_as, world):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    started = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    )
    pages = {"/login": client.get("/login")}
    for path in ("/", "/sites", f"/sites/{site.id}", "/rectifications", "/account"):
        pages[path] = inspector.get(path)
    pages["walkthrough"] = inspector.get(started.headers["location"])
    uses = {path for path, r in pages.items() if HX_REQUEST.search(r.text)}
    loads = {path for path, r in pages.items() if HTMX_FILE in r.text}
    assert all(r.status_code == 200 for r in pages.values())
    assert uses == loads == {"/sites", "/rectifications", "walkthrough"}
    for path in loads:  # htmx reads its settings (no eval, no inline scripts) from this tag
        assert 'name="htmx-config"' in pages[path].text


def test_every_page_has_a_description_in_its_language(client):
    english = client.get("/login", headers={"Accept-Language": "en-US"}).text
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    pattern = r'<meta name="description" content="([^"]+)">'
    assert "rectification" in re.search(pattern, english).group(1)
    assert re.search(r"[\u4e00-\u9fff]", re.search(pattern, chinese).group(1))


def test_a_one_day_default_deadline_reads_as_one_day(login_as, world):
    inspector = login_as("inspector1")
    site = team_site(world, "inspector1")
    started = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    )
    url = started.headers["location"]
    assert post_form(inspector, f"{url}/answers/F01", {"result": "fail"}).status_code == 303
    page = visible_text(inspector.get(url, headers={"Accept-Language": "en-US"}).text)
    assert "Default: 1 day from today." in page and "1 days" not in page


def test_scripts_and_styles_carry_only_the_headers_that_act_on_them(client):
    page = client.get("/login")
    assert page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css|png)\?v=[^"]+)"', page.text)
    assert {a.split("?")[0].rsplit(".", 1)[1] for a in assets} == {"js", "css", "png"}
    for url in assets:
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "max-age=31536000" in r.headers["cache-control"]
        assert not {"content-security-policy", "x-frame-options"} & set(r.headers)
    icon = client.get(re.search(r'href="(/static/icons/icon\.svg[^"]*)"', page.text).group(1))
    assert "frame-ancestors 'none'" in icon.headers["content-security-policy"]  # SVG: a document


def test_pages_and_api_replies_are_not_kept_by_shared_caches(login_as, api_token, client):
    c = login_as("inspector1")
    assert c.get("/sites").headers["cache-control"] == "private, no-store"
    me = client.get("/api/v1/me", headers=api_token("inspector1"))
    assert me.status_code == 200 and me.headers["cache-control"] == "private, no-store"
    assert client.get("/sw.js").headers["cache-control"] == "no-cache"  # its own stays
