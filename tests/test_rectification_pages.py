"""The rectification pages: the owner's list and report, the inspector's day and follow-up
visit, the supervisor's extend and cancel, and the printable notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from inspect_app.models import FollowUpVisit, RectificationEvent
from tests.helpers.app import csrf_token, office_today, post_form
from tests.helpers.data import evidence, findings, inspector_of, set_deadline
from tests.helpers.html import parse

TODAY = office_today()


@pytest.fixture
def site(world):
    return world.owned_by("owner1")[0]


@pytest.fixture
def items(client, api_token, world, site):
    ids = findings(client, api_token, world, site, failed=("F02", "F06"))
    set_deadline(world, ids[1], TODAY - timedelta(days=4))
    return ids


def cookie_headers(browser) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(browser)}


def test_owner_home_lists_overdue_first_with_days(login_as, items):
    page = login_as("owner1").get("/").text
    cards = parse(page).select("ul#my-items > li.card")
    order = [card.select_one('a[href^="/rectifications/"]').get("href") for card in cards]
    assert order == [f"/rectifications/{items[1]}", f"/rectifications/{items[0]}"]
    assert "is-late" in cards[0].classes and "is-late" not in cards[1].classes
    for card in cards:  # each item shows the photo of its finding
        assert len(card.select('img[src$="/thumb"]')) == 1
    assert not parse(login_as("owner2").get("/").text).select('[href^="/rectifications/"]')


def test_owner_reports_a_fix_through_the_page(login_as, items, world):
    owner = login_as("owner1")
    page = owner.get(f"/rectifications/{items[0]}")
    doc = parse(page.text)
    finding = doc.select_one("p.finding-box").text
    assert "Finding at F02" in finding  # the inspector's note: what is wrong
    form = doc.select_one(f'form[action="/rectifications/{items[0]}/report-fixed"]')
    token = form.select_one('input[name="request_id"]').get("value")
    assert token
    refused = post_form(
        owner, f"/rectifications/{items[0]}/report-fixed", {"note": "done", "photo_ids": ""}
    )
    assert refused.status_code == 422 and parse(refused.text).select_one('[role="alert"]')
    photo = evidence(owner, cookie_headers(owner), items[0])
    done = post_form(
        owner,
        f"/rectifications/{items[0]}/report-fixed",
        {"note": "new extinguisher", "photo_ids": photo, "request_id": token},
    )
    assert done.status_code == 303
    again = post_form(
        owner,
        f"/rectifications/{items[0]}/report-fixed",
        {"note": "new extinguisher", "photo_ids": photo, "request_id": token},
    )
    assert again.status_code == 303  # a double tap is answered once
    history = parse(owner.get(f"/rectifications/{items[0]}").text).select_one("#history")
    assert "new extinguisher" in history.text
    assert history.select_one(f'img[src="/api/v1/photos/{photo}/thumb"]')
    with world.session() as s:
        kinds = s.exec(
            select(RectificationEvent.kind)
            .where(RectificationEvent.rectification_id == items[0])
            .order_by(RectificationEvent.id)
        ).all()
    assert [k.value for k in kinds] == ["created", "fix_reported"]


def test_inspector_today_visit_and_verify_closed(login_as, client, api_token, items, world, site):
    owner = login_as("owner1")
    post_form(
        owner,
        f"/rectifications/{items[0]}/report-fixed",
        {"note": "fixed", "photo_ids": evidence(owner, cookie_headers(owner), items[0])},
    )
    inspector = login_as(inspector_of(world, site))
    today = parse(inspector.get("/").text).select_one("ul#today")
    assert today.select_one(f'a[href="/sites/{site.id}#open-items"]')
    start = post_form(inspector, "/visits/new", {"site_id": str(site.id)})
    assert start.status_code == 303
    visit_url = start.headers["location"]
    visit_uuid = visit_url.rsplit("/", 1)[1]
    links = parse(inspector.get(visit_url).text).links()
    assert all(f"/rectifications/{i}?visit={visit_uuid}" in links for i in items)
    item_page = parse(inspector.get(f"/rectifications/{items[0]}?visit={visit_uuid}").text)
    assert item_page.select_one('input[name="visit_uuid"]').get("value") == visit_uuid
    after = evidence(inspector, cookie_headers(inspector), items[0])
    closed = post_form(
        inspector,
        f"/rectifications/{items[0]}/verify",
        {"outcome": "closed", "photo_ids": after, "visit_uuid": visit_uuid, "next": visit_url},
    )
    assert closed.status_code == 303 and closed.headers["location"] == visit_url
    kept = post_form(
        inspector,
        f"/rectifications/{items[1]}/verify",
        {
            "outcome": "not_fixed",
            "note": "still there",
            "visit_uuid": visit_uuid,
            "new_deadline": (TODAY + timedelta(days=7)).isoformat(),
        },
    )
    assert kept.status_code == 303
    with world.session() as s:
        visit_id = s.exec(select(FollowUpVisit.id).where(FollowUpVisit.uuid == visit_uuid)).one()
        linked = s.exec(
            select(RectificationEvent.rectification_id).where(
                RectificationEvent.visit_id == visit_id
            )
        ).all()
    assert sorted(linked) == sorted(items)  # the visit is linked to the items it verified
    assert 'id="closed-out"' not in inspector.get(f"/sites/{site.id}").text
    after2 = evidence(inspector, cookie_headers(inspector), items[1])
    post_form(
        inspector, f"/rectifications/{items[1]}/verify", {"outcome": "closed", "photo_ids": after2}
    )
    assert parse(inspector.get(f"/sites/{site.id}").text).select_one("#closed-out")


def test_supervisor_extends_and_cancels_with_reasons(login_as, items, api_token, client):
    boss = login_as("supervisor")
    later = (TODAY + timedelta(days=30)).isoformat()
    no_reason = post_form(
        boss, f"/rectifications/{items[0]}/extend", {"new_deadline": later, "reason": ""}
    )
    assert no_reason.status_code == 422
    assert (
        post_form(
            boss,
            f"/rectifications/{items[0]}/extend",
            {"new_deadline": later, "reason": "parts on order"},
        ).status_code
        == 303
    )
    assert (
        post_form(
            boss, f"/rectifications/{items[1]}/cancel", {"reason": "raised in error"}
        ).status_code
        == 303
    )
    twice = post_form(boss, f"/rectifications/{items[1]}/cancel", {"reason": "again"})
    assert twice.status_code == 409
    detail = client.get(
        f"/api/v1/rectifications/{items[0]}", headers=api_token("supervisor")
    ).json()
    assert detail["deadline"] == later and detail["events"][-1]["note"] == "parts on order"
    owner = login_as("owner1")
    assert (
        post_form(
            owner, f"/rectifications/{items[0]}/extend", {"new_deadline": later, "reason": "please"}
        ).status_code
        == 403
    )
    assert "/extend" not in owner.get(f"/rectifications/{items[0]}").text


def test_item_pages_follow_the_owner_isolation(login_as, items):
    for path in (f"/rectifications/{items[0]}", f"/rectifications/{items[0]}/report-fixed"):
        other = login_as("owner2")
        r = other.get(path) if "report" not in path else post_form(other, path, {"note": "x"})
        assert r.status_code == 404
    assert login_as("supervisor2").get(f"/rectifications/{items[0]}").status_code == 404


def test_printable_notice(login_as, client, api_token, items, world, site):
    inspection_uuid = client.get(
        f"/api/v1/rectifications/{items[0]}", headers=api_token("supervisor")
    ).json()["inspection_uuid"]
    inspector = login_as(inspector_of(world, site))
    summary = inspector.get(f"/inspections/{inspection_uuid}").text
    assert f"/inspections/{inspection_uuid}/notice" in parse(summary).links()
    notice = login_as("owner1").get(f"/inspections/{inspection_uuid}/notice")
    assert notice.status_code == 200
    doc = parse(notice.text)
    assert len(doc.select("tr td.date")) == 2 and doc.select('img[src$="/thumb"]')
    assert doc.select_one("[data-print]") and "____" in doc.text  # print button, signature lines
    assert login_as("owner2").get(f"/inspections/{inspection_uuid}/notice").status_code == 404


def test_list_page_filters_with_htmx_and_keeps_the_query(login_as, items):
    boss = login_as("supervisor")
    full = boss.get("/rectifications?overdue=true")
    assert full.status_code == 200 and f'href="/rectifications/{items[1]}"' in full.text
    assert f'href="/rectifications/{items[0]}"' not in full.text
    fragment = boss.get("/rectifications?status=open", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="result-count"' in fragment.text
    bad = boss.get("/rectifications?deadline_from=soon")
    assert bad.status_code == 400
