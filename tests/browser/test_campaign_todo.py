"""The inspector's to do of a campaign round on a 390x844 phone: start a site from it and submit
the checklist, record "refused" at another and "told to close" with a photo at a third, while the
supervisor's coverage rises; then without signal, an outcome with its photo waits in the outbox,
leaves the to do at once and reaches the server exactly once (a replay refused with 409 is shown
on its card). Each test has a server of its own: its rounds stay out of the other tests' pages."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.app import office_today
from tests.helpers.browser import (
    CONTROLLED,
    INSTALL_S,
    SMALL_TARGETS_JS,
    api_token,
    forgive_offline_errors,
    outbox_counts,
    wait_until,
)

pytestmark = pytest.mark.browser

# TODO_SHOTS=DIR keeps screenshots of the pages (both languages, 390 px) for a person to look at.
SHOTS = os.environ.get("TODO_SHOTS", "")


# Counts the phone's position requests (the page must not ask on its own).
ASKS_WHERE = """window.asked = 0;
const where = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
navigator.geolocation.getCurrentPosition = (...args) => {
  window.asked += 1;
  return where(...args);
};"""


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def plan(request, office, sites: list[int], name: str) -> int:
    """As the supervisor: a round of the 12 measures over these sites, running today."""
    today = office_today()
    r = request.post(
        "/api/v1/campaigns",
        headers=office,
        data={
            "name_zh": f"复工检查{name}",
            "name_en": f"Reopening checks {name}",
            "template_code": "enterprise-12",
            "scope": "sites",
            "site_ids": sites,
            "starts_on": str(today - timedelta(days=1)),
            "ends_on": str(today + timedelta(days=3)),
        },
    )
    assert r.status == 201, r.text()
    return r.json()["current_round"]["id"]


def tenants(request, headers, n: int) -> list[dict]:
    """n enterprises of one building of inspector1's team."""
    sites = request.get("/api/v1/sites?limit=200&kind=enterprise", headers=headers).json()["items"]
    building = sites[0]["parent_id"]
    return [s for s in sites if s["parent_id"] == building][:n]


def coverage(request, office, round_id: int) -> dict:
    r = request.get(f"/api/v1/rounds/{round_id}/coverage", headers=office)
    assert r.ok, r.text()
    return r.json()


def card(page, round_id: int, site_id: int):
    return page.locator(f"#todo-{round_id}-{site_id}")


def counts(page) -> dict[str, int]:
    found = page.locator("#todo [data-count]")
    return {
        found.nth(i).get_attribute("data-count"): int(found.nth(i).inner_text())
        for i in range(found.count())
    }


def photo(tmp_path) -> Path:
    path = tmp_path / "shut.jpg"
    Image.new("RGB", (1600, 1200), (90, 90, 110)).save(path, "JPEG", quality=90)
    return path


