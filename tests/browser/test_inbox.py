"""The inbox on a 390x844 phone: the bell counts what is unread, a message opens what it is
about and is read from then on, and without signal the inspector still reads the newest
messages on the offline page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from inspect_app.db import Database
from inspect_app.models import User
from inspect_app.notifications.service import notify
from inspect_app.settings import Settings
from tests.helpers.browser import forgive_offline_errors, ready_offline

pytestmark = pytest.mark.browser

SITE = {"zh": "梧桐咖啡", "en": "Wutong Coffee"}
MEASURE = {"zh": "灭火器在有效期内", "en": "Extinguishers in date"}


def send(server, username: str, key: str, link: str) -> None:
    settings = Settings(database_url=f"sqlite:///{server.var_dir / 'inspect.db'}",
                        var_dir=server.var_dir)  # fmt: skip
    db = Database(settings)
    with db.session(write=True) as s:
        user = s.exec(select(User).where(User.username == username)).one()
        notify(session=s, user_id=user.id, kind="deadline_soon", key=key, link=link,
               params={"site": SITE, "measure": MEASURE, "deadline": "2026-12-09"})  # fmt: skip
    db.dispose()


def test_the_bell_counts_and_a_message_opens_what_it_is_about(own_server, new_phone, login):
    send(own_server, "inspector1", "one", "/sites")
    send(own_server, "inspector1", "two", "/rectifications")
    page = new_phone(server=own_server.url)
    login(page, "inspector1")
    bell = page.locator("#bell")
    expect(bell.locator(".count")).to_have_text("2")
    box = bell.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44  # a thumb's target
    bell.tap()
    expect(page.locator("li.message.unread")).to_have_count(2)
    page.locator("li.message").first.locator("button").tap()
    page.wait_for_url("**/rectifications")
    expect(page.locator("#bell .count")).to_have_text("1")
    page.goto("/inbox")
    page.get_by_role("button", name="Mark all read").tap()
    expect(page.locator("#done")).to_contain_text("All messages marked read.")
    expect(page.locator("#bell .count")).to_have_count(0)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


def test_without_signal_the_offline_page_shows_the_newest_messages(own_server, new_phone, login):
    send(own_server, "inspector1", "offline", "/sites")
    page = new_phone(service_workers="allow", server=own_server.url, locale="zh-CN")
    ready_offline(page, login)
    page.context.set_offline(True)
    page.reload()
    inbox = page.locator("#offline-inbox")
    expect(inbox.locator("li.message.unread")).to_have_count(1)
    expect(inbox).to_contain_text("梧桐咖啡：“灭火器在有效期内”的整改期限为 2026-12-09。")
    forgive_offline_errors(page)
