"""The in-app inbox: a message is written once per reason, each person reads and marks only their
own, in their own language, and the bell on every page counts what is unread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from inspect_app.models import Notification
from inspect_app.notifications import kinds, service
from tests.helpers.app import csrf_token, english
from tests.helpers.html import parse

SITE = {"zh": "梧桐咖啡", "en": "Wutong Coffee"}
MEASURE = {"zh": "灭火器在有效期内", "en": "Extinguishers in date"}


def send(world, username: str, key: str, *, kind="deadline_soon", link="/rectifications/1", **at):
    user = world.user(username)
    with world.db.session(write=True) as s:
        written = service.notify(
            session=s,
            user_id=user.id,
            kind=kind,
            key=key,
            params={"site": SITE, "measure": MEASURE, "deadline": "2026-12-09", "due": "12-10"},
            link=link,
            at=datetime.now(UTC) - timedelta(**at) if at else None,
        )
    return written


def ids_of(world, username: str) -> list[int]:
    user = world.user(username)
    with world.session() as s:
        return list(
            s.exec(
                select(Notification.id)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


def test_a_reason_gives_one_message_however_often_it_fires(world):
    assert send(world, "inspector1", "deadline_soon:item-1:2026-12-07")
    assert not send(world, "inspector1", "deadline_soon:item-1:2026-12-07")
    assert len(ids_of(world, "inspector1")) == 1


def test_the_api_lists_only_ones_own_newest_first_in_ones_language(client, api_token, world):
    send(world, "inspector1", "a", hours=3)
    send(world, "inspector1", "b", kind="fix_reported", hours=1)
    send(world, "supervisor", "c")
    headers = api_token("inspector1")
    r = client.get("/api/v1/notifications", headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 2 and page["unread"] == 2
    assert [m["kind"] for m in page["items"]] == ["fix_reported", "deadline_soon"]
    assert (
        page["items"][1]["text"] == "Wutong Coffee: “Extinguishers in date” is due on 2026-12-09."
    )
    zh = client.get("/api/v1/notifications", headers={**headers, "Accept-Language": "zh-CN"})
    assert (
        "梧桐咖啡" in zh.json()["items"][1]["text"]
        and "灭火器在有效期内" in zh.json()["items"][1]["text"]
    )


def test_marking_read_touches_only_ones_own(client, api_token, world):
    send(world, "inspector1", "mine-1")
    send(world, "inspector1", "mine-2")
    send(world, "supervisor", "theirs")
    mine, theirs = ids_of(world, "inspector1"), ids_of(world, "supervisor")
    headers = api_token("inspector1")
    r = client.post("/api/v1/notifications/read", headers=headers, json={"ids": [mine[0], *theirs]})
    assert r.status_code == 200 and r.json() == {"unread": 1}
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json()
    assert [m["id"] for m in unread["items"]] == [mine[1]]
    sup = client.get("/api/v1/notifications?unread=true", headers=api_token("supervisor")).json()
    assert sup["unread"] == 1  # the supervisor's message stays unread
    r = client.post("/api/v1/notifications/read", headers=headers, json={"all": True})
    assert r.json() == {"unread": 0}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),  # neither ids nor all
        ({"ids": list(range(1, 502))}, 400),
        ({"ids": [0]}, 400),
        ({"ids": [2**63]}, 400),
        ({"ids": ["1; drop table"]}, 400),
        ({"all": True, "extra": 1}, 400),
        ([1, 2], 400),
    ],
)
def test_odd_bodies_are_refused_clearly(client, api_token, body, status):
    r = client.post("/api/v1/notifications/read", headers=api_token("owner1"), json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "unread=maybe"])
def test_odd_queries_are_refused_clearly(client, api_token, query):
    r = client.get(f"/api/v1/notifications?{query}", headers=api_token("owner1"))
    assert r.status_code == 400 and r.json()["error"]["message"]


def test_signed_out_there_is_no_inbox(client):
    assert client.get("/api/v1/notifications").status_code == 401
    r = client.get("/inbox", follow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]


def test_the_bell_counts_unread_and_the_inbox_opens_a_message(world, login_as):
    send(world, "inspector1", "one", link="/sites", hours=2)
    send(world, "inspector1", "two", kind="recheck_requested", link="/rectifications")
    phone = english(login_as("inspector1"))
    bell = parse(phone.get("/").text).select_one("#bell")
    assert bell.get("href") == "/inbox" and bell.select_one(".count").text == "2"
    assert "2 unread" in bell.get("aria-label")
    inbox = parse(phone.get("/inbox").text)
    messages = inbox.select("li.message")
    assert len(messages) == 2 and all("unread" in m.get("class") for m in messages)
    assert "applied for a re-check" in messages[0].text
    newest = ids_of(world, "inspector1")[-1]
    r = phone.post(
        f"/inbox/{newest}/open", data={"_csrf_token": csrf_token(phone)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/rectifications"
    assert parse(phone.get("/").text).select_one("#bell .count").text == "1"
    r = phone.post("/inbox/read", data={"_csrf_token": csrf_token(phone)}, follow_redirects=True)
    assert r.status_code == 200 and "All messages marked read." in r.text
    assert parse(r.text).select_one("#bell .count") is None


def test_opening_anothers_message_reads_nothing_of_it(world, login_as):
    send(world, "supervisor", "secret", link="/campaigns/1")
    theirs = ids_of(world, "supervisor")[0]
    phone = login_as("owner1")
    r = phone.post(
        f"/inbox/{theirs}/open", data={"_csrf_token": csrf_token(phone)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    with world.session() as s:
        assert s.get(Notification, theirs).read_at is None


def test_an_empty_inbox_says_what_will_arrive(login_as):
    page = parse(english(login_as("owner1")).get("/inbox").text)
    assert "No messages yet" in page.select_one("li.empty").text
    assert page.select_one("#bell .count") is None


def test_every_kind_reads_in_both_languages_even_with_a_parameter_missing(monkeypatch):
    from inspect_app import i18n

    for locale in ("en", "zh_CN"):
        token = i18n.current_locale.set(locale)
        try:
            for kind in kinds.SENTENCES:
                text = kinds.sentence(kind, {"site": SITE})
                assert text and "%(" not in text
            assert "unknown-kind" in kinds.sentence("unknown-kind", {})
        finally:
            i18n.current_locale.reset(token)
