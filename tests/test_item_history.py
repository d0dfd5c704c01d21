"""Who did what to a rectification item, and what came of it (issue 11, sections 2-4): the
person and role on every event (page and API), what an owner may see of other accounts, the
outcome of a verdict where it was given, the before / fix / after photos, the site's visits
and closed items, and the owner's page (the report button's reason, no red "overdue" while the
inspector has to check, no technical codes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from inspect_app.auth.service import load_current_user
from inspect_app.models import SiteOwner, User
from inspect_app.rectifications import history
from tests.helpers.app import csrf_token, office_today, post_form, says
from tests.helpers.data import evidence, findings, inspector_of, set_deadline
from tests.helpers.html import parse, visible_text

TODAY = office_today()
EN = {"Accept-Language": "en-US"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def site(world):
    return world.owned_by("owner1")[0]


@pytest.fixture
def items(client, api_token, world, site):
    return findings(client, api_token, world, site, failed=("F02", "F06"))


def csrf(browser) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(browser)}


def report(owner, item_id: int, note: str = "new extinguisher") -> str:
    """The owner reports the item fixed through the page; returns the fix photo's id."""
    photo = evidence(owner, csrf(owner), item_id)
    r = post_form(
        owner, f"/rectifications/{item_id}/report-fixed", {"note": note, "photo_ids": photo}
    )
    assert r.status_code == 303, r.text
    return photo


def start_visit(inspector, site) -> str:
    r = post_form(inspector, "/visits/new", {"site_id": str(site.id)})
    assert r.status_code == 303
    return r.headers["location"].rsplit("/", 1)[1]


def verdict(inspector, item_id: int, outcome: str, visit_uuid: str, **extra) -> str | None:
    """A verdict through the page; returns the 'after' photo's id when one is sent."""
    photo = (
        evidence(inspector, csrf(inspector), item_id, (40, 60, 200))
        if outcome == "closed"
        else None
    )
    data = {"outcome": outcome, "visit_uuid": visit_uuid, "photo_ids": photo or "", **extra}
    r = post_form(inspector, f"/rectifications/{item_id}/verify", data)
    assert r.status_code == 303, r.text
    return photo


def test_every_event_names_its_actor_in_the_api(login_as, api_token, client, items, world, site):
    owner = login_as("owner1")
    report(owner, items[0])
    boss = api_token("supervisor")
    later = (TODAY + timedelta(days=30)).isoformat()
    r = client.post(
        f"/api/v1/rectifications/{items[0]}/extend",
        headers=boss,
        json={"reason": "parts on order", "new_deadline": later},
    )
    assert r.status_code == 200, r.text
    inspector, owner1, supervisor = (
        world.user(n) for n in (inspector_of(world, site), "owner1", "supervisor")
    )
    for reader in ("owner1", "supervisor"):
        events = client.get(
            f"/api/v1/rectifications/{items[0]}", headers={**api_token(reader), **EN}
        ).json()["events"]
        assert [
            (e["kind"], e["actor_name"], e["actor_role"], e["actor_role_label"]) for e in events
        ] == [
            ("created", inspector.display_name, "inspector", "Inspector"),
            ("fix_reported", owner1.display_name, "owner", "Business owner"),
            ("extended", supervisor.display_name, "supervisor", "Supervisor"),
        ]
    chinese = client.get(f"/api/v1/rectifications/{items[0]}", headers={**boss, **ZH}).json()
    assert [e["actor_role_label"] for e in chinese["events"]] == ["检查员", "企业负责人", "督查员"]
    schema = client.get("/schema/openapi.json", headers=boss).json()
    event_out = schema["components"]["schemas"]["EventOut"]
    assert {"actor_name", "actor_role", "actor_role_label"} <= set(event_out["required"])


