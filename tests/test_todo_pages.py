"""The inspector's to do on the home page: the uncovered sites of running rounds given to them or
their team, grouped by building; one tap starts the round's checklist linked to the round; the
"could not inspect" form records an outcome once, and keeps what was typed when refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import func, select

from inspect_app.models import Inspection, Site, SiteOutcome, TeamMember
from tests.helpers.app import english, office_today, post_form
from tests.helpers.data import jpeg, team_of
from tests.helpers.html import parse

TODAY = office_today()


def plan(client, office, **changes) -> dict:
    """A fire-safety round over inspector1's team's sites, running today for six days."""
    data = {
        "name_zh": "消防巡查",
        "name_en": "Fire patrol",
        "template_code": "fire-safety",
        "scope": "team",
        "starts_on": str(TODAY - timedelta(days=1)),
        "ends_on": str(TODAY + timedelta(days=5)),
        **changes,
    }
    r = client.post("/api/v1/campaigns", headers=office, json=data)
    assert r.status_code == 201, r.text
    return r.json()["current_round"]


def todo_of(page: str, round_id: int) -> dict[int, object]:
    """The cards of a round on a page, by site id."""
    return {
        int(card.get("data-site")): card
        for card in parse(page).select(f'.todo-site[data-round="{round_id}"]')
    }


def counts(page: str) -> dict[str, int]:
    return {n.get("data-count"): int(n.text) for n in parse(page).select("#todo [data-count]")}


def team_rows(world, team_id) -> list[Site]:
    return world.sites(Site.team_id == team_id, Site.active.is_(True))


def photo_for(client, headers, round_id, site_id) -> str:
    photo = str(uuid.uuid4())
    r = client.put(
        f"/api/v1/rounds/{round_id}/sites/{site_id}/photos/{photo}",
        headers=headers,
        files={"file": ("shut.jpg", jpeg(), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    return photo


def test_home_shows_the_todo_grouped_by_building(client, api_token, world, login_as):
    team = team_of(world, "inspector1")
    round_ = plan(client, api_token("supervisor"), team_id=team)
    sites = {s.id: s for s in team_rows(world, team)}
    inspector = english(login_as("inspector1"))
    home = inspector.get("/").text
    doc = parse(home)
    section = doc.select_one(f'.todo-round[data-round="{round_["id"]}"]')
    assert "Fire patrol · round 1" in section.text and "5 days left" in section.text
    assert "Fire-safety inspection" in section.text
    assert counts(home) == {"pending": len(sites), "again": 0, "done": 0}

    # The home page shows the first sites; the to do page shows them all.
    shown = [int(c.get("data-site")) for c in section.select(".todo-site")]
    assert len(shown) == 40 < len(sites)
    assert doc.select_one('#todo a[href="/todo"]').text == f"All {len(sites)} sites to do"
    whole = parse(inspector.get("/todo").text)
    section = whole.select_one(f'.todo-round[data-round="{round_["id"]}"]')
    assert [int(c.get("data-site")) for c in section.select(".todo-site")][:40] == shown

    # Each building's group: the building first, then its own tenants; shops by kind, last.
    groups = section.select(".todo-group")
    keys = [g.get("data-group") for g in groups]
    assert keys[-1] == "kshop" and all(k.startswith("b") for k in keys[:-1])
    listed = []
    for group in groups:
        ids = [int(c.get("data-site")) for c in group.select(".todo-site")]
        listed += ids
        if group.get("data-group").startswith("b"):
            building = int(group.get("data-group")[1:])
            assert ids[0] == building and "data-lead" in group.select(".todo-site")[0].attrs
            assert all(sites[i].parent_id == building for i in ids[1:])
            assert sites[building].name_en in group.select_one("summary").text
        else:
            assert all(sites[i].kind.value == "shop" for i in ids)
    assert sorted(listed) == sorted(sites)
    # Offline data carries the same list and today's count.
    api = inspector.get("/api/v1/me/todo").json()
    assert api["total"] == len(sites) and api["done_today"] == 0


def test_another_teams_sites_are_not_shown(client, api_token, world, login_as):
    office = api_token("supervisor")
    only_team1 = plan(client, office, team_id=team_of(world, "inspector1"))
    everything = plan(client, office, scope="all", name_en="Sweep", name_zh="全面排查")
    home2 = login_as("inspector2").get("/todo").text
    assert not todo_of(home2, only_team1["id"])  # another team's round: nothing
    mine2 = todo_of(home2, everything["id"])
    team2 = {s.id for s in team_rows(world, team_of(world, "inspector2"))}
    assert set(mine2) == team2
    home1 = login_as("inspector1").get("/todo").text
    assert not set(todo_of(home1, everything["id"])) & team2
    # A team with no running round shows no to do at all.
    assert parse(login_as("inspector12").get("/").text).select_one("#todo") is None


def test_sites_given_by_name(client, api_token, world, login_as):
    """A site given to one inspector by name leaves the to do of the rest of the team."""
    team = team_of(world, "inspector1")
    with world.db.session(write=True) as s:  # inspector2 joins team 1 too
        s.add(TeamMember(team_id=team, user_id=world.user("inspector2").id))
    office = api_token("supervisor")
    round_id = plan(client, office, team_id=team)["id"]
    first, second = (s.id for s in team_rows(world, team)[:2])
    url = f"/api/v1/rounds/{round_id}/assignments"
    for site_id, who in ((first, "inspector1"), (second, "inspector2")):
        to = {"site_ids": [site_id], "to_inspector_id": world.user(who).id}
        assert client.put(url, headers=office, json=to).status_code == 200
    one = todo_of(login_as("inspector1").get("/todo").text, round_id)
    two = todo_of(login_as("inspector2").get("/todo").text, round_id)
    assert first in one and first not in two
    assert second in two and second not in one
    assert set(one) - {first} == set(two) - {second}  # the rest is the team's


def test_start_links_the_round_and_submitting_covers_the_site(client, api_token, world, login_as):
    team = team_of(world, "inspector1")
    office = api_token("supervisor")
    round_id = plan(client, office, team_id=team)["id"]
    inspector = english(login_as("inspector1"))
    home = inspector.get("/").text
    site_id, card = next(iter(todo_of(home, round_id).items()))
    start = card.select_one('form[action="/inspections/new"]').fields()
    assert start["round_id"] == str(round_id) and start["template_code"] == "fire-safety"
    r = post_form(inspector, "/inspections/new", start)
    assert r.status_code == 303, r.text
    key = r.headers["location"].rsplit("/", 1)[1]
    with world.session() as s:
        assert s.exec(select(Inspection).where(Inspection.uuid == key)).one().round_id == round_id
    for n in range(1, 9):
        answer = {"result": "pass"}
        assert post_form(inspector, f"/inspections/{key}/answers/F{n:02d}", answer).is_redirect
    assert post_form(inspector, f"/inspections/{key}/submit").status_code == 303

    after = inspector.get("/").text
    assert site_id not in todo_of(inspector.get("/todo").text, round_id)
    assert counts(after)["done"] == 1 and counts(after)["pending"] == counts(home)["pending"] - 1
    coverage = client.get(f"/api/v1/rounds/{round_id}/coverage", headers=office).json()
    assert coverage["covered"] == 1

    # A round that is not a number, or of another checklist, is refused with a reason.
    bad = post_form(inspector, "/inspections/new", {**start, "round_id": "x1"})
    assert bad.status_code == 422 and "Unknown round" in bad.text
    other = {**start, "template_code": "enterprise-12"}
    refused = post_form(inspector, "/inspections/new", other)
    assert refused.status_code == 422 and "another checklist" in refused.text


def test_outcome_form_keeps_what_was_typed(client, api_token, world, login_as):
    team = team_of(world, "inspector1")
    office = api_token("supervisor")
    round_id = plan(client, office, team_id=team)["id"]
    inspector = english(login_as("inspector1"))
    shop, other = [s for s in team_rows(world, team) if s.kind.value == "shop"][:2]
    url = f"/todo/{round_id}/{shop.id}/outcome"
    form = parse(inspector.get(url).text).select_one("#outcome-form")
    key = form.fields()["uuid"]
    assert uuid.UUID(key) and form.get("data-needs-photo") == "told_to_close"
    assert "Required for told to close" in form.text  # said at the field before sending

    def post(**fields):
        return post_form(inspector, url, {"uuid": key, **fields})

    cases = [
        ({"outcome": "told_to_close", "note": "Foot spa, told to stop trading"}, "photo_ids"),
        ({"outcome": "closed_down", "note": "   "}, "note"),
        ({"note": "nobody answered"}, "outcome"),
        ({"outcome": "everything", "note": "nobody answered"}, "outcome"),
        ({"outcome": "refused", "note": "x" * 2001}, "note"),
        ({"outcome": "refused", "photo_ids": str(uuid.uuid4())}, "photo_ids"),
    ]
    for fields, field in cases:
        r = post(**fields)
        assert r.status_code == 422, (fields, r.text)
        page = parse(r.text)
        error = page.select_one(f'[data-error-for="{field}"]')
        assert error.text and "hidden" not in error.attrs, fields
        assert "hidden" not in page.select_one("#outcome-problem").attrs
        kept = page.select_one("#outcome-form").fields()
        assert kept["uuid"] == key and kept.get("outcome") == (
            fields.get("outcome") if fields.get("outcome") != "everything" else None
        )
        assert kept["note"] == fields.get("note", "")
    bad_id = post_form(inspector, url, {"uuid": "not-an-id", "outcome": "absent"})
    assert bad_id.status_code == 422
    assert uuid.UUID(parse(bad_id.text).select_one("#outcome-form").fields()["uuid"])

    # With a photo it is recorded once: a second tap of the same form is a replay.
    photo = photo_for(client, api_token("inspector1"), round_id, shop.id)
    done = {"outcome": "told_to_close", "note": "Foot spa, told to close", "photo_ids": photo}
    for _ in range(2):
        r = post(**done)
        assert r.status_code == 303 and r.headers["location"] == "/#todo"
    with world.session() as s:
        stored = s.exec(select(SiteOutcome).where(SiteOutcome.uuid == key)).all()
        assert len(stored) == 1 and stored[0].outcome.value == "told_to_close"
    home = inspector.get("/").text
    assert f"Recorded: Told to close, {shop.name_en}." in parse(home).select_one("#flash").text
    assert shop.id not in todo_of(inspector.get("/todo").text, round_id)
    assert counts(home)["done"] == 1
    changed = post(outcome="absent")  # the same id with something else: 409, a fresh id
    assert changed.status_code == 409
    assert parse(changed.text).select_one("#outcome-form").fields()["uuid"] != key

    # Refused entry leaves the site on the list, to visit again.
    form = parse(inspector.get(f"/todo/{round_id}/{other.id}/outcome").text)
    fields = {**form.select_one("#outcome-form").fields(), "outcome": "refused"}
    assert post_form(inspector, f"/todo/{round_id}/{other.id}/outcome", fields).is_redirect
    home = inspector.get("/todo").text
    chip = todo_of(home, round_id)[other.id].select_one(".badge.again")
    assert chip.text == "Visit again · Refused entry" and "hidden" not in chip.attrs
    assert counts(home)["again"] == 1
    form = inspector.get(f"/todo/{round_id}/{other.id}/outcome").text
    assert "Recorded before in this round: Refused entry." in form
    with world.session() as s:
        assert s.exec(select(func.count()).select_from(SiteOutcome)).one() == 2


def test_owners_supervisors_and_other_subdistricts_get_no_inspector_todo(
    client, api_token, world, login_as
):
    team = team_of(world, "inspector1")
    round_id = plan(client, api_token("supervisor"), team_id=team)["id"]
    site = team_rows(world, team)[0]
    url = f"/todo/{round_id}/{site.id}/outcome"
    for who in ("supervisor", "owner1", "admin"):
        c = login_as(who)
        assert parse(c.get("/").text).select_one("#todo") is None, who
        assert not todo_of(c.get("/todo").text, round_id), who
    owner = login_as("owner1")
    assert owner.get(url).status_code == 403  # owners: refused by role, whatever the round
    assert post_form(owner, url, {"uuid": str(uuid.uuid4()), "outcome": "absent"}).status_code in (
        403,
        404,
    )
    stranger = login_as("inspector12")  # another subdistrict
    assert stranger.get(url).status_code == 404
    other_team = login_as("inspector2")  # may not see the site
    assert other_team.get(url).status_code == 404
    with world.session() as s:
        assert s.exec(select(func.count()).select_from(SiteOutcome)).one() == 0


def test_both_languages(client, api_token, world, login_as):
    team = team_of(world, "inspector1")
    round_id = plan(client, api_token("supervisor"), team_id=team)["id"]
    site = team_rows(world, team)[0]
    inspector = login_as("inspector1")  # Chinese by default
    zh = parse(inspector.get("/").text).select_one("#todo")
    assert zh.select_one("#todo-title").text == "待办"
    assert "消防巡查 · 第1轮" in zh.text and "剩余 5 天" in zh.text
    assert {a.text for a in zh.select(".todo-outcome")} == {"无法检查"}
    assert {b.text for b in zh.select(".todo-start")} == {"开始检查"}
    form = inspector.get(f"/todo/{round_id}/{site.id}/outcome").text
    assert "已劝关/劝停" in form and "拒绝检查" in form and "无人在场" in form
    english(inspector)
    en = parse(inspector.get("/").text).select_one("#todo")
    assert en.select_one("#todo-title").text == "To do" and "Fire patrol · round 1" in en.text
    form = inspector.get(f"/todo/{round_id}/{site.id}/outcome").text
    assert "Told to close" in form and "Refused entry" in form and "No one present" in form
    # The offline page carries the to do's frame and the form, in both languages.
    offline = parse(inspector.get("/offline").text)
    assert offline.select_one("#todo template#todo-card") is not None
    assert offline.select_one("#offline-outcome #outcome-form") is not None
