"""Channels: WeCom and DingTalk group robots and signed webhooks get the reminders of their team or
subdistrict, checked against a local receiver (payloads, signatures); deliveries are jobs that
are retried with growing delays, sent at most once when a worker dies mid-send, batched over a
robot's 20 a minute, and never taken by two workers; administrators manage them in scope."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

import pytest
from sqlmodel import select

from inspect_app.models import Channel, ChannelKind, Delivery, DeliveryState, Site, Team, User
from inspect_app.notifications import deliveries
from inspect_app.notifications.channels import webhook_signature
from inspect_app.notifications.rules import Message, Place
from inspect_app.notifications.worker import turn
from tests.helpers.app import english
from tests.helpers.data import findings, set_deadline
from tests.helpers.receiver import receiver
from tests.test_reminders import MONDAY, at

SITE_NAME = "site"


@pytest.fixture
def site(world) -> Site:
    return world.owned_by("owner1")[0]


@pytest.fixture
def item(client, api_token, world, site) -> int:
    [item_id] = findings(client, api_token, world, site, failed=("F04",))
    set_deadline(world, item_id, MONDAY)
    return item_id


def add_channel(world, site: Site, kind: ChannelKind, url: str, secret="", team=True) -> int:
    with world.session() as s:
        admin = s.exec(select(User).where(User.username == "admin")).one()
        channel = Channel(
            subdistrict_id=site.subdistrict_id,
            team_id=site.team_id if team else None,
            kind=kind,
            name=f"{kind.value} test",
            url=url,
            secret=secret,
            created_by=admin.id,
        )
        s.add(channel)
        s.flush()
        return channel.id


def rows(world, channel_id: int) -> list[Delivery]:
    with world.session() as s:
        return list(
            s.exec(select(Delivery).where(Delivery.channel_id == channel_id).order_by(Delivery.id))
        )


def test_a_wecom_robot_gets_its_teams_overdue_item_once_in_markdown(db, world, site, item):
    with receiver() as robot:
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/send?key=k1")
        for _ in range(2):
            turn(db, at(MONDAY + timedelta(days=1)))
        [delivery] = [d for d in rows(world, channel) if d.kind == "overdue"]
        assert delivery.state == DeliveryState.sent and delivery.attempts == 1
        [sent] = [r for r in robot.requests if "逾期" in r.json["markdown"]["content"]]
        assert sent.path == "/send" and sent.query == {"key": "k1"}
        assert sent.json["msgtype"] == "markdown"
        assert site.name_zh in sent.json["markdown"]["content"]
        assert f"/rectifications/{item}" in sent.json["markdown"]["content"]


def test_the_office_channel_gets_the_escalation_not_the_team_messages(db, world, site, item):
    with receiver() as robot:
        office = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=o", team=False)
        turn(db, at(MONDAY + timedelta(days=1)))
        assert [d.kind for d in rows(world, office)] in ([], ["digest"])
        turn(db, at(MONDAY + timedelta(days=7)))
        assert "overdue_escalated" in {d.kind for d in rows(world, office)}
        assert "overdue" not in {d.kind for d in rows(world, office)}


def test_dingtalk_is_signed_with_the_timestamp_and_secret(db, world, site, item):
    secret = "SEC0123456789abcdef"
    with receiver() as robot:
        channel = add_channel(
            world, site, ChannelKind.dingtalk, f"{robot.url}/robot/send?access_token=t", secret
        )
        turn(db, at(MONDAY + timedelta(days=1)))
        assert rows(world, channel)[0].state == DeliveryState.sent
        sent = robot.requests[0]
        stamp = sent.query["timestamp"]
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        ).decode()
        assert unquote_plus(sent.query["sign"]) == expected or sent.query["sign"] == expected
        assert abs(int(stamp) / 1000 - datetime.now(UTC).timestamp()) < 60
        assert sent.json["msgtype"] == "markdown" and sent.json["markdown"]["title"]


def test_a_webhook_is_signed_over_timestamp_and_body(db, world, site, item):
    with receiver() as system:
        system.reply = {}
        channel = add_channel(world, site, ChannelKind.webhook, f"{system.url}/hook", "k" * 32)
        turn(db, at(MONDAY + timedelta(days=1)))
        assert rows(world, channel)[0].state == DeliveryState.sent
        sent = system.requests[0]
        stamp = sent.headers["x-inspect-timestamp"]
        assert sent.headers["x-inspect-signature"] == webhook_signature("k" * 32, stamp, sent.body)
        assert (
            webhook_signature("k" * 32, stamp, sent.body + b" ")
            != sent.headers["x-inspect-signature"]
        )
        [reminder] = sent.json["reminders"]
        assert reminder["kind"] == "overdue" and reminder["url"].endswith(f"/rectifications/{item}")


def test_a_refused_delivery_is_retried_later_then_given_up(db, world, site, item):
    with receiver() as robot:
        robot.status = 500
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        start = at(MONDAY + timedelta(days=1))
        turn(db, start)
        [d] = rows(world, channel)
        assert d.state == DeliveryState.pending and d.attempts == 1 and d.last_error == "HTTP 500"
        assert timedelta(0) <= d.next_at - start - deliveries.BACKOFF[0] < timedelta(seconds=1)
        deliveries.deliver_due(db, start + timedelta(seconds=30))  # not yet
        assert len(robot.requests) == 1
        robot.status, robot.reply = 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        deliveries.deliver_due(db, d.next_at)
        [d] = rows(world, channel)
        assert d.attempts == 2 and "93000" in d.last_error
        moment = d.next_at
        while d.state == DeliveryState.pending:
            deliveries.deliver_due(db, moment)
            [d] = rows(world, channel)
            moment = d.next_at
        assert d.state == DeliveryState.failed and d.attempts == deliveries.MAX_ATTEMPTS
        assert len(robot.requests) == deliveries.MAX_ATTEMPTS


def message(n: int, site: Site) -> Message:
    return Message(
        0,
        "overdue",
        f"overdue:{900_000 + n}:2030-01-01",
        {"site": {"zh": "梧桐", "en": "Wutong"}, "measure": f"M{n}", "deadline": "2030-01-01"},
        f"/rectifications/{900_000 + n}",
        Place(site.subdistrict_id, site.team_id),
    )


def enqueue(db, site: Site, numbers: range, now: datetime) -> None:
    with db.session(write=True) as s:
        deliveries.enqueue(s, [message(n, site) for n in numbers], now)


def test_over_twenty_a_minute_a_robot_gets_them_together_each_message_whole(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as robot:
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        enqueue(db, site, range(45), now)
        assert deliveries.deliver_due(db, now)["sent"] == 45
        texts = [r.json["markdown"]["content"] for r in robot.requests]
        assert 1 < len(texts) < 5  # together, in as few messages as fit
        assert all(len(t.encode()) <= 4096 and not t.endswith("…") for t in texts)
        assert sum(t.count("\n- ") for t in texts) == 45  # every reminder, none cut off
        first = len(texts)
        enqueue(db, site, range(45, 50), now)  # the minute still has room: one message each
        deliveries.deliver_due(db, now + timedelta(seconds=5))
        assert len(robot.requests) == first + 5
        assert {d.state for d in rows(world, channel)} == {DeliveryState.sent}


def test_a_backlog_goes_out_a_minute_at_a_time_within_the_limit(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as robot:
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        for n in range(deliveries.PER_MINUTE):  # the minute is used up by single messages
            enqueue(db, site, range(n, n + 1), now)
            deliveries.deliver_due(db, now)
        enqueue(db, site, range(100, 160), now)
        assert deliveries.deliver_due(db, now)["deferred"] == 50  # claimed, none could go
        assert len(robot.requests) == deliveries.PER_MINUTE
        later = now + timedelta(minutes=1, seconds=1)
        while deliveries.deliver_due(db, later)["sent"]:
            pass
        assert {d.state for d in rows(world, channel)} == {DeliveryState.sent}
        assert len(robot.requests) <= 2 * deliveries.PER_MINUTE


def test_a_robot_whose_minute_is_used_up_waits(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as robot:
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        for n in range(deliveries.PER_MINUTE):
            enqueue(db, site, range(n, n + 1), now)
            deliveries.deliver_due(db, now)
        enqueue(db, site, range(100, 101), now)
        assert deliveries.deliver_due(db, now)["deferred"] == 1
        [late] = [d for d in rows(world, channel) if d.state == DeliveryState.pending]
        assert late.attempts == 0 and late.next_at == now + timedelta(minutes=1)
        deliveries.deliver_due(db, now + timedelta(minutes=1, seconds=1))
        assert len(robot.requests) == deliveries.PER_MINUTE + 1


def test_a_worker_killed_mid_send_leaves_it_unknown_never_sent_twice(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as robot:
        channel = add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        enqueue(db, site, range(3), now)
        with db.session(write=True) as s:  # claimed, then the worker dies before settling
            assert len(deliveries.claim(s, now)) == 3
        deliveries.deliver_due(db, now + timedelta(minutes=1))  # still leased: left alone
        assert {d.state for d in rows(world, channel)} == {DeliveryState.sending}
        deliveries.deliver_due(db, now + deliveries.LEASE + timedelta(seconds=1))
        assert {d.state for d in rows(world, channel)} == {DeliveryState.unknown}
        deliveries.deliver_due(db, now + timedelta(hours=1))
        assert robot.requests == []


def test_two_workers_never_take_the_same_delivery(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    add_channel(world, site, ChannelKind.wecom, "http://127.0.0.1:9/s?key=k")
    enqueue(db, site, range(120), now)
    taken: list[list[int]] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        barrier.wait()
        with db.session(write=True) as s:
            taken.append([d.id for d in deliveries.claim(s, now, limit=50)])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for batch in taken for i in batch]
    assert len(ids) == len(set(ids)) == 120


def test_a_rolled_back_message_has_no_delivery(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    channel = add_channel(world, site, ChannelKind.wecom, "http://127.0.0.1:9/s?key=k")
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        deliveries.enqueue(s, [message(1, site)], now)
        raise RuntimeError("the event failed")
    assert rows(world, channel) == []


# --- the administrators' API ------------------------------------------------------------------


def body(**changes) -> dict:
    return {
        "kind": "wecom",
        "name": "二组群",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        **changes,
    }


def test_an_administrator_adds_tests_and_reads_the_log(client, api_token, world, site):
    admin = api_token("admin")
    with receiver() as robot:
        r = client.post(
            "/api/v1/admin/channels",
            headers=admin,
            json=body(url=f"{robot.url}/send?key=secret-key", team_id=site.team_id),
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["url"].endswith("/send?key=…") and "secret-key" not in r.text
        r = client.post(f"/api/v1/admin/channels/{made['id']}/test", headers=admin)
        assert r.status_code == 200 and r.json()["state"] == "sent"
        assert "admin" in robot.requests[0].json["markdown"]["content"]
        robot.status = 404
        r = client.post(f"/api/v1/admin/channels/{made['id']}/test", headers=admin)
        assert r.json()["state"] == "failed" and r.json()["last_error"] == "HTTP 404"
    log = client.get(f"/api/v1/admin/deliveries?channel_id={made['id']}", headers=admin).json()
    assert [d["state"] for d in log["items"]] == ["failed", "sent"] and log["total"] == 2
    failed = client.get("/api/v1/admin/deliveries?state=failed", headers=admin).json()
    assert [d["id"] for d in failed["items"]] == [log["items"][0]["id"]]
    r = client.put(
        f"/api/v1/admin/channels/{made['id']}",
        headers=admin,
        json=body(url=f"{robot.url}/send?key=secret-key", active=False, name="停用"),
    )
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["team_id"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "url"),
        ({"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}, "url"),
        ({"kind": "webhook", "url": "https://example.com/hook"}, "secret"),
        ({"name": "   "}, "name"),
        ({"team_id": 999_999}, "team_id"),
    ],
)
def test_a_bad_channel_is_refused_at_its_field(client, api_token, changes, field):
    r = english(client).post(
        "/api/v1/admin/channels", headers=api_token("admin"), json=body(**changes)
    )
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]


def test_hostile_channel_input_is_bounded(client, api_token):
    admin = api_token("admin")
    for bad in (body(name="x" * 101), body(url="https://a.cn/?key=" + "k" * 600), body(kind="sms"),
                body(secret="s" * 201), body(team_id=2**63), body(extra=1)):  # fmt: skip
        assert client.post("/api/v1/admin/channels", headers=admin, json=bad).status_code in (
            400,
            422,
        )
    r = client.get("/api/v1/admin/deliveries?limit=101", headers=admin)
    assert r.status_code == 400


def test_only_administrators_in_scope_see_a_channel(client, api_token, world):
    with world.session() as s:
        other = s.exec(select(Team).where(Team.name_en == "Yinxing Team 1")).one()
    r = client.post(
        "/api/v1/admin/channels", headers=api_token("admin"), json=body(team_id=other.id)
    )
    assert r.status_code == 422  # a team of another subdistrict
    made = client.post("/api/v1/admin/channels", headers=api_token("admin"), json=body()).json()
    for username, code in (("supervisor", 403), ("inspector1", 403), ("owner1", 403)):
        r = client.get(f"/api/v1/admin/channels/{made['id']}", headers=api_token(username))
        assert r.status_code == code
    assert client.get("/api/v1/admin/channels").status_code == 401


# --- the administrators' page -----------------------------------------------------------------


def test_the_channels_page_adds_tests_and_turns_off_a_channel(login_as, world, site):
    from tests.helpers.app import post_form
    from tests.helpers.html import parse

    page = english(login_as("admin"))
    r = post_form(page, "/admin/channels/new", {"kind": "webhook", "name": "热线平台",
                  "url": "https://example.com/hook", "secret": ""})  # fmt: skip
    assert r.status_code == 422
    doc = parse(r.text)
    assert "needs a secret" in doc.select_one("#channel-form").text
    assert doc.select_one("#f-name").get("value") == "热线平台"  # what was typed stays
    with receiver() as robot:
        url = f"{robot.url}/send?key=hidden"
        form = {"kind": "wecom", "name": "二组群", "url": url, "team_id": str(site.team_id)}
        r = post_form(page, "/admin/channels/new", form)
        assert r.status_code == 303
        doc = parse(page.get("/admin/channels").text)
        [card] = [li for li in doc.select("#channels li.card") if "二组群" in li.text]
        assert "hidden" not in card.text and "/send?key=" in card.text
        test_action = card.select_one("form.test-form").get("action")
        r = post_form(page, test_action)
        assert r.status_code == 303 and len(robot.requests) == 1
        doc = parse(page.get("/admin/channels").text)
        assert "Test message sent." in doc.text
        assert doc.select_one("#deliveries li.delivery.sent")
        robot.status = 500
        r = post_form(page, test_action)
        assert r.status_code == 200
        refused = parse(r.text).select_one(f"#refused-{test_action.split('/')[3]}")
        assert "not taken: HTTP 500" in refused.text
        r = post_form(page, card.select_one("form.toggle-form").get("action"))
        assert r.status_code == 303
        doc = parse(page.get("/admin/channels").text)
        [card] = [li for li in doc.select("#channels li.card") if "二组群" in li.text]
        assert "Off" in card.text and "Turn on" in card.text


def test_a_webhook_is_not_held_to_a_robots_minute(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as system:
        system.reply = {}
        add_channel(world, site, ChannelKind.webhook, f"{system.url}/hook", "k" * 32)
        enqueue(db, site, range(30), now)
        assert deliveries.deliver_due(db, now)["sent"] == 30
        assert len(system.requests) == 30


def test_a_turn_of_the_worker_sends_a_whole_backlog(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as system:
        system.reply = {}
        channel = add_channel(world, site, ChannelKind.webhook, f"{system.url}/hook", "k" * 32)
        enqueue(db, site, range(3 * deliveries.CLAIM_LIMIT + 7), now)
        assert deliveries.deliver_all(db, now)["sent"] == 3 * deliveries.CLAIM_LIMIT + 7
        assert {d.state for d in rows(world, channel)} == {DeliveryState.sent}


def test_two_workers_at_once_keep_a_robot_within_its_minute(db, world, site):
    now = datetime(2030, 1, 1, 1, tzinfo=UTC)
    with receiver() as robot:
        add_channel(world, site, ChannelKind.wecom, f"{robot.url}/s?key=k")
        enqueue(db, site, range(900), now)
        barrier = threading.Barrier(2)

        def work() -> None:
            barrier.wait()
            deliveries.deliver_all(db, now)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(robot.requests) == deliveries.PER_MINUTE  # not one more, not one less
