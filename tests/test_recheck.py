"""Re-check applications (复查申请): due 3 working days later on the office's calendar, on the
inspectors' follow-up list with that date, one open at a time per site, done by a follow-up
visit or when every item closes; through the link or an owner's account."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from inspect_app.models import RecheckRequest, RecheckState
from inspect_app.timezone import add_working_days, today_in
from tests.helpers.app import english, office_today, post_form, says
from tests.helpers.data import findings, inspector_of
from tests.helpers.html import parse
from tests.helpers.links import link_path


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 12, 4), 3, date(2026, 12, 9)),  # Friday -> Wednesday (the weekend skipped)
        (date(2026, 12, 5), 3, date(2026, 12, 9)),  # Saturday -> Wednesday
        (date(2026, 12, 3), 3, date(2026, 12, 8)),  # Thursday -> Tuesday
        (date(2026, 12, 7), 3, date(2026, 12, 10)),  # Monday -> Thursday
        (date(2026, 12, 7), 0, date(2026, 12, 7)),
        (date.max - timedelta(days=1), 3, date.max),  # held at the end of the calendar
    ],
)
def test_working_days_skip_weekends(start, days, due):
    assert add_working_days(start, days) == due


@pytest.fixture
def site(world):
    return world.owned_by("owner1")[0]


def requests_of(world, site_id: int) -> list[RecheckRequest]:
    with world.session() as s:
        return list(s.exec(select(RecheckRequest).where(RecheckRequest.site_id == site_id)))


def test_applying_through_the_link_puts_the_site_on_the_follow_up_list(
    client, api_token, app, login_as, world, site
):
    from litestar.testing import TestClient

    findings(client, api_token, world, site)
    path = link_path(world, site.id)
    business = english(TestClient(app))
    r = post_form(
        business, f"{path}/recheck", {"contact_name": "王经理", "contact_phone": "13800000000"}
    )
    assert r.status_code == 303
    due = add_working_days(office_today(), 3)
    [made] = requests_of(world, site.id)
    assert made.due_on == due and made.via_link and made.state == RecheckState.open
    assert made.contact_name == "王经理"
    page = business.get(path).text
    assert says(
        page,
        ["You applied for a re-check on ", "(made)s. The office will come by ", "(due)s."][0],
    )
    assert due.isoformat() in page
    # a second application says when the first was made and when it is due
    r = post_form(business, f"{path}/recheck", {})
    assert r.status_code == 409
    assert office_today().isoformat() in r.text and due.isoformat() in r.text
    assert len(requests_of(world, site.id)) == 1
    # the inspector's follow-up list names the site and the due date
    inspector = english(login_as(inspector_of(world, site)))
    today_list = parse(inspector.get("/").text).select_one("#today")
    card = next(
        li for li in today_list.select("li") if site.name_zh in li.text or site.name_en in li.text
    )
    assert f"re-check applied for, due {due.isoformat()}" in card.text
    # the site page says so too, with the contact for staff
    assert "13800000000" in inspector.get(f"/sites/{site.id}").text


def test_a_follow_up_visit_marks_the_request_done(client, api_token, app, login_as, world, site):
    from litestar.testing import TestClient

    findings(client, api_token, world, site)
    business = TestClient(app)
    assert post_form(business, f"{link_path(world, site.id)}/recheck", {}).status_code == 303
    inspector = login_as(inspector_of(world, site))
    r = post_form(inspector, "/visits/new", {"site_id": str(site.id)})
    assert r.status_code == 303
    [done] = requests_of(world, site.id)
    assert done.state == RecheckState.done and done.done_at is not None
    assert "re-check applied for" not in english(inspector).get("/").text


def test_closing_every_item_marks_the_request_done(client, api_token, app, world, site):
    from litestar.testing import TestClient

    from tests.helpers.data import evidence

    item = findings(client, api_token, world, site)[0]
    business = TestClient(app)
    assert post_form(business, f"{link_path(world, site.id)}/recheck", {}).status_code == 303
    headers = api_token(inspector_of(world, site))
    photo = evidence(client, headers, item)
    r = client.post(
        f"/api/v1/rectifications/{item}/verify",
        headers=headers,
        json={"outcome": "closed", "photo_ids": [photo]},
    )
    assert r.status_code == 200, r.text
    [done] = requests_of(world, site.id)
    assert done.state == RecheckState.done


def test_owners_with_accounts_apply_from_their_site_page(client, api_token, login_as, world, site):
    findings(client, api_token, world, site)
    owner = english(login_as("owner1"))
    page = parse(owner.get(f"/sites/{site.id}").text)
    assert page.select_one("#apply-recheck") is not None
    r = post_form(owner, f"/sites/{site.id}/recheck")
    assert r.status_code == 303
    [made] = requests_of(world, site.id)
    assert not made.via_link and made.due_on == add_working_days(today_in("Asia/Shanghai"), 3)
    assert "recheck-applied" in owner.get(f"/sites/{site.id}").text
    assert post_form(owner, f"/sites/{site.id}/recheck").status_code == 409
    # staff do not apply for the business; other owners do not see the site
    assert (
        post_form(login_as(inspector_of(world, site)), f"/sites/{site.id}/recheck").status_code
        == 403
    )
    assert post_form(login_as("owner2"), f"/sites/{site.id}/recheck").status_code == 404


def test_contact_fields_are_bounded(client, api_token, app, world, site):
    from litestar.testing import TestClient

    findings(client, api_token, world, site)
    business = english(TestClient(app))
    r = post_form(business, f"{link_path(world, site.id)}/recheck", {"contact_name": "x" * 101})
    assert r.status_code == 422 and says(
        r.text, "At most %(n)s characters.".replace("%(n)s", "100")
    )
    assert requests_of(world, site.id) == []
