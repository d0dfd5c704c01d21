"""The offline page on a 390x844 phone: sent inspections say so at once (no reload), the
inspector's sites come in groups (a building or compound with its tenants, the rest by kind)
that open and close and that the search narrows, so the page stays short; counts read right for
one and for more, in English and Chinese."""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers.browser import forgive_offline_errors, inspect_offline, ready_offline

pytestmark = pytest.mark.browser

HEIGHT = "document.scrollingElement.scrollHeight"


def test_a_sent_inspection_says_so_without_a_reload(new_phone, login, tmp_path):
    photo = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (200, 30, 30)).save(photo, "JPEG")
    page = new_phone(service_workers="allow")
    ready_offline(page, login)
    page.context.set_offline(True)
    uuid = inspect_offline(page, [photo])
    page.get_by_role("button", name="Submit inspection").tap()
    drafts = page.locator("#offline-drafts")
    expect(drafts).to_contain_text("Submitted, waiting to send")

    page.context.set_offline(False)
    page.locator(".outbox-sync").tap()
    expect(page.locator(".outbox-count")).to_have_text("Everything is sent.", timeout=30_000)
    expect(drafts).not_to_contain_text("Submitted, waiting to send")  # the same page, no reload
    sent = drafts.locator("li.is-sent")
    expect(sent).to_contain_text("Sent to the server")
    assert sent.locator("a").first.get_attribute("href") == f"/inspections/{uuid}"
    expect(page.locator("#offline-drafts-empty")).to_be_hidden()
    forgive_offline_errors(page)


def groups(page):
    return page.locator("#offline-sites details.site-group")


def test_sites_come_in_groups_that_open_close_and_search(new_phone, login):
    page = new_phone()
    login(page, "inspector1")
    page.goto("/offline")
    expect(groups(page).first).to_be_visible()
    count = groups(page).count()
    assert count >= 5  # Team 1: four buildings, a compound, the shops
    opened = [groups(page).nth(i).evaluate("d => d.open") for i in range(count)]
    assert opened == [True] + [False] * (count - 1)  # the first is open, to start at once
    first = groups(page).first
    card = first.locator("li.card").first
    padding = card.evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)")
    assert padding >= 8  # a card, not bare text against its border
    assert page.evaluate(HEIGHT) < 6000  # the whole list was ~23,000 px

    first.locator("summary").tap()  # closed: the page is a short list of groups
    expect(first.locator("li.card").first).to_be_hidden()
    assert page.evaluate(HEIGHT) < 2200
    last = groups(page).last
    last.locator("summary").tap()
    expect(last.locator("li.card").first).to_be_visible()

    # One site and more: "1 site", "4 sites" (no "1 sites").
    heads = page.locator("#offline-sites .group-head").all_inner_texts()
    assert any("1 site" in h and "1 sites" not in h for h in heads), heads
    assert any(" sites" in h for h in heads) and not any("1 sites" in h for h in heads)

    # The search opens the groups with a match and shows only the matches.
    name = first.locator("summary strong").inner_text()
    page.fill("#offline-q", name)
    expect(groups(page)).to_have_count(1)
    assert groups(page).first.evaluate("d => d.open")
    expect(page.locator("#offline-count")).to_contain_text("site")
    page.fill("#offline-q", "no site is called this")
    expect(groups(page)).to_have_count(0)
    expect(page.locator("#offline-sites")).to_contain_text("No sites match.")
    page.fill("#offline-q", "")
    expect(groups(page)).to_have_count(count)
    assert not groups(page).first.evaluate("d => d.open")  # the person's choice is kept


def test_counts_in_chinese(new_phone, login):
    page = new_phone(locale="zh-CN")
    login(page, "inspector1")
    page.goto("/offline")
    expect(groups(page).first).to_be_visible()
    heads = " ".join(page.locator("#offline-sites .group-head").all_inner_texts())
    assert "个场所" in heads and "site" not in heads
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