def test_an_owner_sees_display_names_never_another_accounts_username(
    login_as, api_token, client, items, world, site
):
    """Without display names: staff see usernames; an owner sees their own, and only the role
    of anyone else (here a co-owner and the inspector)."""
    inspector = inspector_of(world, site)
    with world.session() as s:
        s.exec(update(User).where(User.username.in_(("owner1", inspector))).values(display_name=""))
        s.add(SiteOwner(site_id=site.id, user_id=world.user("owner2").id))
        s.commit()
    report(login_as("owner1"), items[0])

    def names(reader: str) -> list[tuple[str, str]]:
        r = client.get(f"/api/v1/rectifications/{items[0]}", headers=api_token(reader))
        assert r.status_code == 200, r.text
        assert inspector not in r.text or reader not in ("owner1", "owner2")
        return [(e["actor_name"], e["actor_role"]) for e in r.json()["events"]]

    assert names("supervisor") == [(inspector, "inspector"), ("owner1", "owner")]
    assert names("owner1") == [("", "inspector"), ("owner1", "owner")]
    assert names("owner2") == [("", "inspector"), ("", "owner")]
    page = visible_text(login_as("owner2").get(f"/rectifications/{items[0]}", headers=EN).text)
    assert "owner1" not in page and inspector not in page
    assert "Inspector" in page and "Business owner" in page


def test_the_history_names_who_did_what_in_the_readers_language(login_as, items, world, site):
    report(login_as("owner1"), items[0])
    inspector = world.user(inspector_of(world, site))
    owner = world.user("owner1")
    for headers, roles in ((EN, ("Inspector", "Business owner")), (ZH, ("检查员", "企业负责人"))):
        page = login_as("owner1").get(f"/rectifications/{items[0]}", headers=headers).text
        actors = [p.text for p in parse(page).select("#history p.actor.muted")]
        assert actors == [
            f"{inspector.display_name} · {roles[0]}",
            f"{owner.display_name} · {roles[1]}",
        ]


def test_item_pages_and_api_follow_the_owner_isolation(login_as, api_token, client, items):
    assert login_as("owner2").get(f"/rectifications/{items[0]}").status_code == 404
    r = client.get(f"/api/v1/rectifications/{items[0]}", headers=api_token("owner2"))
    assert r.status_code == 404 and "actor_name" not in r.text
    assert login_as("supervisor2").get(f"/rectifications/{items[0]}").status_code == 404


def test_a_report_is_confirmed_and_waits_for_the_inspector(login_as, items, world):
    """After the redirect the owner reads that the report was sent; an overdue item reported
    fixed is not red and says it waits for the inspector, on the item and on the home page."""
    set_deadline(world, items[0], TODAY - timedelta(days=15))
    owner = login_as("owner1")
    before = owner.get(f"/rectifications/{items[0]}", headers=EN).text
    assert "15 days overdue" in before and "is-late" in owner.get("/", headers=EN).text
    report(owner, items[0])
    doc = parse(owner.get(f"/rectifications/{items[0]}", headers=EN).text)
    flash = doc.select_one("#done").text  # in the language of the post
    assert says(flash, "Your report was sent. The inspector will come back to check the fix.")
    box = doc.select_one('[data-outcome="fix_reported"]').text
    assert "You reported it fixed on" in box and "Waiting for the inspector" in box
    page = owner.get(f"/rectifications/{items[0]}", headers=EN).text
    assert 'id="done"' not in page and "You reported it fixed on" in page  # said once; state stays
    assert "days overdue" not in page and "badge st-fix_reported late" not in page
    home = parse(owner.get("/", headers=EN).text).select_one("ul#my-items")
    link = home.select_one(f'li.card > a[href="/rectifications/{items[0]}"]')
    assert "is-late" not in link.parent.classes
    assert "Waiting for the inspector" in link.text
    assert "days overdue" not in home.text


def test_no_technical_codes_where_an_owner_looks(login_as, items, world, site):
    owner_page = login_as("owner1").get(f"/rectifications/{items[0]}").text
    owner_home = login_as("owner1").get("/").text
    for text in (visible_text(owner_page), visible_text(owner_home)):
        assert "fire-safety" not in text and "· F02" not in text  # (the note names F02)
    staff_page = login_as(inspector_of(world, site)).get(f"/rectifications/{items[0]}").text
    assert "fire-safety · F02" in visible_text(staff_page)


