"""What a shared phone's browser may keep: pages and photos are revalidated with the server
every time (photos cheaply, 304 on a matching ETag, after the access check), sign-out clears
the HTTP cache but not the storage that holds the outbox, and the offline page, which the
service worker keeps for whoever holds the phone, is rendered for nobody."""

from __future__ import annotations

import re

from tests.helpers.app import post_form
from tests.helpers.data import draft_for, gps_jpeg, upload
from tests.helpers.html import parse


def photo_urls(client, api_token, world) -> tuple[dict[str, str], dict[str, str]]:
    key, headers = draft_for(client, api_token, world)
    r = upload(client, headers, key, gps_jpeg())
    assert r.status_code == 200, r.text
    return r.json()["urls"], headers


def test_photos_are_revalidated_and_a_matching_etag_costs_no_body(client, api_token, world):
    urls, headers = photo_urls(client, api_token, world)
    first = client.get(urls["thumb"], headers=headers)
    assert first.status_code == 200 and first.content
    cache = first.headers["cache-control"]
    assert cache == "private, no-cache"  # was "private, max-age=31536000, immutable"
    etag = first.headers["etag"]

    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(urls["thumb"], headers={**headers, "If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"", sent
        assert again.headers["etag"] == etag and again.headers["cache-control"] == cache
        assert "content-type" not in again.headers
        assert again.headers["x-content-type-options"] == "nosniff"  # still a full answer
    changed = client.get(urls["thumb"], headers={**headers, "If-None-Match": '"old"'})
    assert changed.status_code == 200 and changed.content == first.content

    # The access check comes first: a stranger or nobody gets no 304 for a tag they guessed.
    stranger = client.get(urls["thumb"], headers={**api_token("inspector2"), "If-None-Match": etag})
    assert stranger.status_code == 404 and "etag" not in stranger.headers
    client.cookies.clear()
    assert client.get(urls["thumb"], headers={"If-None-Match": etag}).status_code == 401


def test_an_endless_if_none_match_is_bounded(client, api_token, world):
    urls, headers = photo_urls(client, api_token, world)
    etag = client.get(urls["thumb"], headers=headers).headers["etag"]
    noise = ", ".join(f'"x{i}"' for i in range(5000))
    r = client.get(urls["thumb"], headers={**headers, "If-None-Match": f"{noise}, {etag}"})
    assert r.status_code == 200  # only the first 32 tags are read


def test_pages_are_never_stored_and_say_who_they_were_made_for(login_as, world):
    c = login_as("inspector1")
    page = c.get("/sites", headers={"Accept-Language": "en"})
    assert page.headers["cache-control"] == "private, no-store"
    me = world.user("inspector1")
    body = parse(page.text).select_one("body")
    assert body.get("data-user") == str(me.id) and body.get("data-username") == "inspector1"
    assert "records not yet sent stay on this phone for {account}" in body.get("data-msg-sign-out")


def test_signed_out_pages_say_nobody(client):
    body = parse(client.get("/login").text).select_one("body")
    assert body.get("data-user") == "" and "data-username" not in body.attrs


def test_sign_out_clears_the_http_cache_but_not_the_outbox(login_as):
    c = login_as("inspector1")
    r = post_form(c, "/logout")
    assert r.status_code == 303
    # "storage" or "*" would also wipe IndexedDB, where unsent records wait.
    assert r.headers["clear-site-data"] == '"cache"'


def test_the_offline_page_is_rendered_for_nobody(login_as, client, world):
    """The service worker keeps this page and shows it to whoever holds the phone."""
    anonymous = client.get("/offline").text
    for username in ("inspector1", "admin"):
        text = login_as(username).get("/offline").text
        user = world.user(username)
        assert "data-user=" not in text and "data-username" not in text
        assert username not in text and user.display_name not in text
        assert 'href="/admin/users"' not in text
        doc = parse(text)  # the same links for all
        assert doc.select_one("#offline") and doc.select_one('a[href="/sites"]')
        token = re.compile(r"[0-9a-f]{40,}")  # the CSRF token differs per browser, not per user
        assert token.sub("", text) == token.sub("", anonymous)


def test_the_sign_out_question_is_in_both_languages(login_as):
    c = login_as("inspector1")
    english = c.get("/account", headers={"Accept-Language": "en"}).text
    assert "records not yet sent stay on this phone for {account}" in english
    chinese = c.get("/account", headers={"Accept-Language": "zh-CN"}).text
    assert "条记录尚未发送，将为 {account} 保留在这台手机上" in chinese