def test_inspector_works_through_the_todo_and_coverage_rises(
    own_server, new_phone, login, tmp_path
):
    page = new_phone(server=own_server.url)
    page.add_init_script(ASKS_WHERE)
    office = api_token(page.request, "supervisor")  # bearer tokens, before the page signs in
    a, b, c = tenants(page.request, api_token(page.request, "inspector1"), 3)
    round_id = plan(page.request, office, [a["id"], b["id"], c["id"]], "A")
    login(page, "inspector1")
    section = page.locator(f'.todo-round[data-round="{round_id}"]')
    expect(section).to_contain_text("Reopening checks A · round 1")
    expect(section).to_contain_text("3 days left")
    expect(section.locator(".todo-site")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS_JS) == []
    before = counts(page)
    shot(page, "en-home-todo")

    # Nearest first, and the position is asked for only when the button is tapped.
    assert page.evaluate("window.asked") == 0
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": c["latitude"], "longitude": c["longitude"]})
    page.get_by_role("button", name="Sort by distance").tap()
    expect(page.locator("#todo-near-state")).to_contain_text("Nearest first")
    assert page.evaluate("window.asked") == 1
    first = section.locator(".todo-site").first
    expect(first).to_have_attribute("id", f"todo-{round_id}-{c['id']}")
    expect(first.locator(".todo-name")).to_have_attribute("data-where", "0 m")

    # One tap starts the round's checklist at the first site; every measure passes.
    card(page, round_id, a["id"]).get_by_role("button", name="Start inspection").tap()
    page.wait_for_url(re.compile(r"/inspections/[0-9a-f-]{36}$"))
    expect(page.locator("li.item")).to_have_count(12)
    for n in range(1, 13):
        code = f"E{n:02d}"
        with page.expect_response(lambda r, code=code: f"/answers/{code}" in r.url):
            page.locator(f"#item-{code}").get_by_role("button", name=re.compile("Pass")).tap()
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator(".tiles")).to_contain_text("100%")
    assert coverage(page.request, office, round_id)["covered"] == 1

    page.goto("/")
    expect(card(page, round_id, a["id"])).to_have_count(0)
    assert counts(page)["done"] == before["done"] + 1

    # Refused entry at the second: it stays, to visit again.
    card(page, round_id, b["id"]).get_by_role("link", name="Could not inspect").tap()
    page.wait_for_url(re.compile(r"/todo/\d+/\d+/outcome$"))
    page.get_by_role("button", name="Record").tap()
    expect(page.locator('[data-error-for="outcome"]')).to_have_text("Choose what you found.")
    page.get_by_text("Refused entry", exact=True).tap()
    page.locator("#outcome-note").fill("Gate locked, the guard would not let us in")
    page.get_by_role("button", name="Record").tap()
    page.wait_for_url(re.compile(r"/#todo$"))
    expect(page.locator("#flash")).to_contain_text("Recorded:")
    expect(card(page, round_id, b["id"]).locator(".badge.again")).to_have_text(
        "Visit again · Refused entry"
    )

    # Told to close at the third: the note and the photo are asked for before anything is sent.
    card(page, round_id, c["id"]).get_by_role("link", name="Could not inspect").tap()
    page.get_by_text("Told to close", exact=True).tap()
    expect(page.locator("#outcome-photo-field [data-required]")).to_be_visible()
    page.get_by_role("button", name="Record").tap()
    expect(page.locator('[data-error-for="note"]')).to_be_visible()
    expect(page.locator('[data-error-for="photo_ids"]')).to_have_text(
        "Add a photo of the premises."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate(SMALL_TARGETS_JS)  # the photo input is worked by its label, a button
    assert [t for t in small if not t.startswith('input "file"')] == []
    shot(page, "en-outcome-errors")
    page.locator("#outcome-note").fill("Foot spa without a permit, told to stop trading")
    page.locator("#outcome-photo").set_input_files(str(photo(tmp_path)))
    expect(page.locator("#outcome-photo-field .thumbs img")).to_have_count(1)
    page.get_by_role("button", name="Record").tap()
    page.wait_for_url(re.compile(r"/#todo$"))
    expect(card(page, round_id, c["id"])).to_have_count(0)
    assert counts(page)["done"] == before["done"] + 2
    assert counts(page)["again"] == before["again"] + 1
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0")

    cov = coverage(page.request, office, round_id)
    assert (cov["total"], cov["covered"], cov["unreachable"], cov["pending"]) == (3, 2, 1, 0)
    assert cov["outcomes"]["refused"] == 1 and cov["outcomes"]["told_to_close"] == 1
    assert page.log.problems() == []

    # The same pages in Chinese, for the screenshots.
    zh = new_phone(locale="zh-CN", server=own_server.url)
    login(zh, "inspector1")
    expect(zh.locator("#todo-title")).to_have_text("待办")
    expect(card(zh, round_id, b["id"]).locator(".badge.again")).to_have_text("需再访 · 拒绝检查")
    shot(zh, "zh-home-todo")
    card(zh, round_id, b["id"]).get_by_role("link", name="无法检查").tap()
    zh.get_by_text("已劝关/劝停", exact=True).tap()
    zh.get_by_role("button", name="记录").tap()
    expect(zh.locator('[data-error-for="photo_ids"]')).to_be_visible()
    assert zh.evaluate("document.documentElement.scrollWidth") <= 390
    shot(zh, "zh-outcome-errors")


def test_offline_outcome_with_a_photo_is_sent_exactly_once(own_server, new_phone, login, tmp_path):
    page = new_phone(service_workers="allow", server=own_server.url)
    office, mine = (api_token(page.request, u) for u in ("supervisor", "inspector1"))
    d, e = tenants(page.request, mine, 2)
    round_id = plan(page.request, office, [d["id"], e["id"]], "B")
    login(page, "inspector1")
    page.goto("/offline")  # with signal: the to do is copied to the phone
    wait_until(page, CONTROLLED, timeout_s=INSTALL_S)
    expect(card(page, round_id, d["id"])).to_be_visible()

    page.context.set_offline(True)
    page.reload()  # served by the service worker, filled from IndexedDB
    expect(card(page, round_id, d["id"])).to_be_visible()
    before = counts(page)
    assert page.evaluate(SMALL_TARGETS_JS) == []
    shot(page, "en-offline-todo")

    # Told to close, with a photo, in the basement.
    card(page, round_id, d["id"]).get_by_role("link", name="Could not inspect").tap()
    expect(page.locator("#offline-outcome")).to_be_visible()
    expect(page.locator("#offline-outcome-site")).to_have_text(d["name_en"] or d["name_zh"])
    page.get_by_text("Told to close", exact=True).tap()
    page.locator("#outcome-note").fill("Chess room, told to close")
    page.locator("#outcome-photo").set_input_files(str(photo(tmp_path)))
    expect(page.locator("#outcome-photo-field .thumbs img")).to_have_count(1)
    shot(page, "en-offline-outcome")
    page.get_by_role("button", name="Record").tap()
    expect(page.locator("#offline-home")).to_be_visible()
    expect(card(page, round_id, d["id"])).to_be_hidden()  # off the to do at once
    assert counts(page)["done"] == before["done"] + 1
    assert counts(page)["pending"] == before["pending"] - 1
    expect(page.locator("#outbox")).to_have_attribute("data-photos", "1")
    assert outbox_counts(page) == ("1", "1")
    expect(page.locator("#flash")).to_contain_text("Kept on this phone")

    # No one present at the other: visit again, waiting to send.
    card(page, round_id, e["id"]).get_by_role("link", name="Could not inspect").tap()
    page.get_by_text("No one present", exact=True).tap()
    page.get_by_role("button", name="Record").tap()
    other = card(page, round_id, e["id"])
    expect(other.locator(".badge.again")).to_have_text("Visit again · No one present")
    expect(other.locator(".todo-note")).to_have_text(
        "On this phone, waiting to send: No one present"
    )

    page.reload()  # still offline: both wait in IndexedDB, and the to do still says so
    expect(page.locator("#outbox")).to_have_attribute("data-records", "2")
    expect(card(page, round_id, d["id"])).to_be_hidden()
    expect(other.locator(".badge.again")).to_be_visible()
    shot(page, "en-offline-waiting")
    records = page.evaluate("InspectOutbox.all('records')")
    told = next(r for r in records if r["site_id"] == d["id"])
    absent = next(r for r in records if r["site_id"] == e["id"])

    # Meanwhile the absent outcome's id reaches the server with other content: its replay is
    # refused (409), and the card says so.
    r = page.request.put(
        f"/api/v1/rounds/{round_id}/outcomes/{absent['uuid']}",
        headers=mine,
        data={"site_id": e["id"], "outcome": "closed_today"},
    )
    assert r.ok, r.text()

    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-photos", "0", timeout=30_000)
    expect(page.locator(".outbox-refused li")).to_have_count(1, timeout=30_000)
    expect(other.locator(".todo-note")).to_contain_text("The server refused this:")
    expect(other.locator(".todo-note")).to_contain_text("already used for another record")
    expect(card(page, round_id, d["id"])).to_be_hidden()
    forgive_offline_errors(page)

    # Exactly once on the server: one outcome, its photo attached; a replay changes nothing.
    db = sqlite3.connect(own_server.var_dir / "inspect.db")
    try:
        rows = db.execute(
            "SELECT id, outcome, note FROM site_outcome WHERE round_id = ? AND site_id = ?",
            (round_id, d["id"]),
        ).fetchall()
        assert [(o, n) for _id, o, n in rows] == [("told_to_close", "Chess room, told to close")]
        attached = db.execute("SELECT uuid FROM photo WHERE outcome_id = ?", (rows[0][0],))
        assert [u for (u,) in attached] == told["body"]["photo_ids"]
    finally:
        db.close()
    replay = page.request.put(
        f"/api/v1/rounds/{round_id}/outcomes/{told['uuid']}",
        headers=mine,
        data=told["body"],
    )
    assert replay.ok and replay.json()["photo_ids"] == told["body"]["photo_ids"]
    cov = coverage(page.request, office, round_id)
    assert cov["outcomes"]["told_to_close"] == 1 and cov["covered"] == 1

    # With signal the to do comes from the server: the covered site is gone for good.
    page.reload()
    wait_until(page, "() => !!document.querySelector('#todo .todo-site')")
    expect(card(page, round_id, d["id"])).to_have_count(0)
    expect(card(page, round_id, e["id"]).locator(".badge.again")).to_have_text(
        "Visit again · Closed for the day"
    )


def test_without_signal_the_home_pages_todo_carries_on_offline(own_server, new_phone, login):
    """The home page was open when the signal went: a start begins the checklist on the phone,
    linked to the round (covering the site once sent), and "could not inspect" opens the
    offline form (the service worker answers for its page)."""
    page = new_phone(service_workers="allow", server=own_server.url)
    office, mine = (api_token(page.request, u) for u in ("supervisor", "inspector1"))
    f, g = tenants(page.request, mine, 2)
    round_id = plan(page.request, office, [f["id"], g["id"]], "C")
    login(page, "inspector1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # under the service worker, which keeps the offline page
    wait_until(page, CONTROLLED, timeout_s=INSTALL_S)
    kept = """(id) => InspectOutbox.getMeta('data')
      .then(d => !!d && !!d.todo && d.todo.items.some(t => t.round_id === id))"""
    wait_until(page, kept, round_id)  # the home page copied the to do to the phone

    page.context.set_offline(True)
    assert page.locator("#offline").count() == 0  # the home page, as the server made it
    card(page, round_id, g["id"]).get_by_role("button", name="Start inspection").tap()
    expect(page.locator("#offline-walk")).to_be_visible()
    expect(page.locator("#offline-items li.item")).to_have_count(12)
    for n in range(1, 13):
        page.locator(f"#item-E{n:02d}").get_by_role("button", name=re.compile("Pass")).tap()
    page.get_by_role("button", name="Submit inspection").tap()
    expect(page.locator("#offline-home")).to_be_visible()
    expect(card(page, round_id, g["id"])).to_be_hidden()  # submitted: off the to do
    records = page.evaluate("InspectOutbox.all('records')")
    assert [r["body"].get("round_id") for r in records] == [round_id]

    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator("#outbox")).to_have_attribute("data-records", "0", timeout=30_000)
    stored = page.request.get(f"/api/v1/inspections/{records[0]['uuid']}", headers=mine).json()
    assert stored["round_id"] == round_id and stored["status"] == "submitted"
    cov = coverage(page.request, office, round_id)
    assert (cov["covered"], cov["pending"]) == (1, 1)

    page.goto("/")
    page.context.set_offline(True)
    card(page, round_id, f["id"]).get_by_role("link", name="Could not inspect").tap()
    page.wait_for_url(re.compile(rf"/todo/{round_id}/{f['id']}/outcome$"))
    expect(page.locator("#offline-outcome")).to_be_visible()
    expect(page.locator("#offline-outcome-site")).to_have_text(f["name_en"] or f["name_zh"])
    page.get_by_text("Closed for the day", exact=True).tap()
    page.get_by_role("button", name="Record").tap()
    page.wait_for_url(re.compile(r"/offline#?$"))
    expect(card(page, round_id, f["id"]).locator(".badge.again")).to_have_text(
        "Visit again · Closed for the day"
    )
    assert outbox_counts(page) == ("1", "0")
    forgive_offline_errors(page)
