"""The coverage board on a 390 px phone, in both languages: nothing wider than the screen, the
two drawings drawn, the list filtered in place, a ticked site reassigned; and the plan form
shows only the chosen scope's own fields."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.helpers.app import office_today

pytestmark = pytest.mark.browser

WIDTH = "document.scrollingElement.scrollWidth"


def token(request, username: str) -> dict[str, str]:
    r = request.post("/api/v1/auth/token", data={"username": username, "password": "demo1234"})
    return {"Authorization": "Bearer " + r.json()["token"]}


def plan_round(request) -> int:
    """Reopening checks over the buildings and enterprises, begun three days ago, with two
    sites that could not be inspected."""
    today = office_today()
    office = token(request, "supervisor")
    r = request.post(
        "/api/v1/campaigns",
        headers=office,
        data={
            "name_zh": "复工检查",
            "name_en": "Reopening checks",
            "template_code": "enterprise-12",
            "scope": "kinds",
            "scope_kinds": ["building", "enterprise"],
            "starts_on": str(today - timedelta(days=3)),
            "ends_on": str(today + timedelta(days=10)),
        },
    )
    assert r.ok, r.text()
    round_id = r.json()["current_round"]["id"]
    sites = request.get(
        f"/api/v1/rounds/{round_id}/sites?status=uncovered&limit=2", headers=office
    ).json()["items"]
    for site, outcome in zip(sites, ("refused", "absent"), strict=True):
        r = request.put(
            f"/api/v1/rounds/{round_id}/outcomes/{uuid.uuid4()}",
            headers=office,
            data={"site_id": site["site_id"], "outcome": outcome},
        )
        assert r.ok, r.text()
    return round_id


def test_the_board_fits_a_phone_and_draws(own_server, new_phone, login):
    # own_server first: pytest stops it last, after the phones
    page = new_phone(server=own_server.url)
    round_id = plan_round(page.request)
    for locale in ("en-US", "zh-CN"):
        page = new_phone(server=own_server.url, locale=locale)
        login(page, "supervisor")
        page.goto(f"/campaigns/rounds/{round_id}")
        assert page.evaluate(WIDTH) <= 390, locale
        for chart in ("svg.progress-chart", "svg.site-map"):
            box = page.locator(chart).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, (locale, chart)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (locale, chart)
        assert page.locator("svg.site-map use").count() > 300  # every site, drawn
        expect(page.locator(".map-key .key-item")).to_have_count(4)
        for table in page.locator("table.data").all():  # a wide table scrolls in its box
            box = table.locator("xpath=..").bounding_box()
            assert box["x"] + box["width"] <= 390, locale

    page.goto("/campaigns")
    expect(page.locator("#campaigns li.campaign")).to_have_count(1)
    assert page.evaluate(WIDTH) <= 390


def test_filter_and_reassign_on_the_phone(own_server, new_phone, login):
    page = new_phone(server=own_server.url)
    round_id = plan_round(page.request)
    login(page, "supervisor")
    page.goto(f"/campaigns/rounds/{round_id}")
    rows = page.locator("#site-rows li.site-row")
    expect(rows).to_have_count(30)  # a page of the sites not covered
    page.select_option("#s-status", "unreachable")  # htmx swaps the list in place
    expect(rows).to_have_count(2)
    assert "status=unreachable" in page.url
    rows.first.locator("input[type=checkbox]").check()
    page.select_option("#f-to", index=2)  # the second team
    team = page.locator("#f-to option:checked").inner_text()
    page.locator("#reassign button[type=submit]").tap()
    expect(page.locator("#done")).to_have_text(f"1 site given to {team}.")
    assert "status=unreachable" in page.url
    assert page.evaluate(WIDTH) <= 390


def test_the_plan_form_shows_the_chosen_scopes_fields(new_phone, login):
    page = new_phone()
    login(page, "supervisor")
    page.goto("/campaigns/new")
    box = page.locator("#f-site_refs")
    expect(box).to_be_hidden()
    page.get_by_label("A list of sites").check()
    expect(box).to_be_visible()
    expect(page.locator("#f-building_id")).to_be_hidden()
    page.get_by_label("A building or compound and its tenants").check()
    expect(page.locator("#f-building_id")).to_be_visible()
    expect(page.locator("#f-repeat_every")).to_be_hidden()  # "once" needs no interval
    page.select_option("#f-repeat", "weeks")
    expect(page.locator("#f-repeat_every")).to_be_visible()
    assert page.evaluate(WIDTH) <= 390
