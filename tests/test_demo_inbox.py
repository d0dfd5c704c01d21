"""The demo's inboxes: a few days of messages for inspectors, owners and the supervisor, each
leading to something its reader may open, some read and some waiting."""

from __future__ import annotations


def inbox(demo, username: str) -> dict:
    return demo.get(username, "/api/v1/notifications?limit=100")


def test_each_kind_of_user_has_a_few_days_of_messages_some_unread(demo):
    for username in ("inspector1", "inspector4", "supervisor"):
        found = inbox(demo, username)
        assert 1 <= found["total"] <= 12 + 4, (username, found["total"])
        assert 0 < found["unread"] <= found["total"]
    owners = [inbox(demo, f"owner{n}") for n in range(1, 6)]
    assert any(found["total"] for found in owners)
    assert {m["kind"] for found in owners for m in found["items"]} == {"deadline_soon"}
    kinds = {m["kind"] for m in inbox(demo, "supervisor")["items"]}
    assert {"digest", "overdue_escalated"} <= kinds
    team = {m["kind"] for u in ("inspector1", "inspector2", "inspector3", "inspector4")
            for m in inbox(demo, u)["items"]}  # fmt: skip
    assert {"overdue", "fix_reported"} <= team


def test_every_message_leads_to_a_page_its_reader_may_open(demo):
    for username in ("inspector1", "supervisor", "owner1", "owner2", "owner4"):
        for message in inbox(demo, username)["items"]:
            assert message["text"] and "%(" not in message["text"]
            page = demo.client.get(message["link"], headers=demo.token(username))
            assert page.status_code == 200, (username, message)
