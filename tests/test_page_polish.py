"""What benchmarks/page_weight.py and benchmarks/lighthouse.py found: htmx only on the pages
that use it, a description on every page, wording."""

from __future__ import annotations

import re

from inspect_app.web import HTMX_FILE
from tests.helpers.app import post_form
from tests.helpers.data import team_site
from tests.helpers.html import Element, parse, visible_text

HX_REQUESTS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}


def makes_htmx_requests(doc: Element) -> bool:
    return any(HX_REQUESTS & set(element.attrs) for element in doc.descendants())


def loads_htmx(doc: Element) -> bool:
    return any(HTMX_FILE in script.get("src") for script in doc.select("script[src]"))


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
    docs = {path: parse(r.text) for path, r in pages.items()}
    uses = {path for path, doc in docs.items() if makes_htmx_requests(doc)}
    loads = {path for path, doc in docs.items() if loads_htmx(doc)}
    assert all(r.status_code == 200 for r in pages.values())
    assert uses == loads == {"/sites", "/rectifications", "walkthrough"}
    for path in loads:  # htmx reads its settings (no eval, no inline scripts) from this tag
        assert docs[path].select_one('meta[name="htmx-config"]')


def test_every_page_has_a_description_in_its_language(client):
    english = client.get("/login", headers={"Accept-Language": "en-US"}).text
    chinese = client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    description = 'meta[name="description"]'
    assert "rectification" in parse(english).select_one(description).get("content")
    assert re.search(r"[\u4e00-\u9fff]", parse(chinese).select_one(description).get("content"))


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
    doc = parse(page.text)
    links = [e.get("src") or e.get("href") for e in doc.select("[src], [href]")]
    assets = [u for u in links if u.startswith("/static/") and "?v=" in u]
    assets = [u for u in assets if u.split("?")[0].endswith((".js", ".css", ".png"))]
    assert {a.split("?")[0].rsplit(".", 1)[1] for a in assets} == {"js", "css", "png"}
    for url in assets:
        r = client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "max-age=31536000" in r.headers["cache-control"]
        assert not {"content-security-policy", "x-frame-options"} & set(r.headers)
    icon = client.get(doc.select_one('[href^="/static/icons/icon.svg"]').get("href"))
    assert "frame-ancestors 'none'" in icon.headers["content-security-policy"]  # SVG: a document


def test_pages_and_api_replies_are_not_kept_by_shared_caches(login_as, api_token, client):
    c = login_as("inspector1")
    assert c.get("/sites").headers["cache-control"] == "private, no-store"
    me = client.get("/api/v1/me", headers=api_token("inspector1"))
    assert me.status_code == 200 and me.headers["cache-control"] == "private, no-store"
    assert client.get("/sw.js").headers["cache-control"] == "no-cache"  # its own stays