def test_the_report_button_says_what_it_needs(login_as, items):
    page = login_as("owner1").get(f"/rectifications/{items[0]}", headers=EN).text
    form = parse(page).select_one("form#report-form")
    hint = form.select_one("#fix-needs[data-needs-photo-hint]")
    assert hint.text == "Add at least one photo of the fix."
    button = form.select_one("[data-needs-photo][disabled]")
    assert button.get("aria-describedby") == "fix-needs"


def test_a_verdict_shows_where_it_was_given(login_as, items, world, site):
    """Closed, and not fixed with a new deadline: on the visit page, the item page and the
    site page (its visits and its recently closed items), with the three photos side by side."""
    owner = login_as("owner1")
    fix = report(owner, items[0])
    inspector_name = inspector_of(world, site)
    display = world.user(inspector_name).display_name
    inspector = login_as(inspector_name)
    visit_uuid = start_visit(inspector, site)
    after = verdict(inspector, items[0], "closed", visit_uuid, note="looks good")
    later = (TODAY + timedelta(days=7)).isoformat()
    verdict(inspector, items[1], "not_fixed", visit_uuid, note="still blocked", new_deadline=later)

    visit = inspector.get(f"/visits/{visit_uuid}", headers=EN).text
    closed_box = parse(visit).select_one(f"li#verdict-{items[0]}").text
    assert "Closed on" in closed_box and display in closed_box and "looks good" in closed_box
    kept_box = parse(visit).select_one(f"li#verdict-{items[1]}").text
    assert f"New deadline: {later}" in kept_box and "still blocked" in kept_box
    assert f'id="visit-item-{items[1]}"' not in visit  # judged on this visit: not asked again

    item = parse(owner.get(f"/rectifications/{items[0]}", headers=EN).text)
    history_at = item.select_one("#history").index()
    outcome = item.select_one('[data-outcome="verified_closed"]')
    assert outcome.index() < history_at and display in outcome.text
    compare = item.select_one("#compare")
    cells = compare.select("figure")
    assert [cell.select_one("figcaption").text for cell in cells] == [
        "Before",
        "The business's photo",
        "After",
    ]
    assert cells[0].select('img[src$="/thumb"]')
    assert cells[1].select_one(f'img[src="/api/v1/photos/{fix}/thumb"]')
    assert cells[2].select_one(f'img[src="/api/v1/photos/{after}/thumb"]')
    assert compare.index() < history_at
    kept = parse(owner.get(f"/rectifications/{items[1]}", headers=EN).text)
    outcome = kept.select_one('[data-outcome="verified_not_fixed"]')
    assert outcome.index() < kept.select_one("#history").index()
    assert f"New deadline: {later}" in outcome.text

    for reader in (inspector, owner, login_as("supervisor")):
        page = parse(reader.get(f"/sites/{site.id}", headers=EN).text)
        visits = page.select_one("h2#visits").next_element
        assert "Closed: 1 · Not fixed: 1" in visits.text and display in visits.text
        assert bool(visits.select(f'a[href="/visits/{visit_uuid}"]')) == (reader is inspector)
        closed = page.select_one("h2#closed-items").next_element
        assert closed.select_one(f'a[href="/rectifications/{items[0]}"]')
        assert not closed.select(f'[href="/rectifications/{items[1]}"]')


def test_last_events_give_each_items_latest_actor(login_as, items, world, site):
    """The service the exports use: one query per chunk of items, the reader's view of names."""
    report(login_as("owner1"), items[0])
    with world.session() as s:
        reader = load_current_user(
            session=s, user=s.exec(select(User).where(User.username == "supervisor")).one()
        )
        found = history.last_events(session=s, reader=reader, item_ids=items)
        assert found[items[0]].kind.value == "fix_reported"
        assert found[items[0]].actor.name == world.user("owner1").display_name
        assert found[items[1]].kind.value == "created"
        assert found[items[1]].actor.role.value == "inspector"
        assert history.last_events(session=s, reader=reader, item_ids=[]) == {}
