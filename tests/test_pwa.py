"""The installable app: manifest, service worker at the root (versioned, never HTTP-cached),
the offline page, and the files it precaches all exist."""

from __future__ import annotations

import re

from inspect_app.pwa import SHELL_FILES


def test_manifest_has_what_installing_needs(client):
    r = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/manifest+json")
    m = r.json()
    assert m["start_url"] == "/" and m["display"] == "standalone"
    assert m["theme_color"] == "#0b5cad" and m["name"] and m["short_name"]
    sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"


def test_service_worker_is_served_from_the_root_with_a_versioned_cache(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    version = re.search(r'var VERSION = "([0-9a-f]{12})";', r.text)
    assert version, "the version placeholder was filled in"
    precache = re.search(r"var PRECACHE = (\[.*?\]);", r.text).group(1)
    assert "/offline" in precache and "__" not in precache
    for name in SHELL_FILES:
        url = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', precache).group(1)
        assert client.get(url).status_code == 200


def test_offline_page_needs_no_login_and_links_the_manifest(client):
    r = client.get("/offline")
    assert r.status_code == 200
    assert 'rel="manifest"' in r.text and 'id="offline"' in r.text
    assert 'id="outbox"' in r.text and "js/outbox.js" in r.text  # whoever it was cached for


def test_only_inspectors_carry_the_outbox(login_as):
    """Offline work is the inspectors': other roles' pages load neither the outbox script nor
    its bar (and so never copy sites and photos to the phone)."""
    for username, has_outbox in (("inspector1", True), ("owner1", False), ("supervisor", False)):
        page = login_as(username).get("/").text
        assert ('<script src="/static/js/outbox.js' in page) is has_outbox, username
        assert ('id="outbox"' in page) is has_outbox, username
