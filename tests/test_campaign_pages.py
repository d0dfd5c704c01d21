"""The office's campaign pages: the list, planning and editing (refusals keep what was typed and
name their field), a list of sites from a CSV, a campaign's rounds and round 2, the coverage
board (its numbers are the API's), bulk reassignment, the drawings, the exports and who may see
any of it."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import update
from sqlmodel import select

from inspect_app.campaigns import charts
from inspect_app.i18n import translations
from inspect_app.models import Inspection, Site, SiteKind, Subdistrict, Team
from tests.helpers.app import csrf_token, english, make_city_wide_admin, office_today, post_form
from tests.helpers.data import jpeg, team_of
from tests.helpers.html import form_fields, parse

TODAY = office_today()
FIRE = [f"F{n:02d}" for n in range(1, 9)]
ZH = translations("zh_CN")


def plan(client, headers, **changes) -> dict:
    data = {
        "name_zh": "消防巡查",
        "name_en": "Fire patrol",
        "template_code": "fire-safety",
        "scope": "team",
        "starts_on": str(TODAY - timedelta(days=2)),
        "ends_on": str(TODAY + timedelta(days=5)),
        **changes,
    }
    r = client.post("/api/v1/campaigns", headers=headers, json=data)
    assert r.status_code == 201, r.text
    return r.json()


def submit(client, headers, site_id, *, round_id=None, failed=(), started=None) -> None:
    """A fire-safety inspection as the phone sends it (a photo for each failed item)."""
    key = str(uuid.uuid4())
    answers = [
        {"item_code": c, "result": "fail" if c in failed else "pass"}
        | ({"note": "blocked", "deadline": str(TODAY + timedelta(days=3))} if c in failed else {})
        for c in FIRE
    ]
    body = {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": (started or datetime.now(UTC)).isoformat(),
        "answers": answers,
        "round_id": round_id,
    }
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=body).status_code == 200
    for code in failed:
        r = client.put(
            f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
            headers=headers,
            files={"file": ("p.jpg", jpeg(), "image/jpeg")},
            data={"item_code": code},
        )
        assert r.status_code == 200, r.text
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json={**body, "submit": True})
    assert r.status_code == 200, r.text


def team_sites(world, team_id) -> list[Site]:
    return world.sites(Site.team_id == team_id, Site.active.is_(True))


def fresh_sites(world, team_id) -> list[Site]:
    """The team's sites the demo's history never inspected: nothing covers them but the test."""
    with world.session() as s:
        seen = set(s.exec(select(Inspection.site_id)))
    return [site for site in team_sites(world, team_id) if site.id not in seen]


def coverage(client, headers, round_id) -> dict:
    return client.get(f"/api/v1/rounds/{round_id}/coverage", headers=headers).json()


@pytest.fixture
def running(client, api_token, world) -> dict:
    """Team 1's fire patrol, begun two days ago: a site covered and failing, one refused."""
    team_id = team_of(world, "inspector1")
    campaign = plan(client, api_token("supervisor"), team_id=team_id)
    round_id = campaign["current_round"]["id"]
    sites = fresh_sites(world, team_id)
    inspector = api_token("inspector1")
    submit(client, inspector, sites[0].id, round_id=round_id, failed=("F01",))
    r = client.put(
        f"/api/v1/rounds/{round_id}/outcomes/{uuid.uuid4()}",
        headers=inspector,
        json={"site_id": sites[1].id, "outcome": "refused", "note": "gate locked"},
    )
    assert r.status_code == 200, r.text
    return {
        "id": campaign["id"],
        "round": round_id,
        "team": team_id,
        "sites": sites,
        "coverage": coverage(client, api_token("supervisor"), round_id),
    }


def pages(c: dict) -> list[str]:
    rid = c["round"]
    return [
        "/campaigns",
        "/campaigns/new",
        f"/campaigns/{c['id']}",
        f"/campaigns/{c['id']}/edit",
        f"/campaigns/rounds/{rid}",
        f"/campaigns/rounds/{rid}/uncovered.csv",
        f"/campaigns/rounds/{rid}/uncovered.xlsx",
        f"/campaigns/rounds/{rid}/teams.csv",
        f"/campaigns/rounds/{rid}/teams.xlsx",
    ]


def posts(c: dict) -> list[str]:
    return [
        "/campaigns/new",
        f"/campaigns/{c['id']}/edit",
        f"/campaigns/{c['id']}/rounds",
        f"/campaigns/rounds/{c['round']}/assignments",
    ]


# --- who sees what ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_every_page_renders_for_the_office_in_both_languages(login_as, running, who):
    for locale, word in (("en", "Campaigns"), ("zh_CN", ZH.gettext("Campaigns"))):
        browser = login_as(who)
        browser.cookies.set("locale", locale)
        for url in pages(running):
            r = browser.get(url)
            assert r.status_code == 200, (who, locale, url, r.text[-500:])
            if url.endswith((".csv", ".xlsx")):
                continue
            doc = parse(r.text)
            assert doc.select_one("main h1").text, url
            nav = doc.select_one('.bottomnav a[href="/campaigns"]')
            assert nav is not None and nav.own_text == word, (locale, url)
    assert word != "Campaigns"  # the Chinese page said it in Chinese
    fragment = login_as(who).get(
        f"/campaigns/rounds/{running['round']}?status=all", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert parse(fragment.text).select("#site-rows li.site-row")


@pytest.mark.parametrize("who", ["inspector1", "owner1"])
def test_inspectors_and_owners_are_refused_every_page(login_as, running, who):
    browser = login_as(who)
    for url in pages(running):
        assert browser.get(url, follow_redirects=False).status_code == 403, url
    for url in posts(running):
        assert post_form(browser, url, {"name_zh": "x"}).status_code == 403, url
    upload = browser.post(  # a refused upload is closed too (filterwarnings = error)
        "/campaigns/new",
        data={"_csrf_token": csrf_token(browser), "scope": "sites"},
        files={"site_file": ("s.csv", "名称\n梧桐小店\n".encode(), "text/csv")},
        follow_redirects=False,
    )
    assert upload.status_code == 403
    assert "/campaigns" not in [a.get("href") for a in parse(browser.get("/").text).select("a")]


def test_another_subdistricts_campaign_is_not_found(login_as, running):
    other = login_as("supervisor2")
    for url in pages(running)[2:]:
        assert other.get(url).status_code == 404, url
    for url in posts(running)[1:]:
        r = post_form(other, url, {"starts_on": str(TODAY), "to": "team:1", "site_ids": "1"})
        assert r.status_code == 404, url
    listed = parse(other.get("/campaigns").text).select("#campaigns li.campaign")
    assert listed == []
    assert login_as("supervisor").get("/campaigns").text.count("campaign-name") == 1


# --- planning -----------------------------------------------------------------------------


def plan_form(browser, **fields):
    data = {
        "name_zh": "沿街商铺排查",
        "name_en": "Street-shop sweep",
        "template_code": "fire-safety",
        "scope": "kinds",
        "scope_kinds": ["shop"],
        "starts_on": str(TODAY),
        "ends_on": str(TODAY + timedelta(days=9)),
        "repeat": "once",
        "repeat_every": "1",
        "_csrf_token": csrf_token(browser),
        **fields,
    }
    files = data.pop("files", None)
    return browser.post(
        "/campaigns/new", data=data, files=files or {"x": ("", b"")}, follow_redirects=False
    )


def error_at(html: str, name: str) -> str:
    doc = parse(html)
    found = doc.select_one(f"#e-{name}")
    assert found is not None, f"no error at {name}: {doc.select_one('#error-summary')}"
    return found.text


def test_a_refused_plan_keeps_what_was_typed_and_says_where(login_as):
    boss = english(login_as("supervisor"))
    r = plan_form(
        boss, name_zh="", starts_on="2026-13-45", site_refs="梧桐小店", scope_kinds=["shop"]
    )
    assert r.status_code == 422
    assert error_at(r.text, "name_zh") == "Required."
    assert "date" in error_at(r.text, "starts_on")
    doc = parse(r.text)
    assert doc.select_one('#error-summary a[href="#f-name_zh"]')
    kept = form_fields(r.text)
    assert kept["name_en"] == "Street-shop sweep" and kept["starts_on"] == "2026-13-45"
    assert kept["scope"] == "kinds" and kept["scope_kinds"] == "shop"
    assert kept["site_refs"] == "梧桐小店" and kept["ends_on"] == str(TODAY + timedelta(days=9))
    assert doc.select_one("#f-name_zh").get("aria-invalid") == "true"

    cases = [
        ({"ends_on": str(TODAY - timedelta(days=1))}, "ends_on", "ends before it starts"),
        ({"starts_on": "1999-01-01"}, "starts_on", "outside the allowed range"),
        ({"scope": "building", "building_id": ""}, "building_id", "Required"),
        ({"scope": "team", "team_id": "999999"}, "team_id", "Not a team"),
        ({"scope": "kinds", "scope_kinds": []}, "scope_kinds", "at least one kind"),
        ({"template_code": "nope"}, "template_code", "published checklist"),
        ({"repeat": "days", "ends_on": str(TODAY + timedelta(days=500))}, "repeat_every", "too"),
        ({"repeat": "weeks", "repeat_every": "abc"}, "repeat_every", "whole number"),
        ({"repeat": "weeks", "repeat_every": "9999"}, "repeat_every", "At most 366"),
        ({"name_en": "x" * 201}, "name_en", "At most 200 characters"),
        ({"scope": "galaxy"}, "scope", "Choose one of the options"),
        ({"scope": "sites", "site_refs": "  "}, "site_refs", "List at least one site"),
    ]
    for changes, field, words in cases:
        r = plan_form(boss, **changes)
        assert r.status_code == 422, (changes, r.status_code)
        assert words in error_at(r.text, field), (changes, error_at(r.text, field))
        assert form_fields(r.text)["name_zh"] == "沿街商铺排查", changes  # nothing typed lost

    made = plan_form(boss)
    assert made.status_code == 303
    page = boss.get(made.headers["location"])
    assert parse(page.text).select_one("#done").text == "Campaign Street-shop sweep planned."
    assert len(parse(page.text).select("table.rounds tbody tr")) == 1


def csv_upload(rows: list[list[str]], encoding="utf-8") -> dict:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return {"site_file": ("sites.csv", buf.getvalue().encode(encoding), "text/csv")}


def test_a_list_of_sites_from_a_csv_or_pasted(login_as, world):
    boss = english(login_as("supervisor"))
    shops = world.sites(
        Site.kind == SiteKind.shop,
        Site.subdistrict_id == world.user("supervisor").subdistrict_id,
        Site.credit_code.is_not(None),
    )
    known, unknown = shops[0].name_zh, "查无此店"
    r = plan_form(
        boss, scope="sites", site_refs="", files=csv_upload([["名称"], [known], [unknown]])
    )
    assert r.status_code == 422
    assert unknown in error_at(r.text, "site_refs") and known not in error_at(r.text, "site_refs")
    kept = form_fields(r.text)["site_refs"].splitlines()
    assert kept == [known, unknown]  # the file's names are in the box, to correct them there

    with world.db.session(write=True) as s:  # two shops of one name: the name is ambiguous
        s.execute(update(Site).where(Site.id == shops[2].id).values(name_zh=shops[1].name_zh))
    r = plan_form(boss, scope="sites", site_refs=f"{shops[1].name_zh}\n")
    assert r.status_code == 422
    message = error_at(r.text, "site_refs")
    assert "more than one site" in message and "credit code" in message

    codes = [[s.credit_code, "备注"] for s in shops[1:4]]
    gb = csv_upload([["统一社会信用代码", "备注"], *codes], encoding="gb18030")
    made = plan_form(boss, scope="sites", site_refs=f"{known}\t第一列\n", files=gb)
    assert made.status_code == 303, error_at(made.text, "site_refs")
    page = parse(boss.get(made.headers["location"]).text)
    assert "(4 sites)" in page.select_one("dl.facts").text

    r = plan_form(boss, scope="sites", files={"site_file": ("s.csv", b"\n\n", "text/csv")})
    assert r.status_code == 422 and "no sites" in error_at(r.text, "site_file")


# --- a campaign, its rounds, edits and round 2 ---------------------------------------------


def test_edit_shows_what_is_fixed_and_keeps_a_refused_edit(login_as, running, api_token, client):
    boss = english(login_as("supervisor"))
    url = f"/campaigns/{running['id']}/edit"
    doc = parse(boss.get(url).text)
    assert doc.select_one('input[name="name_zh"]') and doc.select_one('input[name="ends_on"]')
    for fixed in ("template_code", "starts_on", "repeat", "scope"):
        assert doc.select_one(f'[name="{fixed}"]') is None, fixed
    assert "Fire-safety inspection" in doc.select_one("dl.facts").text

    r = post_form(boss, url, {"name_zh": "改名巡查", "ends_on": str(TODAY - timedelta(days=9))})
    assert r.status_code == 422
    assert "ends before it starts" in error_at(r.text, "ends_on")
    assert form_fields(r.text)["name_zh"] == "改名巡查"
    r = post_form(
        boss, url, {"name_zh": "改名巡查", "name_en": "", "ends_on": str(TODAY + timedelta(days=9))}
    )
    assert r.status_code == 303
    saved = client.get(f"/api/v1/campaigns/{running['id']}", headers=api_token("supervisor")).json()
    assert saved["name_zh"] == "改名巡查" and saved["ends_on"] == str(TODAY + timedelta(days=9))

    later = plan(
        client,
        api_token("supervisor"),
        team_id=running["team"],
        starts_on=str(TODAY + timedelta(days=3)),
        ends_on=str(TODAY + timedelta(days=9)),
    )
    doc = parse(boss.get(f"/campaigns/{later['id']}/edit").text)
    assert doc.select_one('select[name="template_code"]') and doc.select_one('[name="repeat"]')
    r = post_form(
        boss,
        f"/campaigns/{later['id']}/edit",
        {**form_fields(boss.get(f"/campaigns/{later['id']}/edit").text), "repeat": "weeks"},
    )
    assert r.status_code == 303


def test_round_two_beside_round_one(login_as, client, api_token, world):
    office, inspector = api_token("supervisor"), api_token("inspector1")
    team_id = team_of(world, "inspector1")
    sites = fresh_sites(world, team_id)
    campaign = plan(
        client,
        office,
        team_id=team_id,
        starts_on=str(TODAY - timedelta(days=10)),
        ends_on=str(TODAY - timedelta(days=3)),
    )
    first = campaign["current_round"]["id"]
    back_then = datetime.now(UTC) - timedelta(days=5)
    submit(client, inspector, sites[0].id, round_id=first, failed=("F02",), started=back_then)
    submit(client, inspector, sites[1].id, round_id=first, failed=("F02",), started=back_then)
    submit(client, inspector, sites[2].id)  # today, before round 2 is added: no round yet

    boss = english(login_as("supervisor"))
    url = f"/campaigns/{campaign['id']}"
    detail = parse(boss.get(url).text)
    assert detail.select_one("#add-round form")
    missed = detail.select("table.rounds tbody tr")[0].select("td")[-1].text
    first_round = client.get(f"/api/v1/campaigns/{campaign['id']}/rounds", headers=office).json()[0]
    assert int(missed) == first_round["missed"] > 0  # an ended round keeps its missed in sight
    overlapping = {"starts_on": str(TODAY - timedelta(days=4)), "ends_on": str(TODAY)}
    r = post_form(boss, f"{url}/rounds", overlapping)
    assert r.status_code == 422 and "after the last one ends" in error_at(r.text, "starts_on")
    kept = parse(r.text).select_one("#add-round form").fields()
    assert kept["starts_on"] == overlapping["starts_on"] and kept["ends_on"] == str(TODAY)
    r = post_form(boss, f"{url}/rounds", {"starts_on": str(TODAY)})
    assert r.status_code == 422 and error_at(r.text, "ends_on") == "Required."
    r = post_form(
        boss,
        f"{url}/rounds",
        {"starts_on": str(TODAY - timedelta(days=1)), "ends_on": str(TODAY + timedelta(days=6))},
    )
    assert r.status_code == 303
    second = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=office).json()
    second_id = second["current_round"]["id"]
    assert second["current_round"]["number"] == 2
    # the inspection made today counts for round 2 (begun yesterday); round 1's late ones do not
    covered = client.get(
        f"/api/v1/rounds/{second_id}/sites?status=covered&limit=200", headers=office
    ).json()
    ids = {row["site_id"] for row in covered["items"]}
    assert sites[2].id in ids and not ids & {sites[0].id, sites[1].id}
    submit(client, inspector, sites[0].id, failed=("F03",))  # fails again in round 2
    board = parse(boss.get(f"/campaigns/rounds/{second_id}").text)
    assert board.select_one("#beside") is not None
    assert [a.get("href") for a in board.select("#failing-again a")] == [f"/sites/{sites[0].id}"]
    assert board.select_one('a[rel="prev"]').get("href") == f"/campaigns/rounds/{first}"

    # the campaign's last day is its last round's: a new one moves round 2's end only
    names = {"name_zh": "消防巡查", "name_en": "Fire patrol"}
    later = str(TODAY + timedelta(days=8))
    assert post_form(boss, f"{url}/edit", {**names, "ends_on": later}).status_code == 303
    rounds = client.get(f"/api/v1/campaigns/{campaign['id']}/rounds", headers=office).json()
    assert [(x["starts_on"], x["ends_on"]) for x in rounds] == [
        (first_round["starts_on"], first_round["ends_on"]),
        (str(TODAY - timedelta(days=1)), later),
    ]
    r = post_form(boss, f"{url}/edit", {**names, "ends_on": str(TODAY - timedelta(days=2))})
    assert r.status_code == 422
    assert f"On or after {TODAY - timedelta(days=1)}" in error_at(r.text, "ends_on")


# --- the board --------------------------------------------------------------------------------


def test_the_boards_numbers_are_the_apis(login_as, running, client, api_token):
    english_api = {**api_token("supervisor"), "Accept-Language": "en"}
    cov = coverage(client, english_api, running["round"])
    doc = parse(english(login_as("supervisor")).get(f"/campaigns/rounds/{running['round']}").text)
    assert doc.select_one("#covered-total").text == f"{cov['covered']} / {cov['total']}"
    assert doc.select_one("#covered-percent").text == f"{cov['percent']}%"
    teams = [
        [c.text for c in row.select("th, td")] for row in doc.select("#by-team-table tbody tr")
    ]
    assert teams == [
        [
            t["label"],
            f"{t['covered']} / {t['total']} · {t['percent']}%",
            str(t["unreachable"] or ""),
            str(t["pending"] or ""),
        ]
        for t in cov["by_team"]
    ]
    kinds = {
        r.select_one("th").text: r.select("td")[0].text
        for r in doc.select("#by-kind-table tbody tr")
    }
    assert {
        k["label"]: f"{k['covered']} / {k['total']} · {k['percent']}%" for k in cov["by_kind"]
    } == kinds
    outcomes = {
        li.select_one("span").text: int(li.select_one("strong").text)
        for li in doc.select("#outcomes li")
    }
    assert outcomes["Refused entry"] == cov["outcomes"]["refused"] == 1
    assert sum(outcomes.values()) == sum(cov["outcomes"].values())
    rates = doc.select_one("#rates").text
    assert "F01" in rates and "1 / 1 · 100%" in rates
    listed = doc.select_one("#sites-count").text
    assert listed == f"{cov['total'] - cov['covered']} sites"


def xml(text: str) -> ET.Element:
    """The app's own SVG parsed as XML: it fails unless the markup is well-formed."""
    return ET.fromstring(text)  # noqa: S314  (our own markup, not untrusted input)


def svg_at(html: str, marker: str) -> ET.Element:
    """The raw <svg> that follows `marker` in the page."""
    start = html.index("<svg", html.index(marker))
    return xml(html[start : html.index("</svg>", start) + len("</svg>")])


def test_the_drawings_are_well_formed_svg(login_as, running):
    html = english(login_as("supervisor")).get(f"/campaigns/rounds/{running['round']}").text
    progress = svg_at(html, 'id="progress"')
    assert progress.get("role") == "img" and "covered" in progress.get("aria-label")
    ns = "{http://www.w3.org/2000/svg}"
    assert len(progress.findall(f"{ns}polyline")) == 1
    plot = svg_at(html, 'id="site-map"')
    uses = plot.findall(f".//{ns}use")
    whole = running["coverage"]
    assert len(uses) == whole["total"]  # every site of the demo has coordinates
    drawn = {g.get("class"): len(g.findall(f"{ns}use")) for g in plot.findall(f"{ns}g")}
    assert drawn["u-failing"] == whole["failing"] and drawn["u-unreachable"] == 1
    key = parse(html).select_one(".map-key").text  # the legend names each shape in words
    for words in (
        "Covered (",
        "Not yet visited (",
        "Visit again (1)",
        f"failing ({whole['failing']})",
    ):
        assert words in key


def test_a_district_of_sites_is_binned_into_a_small_drawing():
    points = [
        (
            31.0 + (i % 223) / 1000,
            121.0 + (i // 223) / 900,
            ("covered", "pending", "failing")[i % 3],
        )
        for i in range(50_000)
    ]
    drawing = charts.map_svg(points)
    assert len(drawing) < 200_000
    root = xml(str(drawing))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.findall(f".//{ns}use") == []  # squares, not 50,000 symbols
    shades = {p.get("class") for p in root.findall(f"{ns}path")}
    assert "u-failing cell-fail" in shades and shades & {f"share-{n}" for n in range(5)}
    few = charts.map_svg(points[:300])
    assert len(xml(str(few)).findall(f".//{ns}use")) == 300
    assert len(set(charts.SHAPES.values())) == len(charts.SHAPES) == 4  # one shape per state


# --- reassignment ------------------------------------------------------------------------


def test_reassign_ticked_sites_or_by_filter(login_as, running, world):
    boss = english(login_as("supervisor"))
    board_url = f"/campaigns/rounds/{running['round']}"
    doc = parse(boss.get(board_url).text)
    ticks = doc.select('#site-rows input[name="site_ids"]')
    assert ticks and all(t.get("form") == "reassign" for t in ticks)
    with world.session() as s:
        other = s.exec(
            select(Team).where(Team.id != running["team"], Team.subdistrict_id == 1)
        ).first()
    url = f"{board_url}/assignments"
    pending = [s.id for s in running["sites"][2:4]]
    r = post_form(
        boss,
        url,
        {"pick": "selected", "site_ids": pending, "to": f"team:{other.id}", "next": "?status=all"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"{board_url}?status=all#uncovered"
    after = parse(boss.get(r.headers["location"]).text)
    assert after.select_one("#done").text == f"2 sites given to {other.name_en}."
    names = [row.select_one("th").text for row in after.select("#by-team-table tbody tr")]
    assert other.name_en in names

    r = post_form(boss, url, {"pick": "selected", "to": f"team:{other.id}"})
    assert r.status_code == 422 and "Tick at least one site" in error_at(r.text, "site_ids")
    assert parse(r.text).select_one("#reassign").fields()["to"] == f"team:{other.id}"
    r = post_form(boss, url, {"pick": "matching", "to": f"team:{other.id}"})
    assert r.status_code == 422 and error_at(r.text, "match")
    r = post_form(boss, url, {"pick": "selected", "site_ids": str(pending[0]), "to": "nobody"})
    assert r.status_code == 422 and error_at(r.text, "to")
    outsider = world.user("inspector2")  # not in Team 1
    r = post_form(
        boss,
        url,
        {"pick": "matching", "team_id": str(running["team"]), "to": f"inspector:{outsider.id}"},
    )
    assert r.status_code == 422
    assert "belong to teams this inspector is not in" in error_at(r.text, "to_inspector_id")
    inspector1 = world.user("inspector1")
    r = post_form(
        boss,
        url,
        {
            "pick": "matching",
            "kind": "enterprise",
            "team_id": str(running["team"]),
            "to": f"inspector:{inspector1.id}",
        },
    )
    assert r.status_code == 303
    listed = parse(boss.get(f"{board_url}?status=all&team_id={running['team']}").text)
    assert (inspector1.display_name or inspector1.username) in listed.select_one("#site-rows").text


# --- exports ------------------------------------------------------------------------------


def test_exports_are_translated_and_inert(login_as, running, world):
    hostile = '=HYPERLINK("http://evil.example","点我")'
    with world.db.session(write=True) as s:
        s.execute(
            update(Site)
            .where(Site.id == running["sites"][3].id)
            .values(name_zh=hostile, name_en=hostile)
        )
    base = f"/campaigns/rounds/{running['round']}"
    for locale, site_word, state_word in (
        ("en", "Site", "Not yet visited"),
        ("zh_CN", ZH.gettext("Site"), ZH.gettext("Not yet visited")),
    ):
        browser = login_as("supervisor")
        browser.cookies.set("locale", locale)
        r = browser.get(f"{base}/uncovered.csv")
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        whole = running["coverage"]
        assert rows[0][0] == site_word and len(rows) - 1 == whole["total"] - whole["covered"]
        assert any(state_word in row for row in rows[1:])
        assert "'" + hostile in [row[0] for row in rows]  # a formula comes out as text
        book = openpyxl.load_workbook(io.BytesIO(browser.get(f"{base}/uncovered.xlsx").content))
        sheet = book.active
        assert sheet.cell(1, 1).value == site_word
        cells = [sheet.cell(n, 1) for n in range(2, sheet.max_row + 1)]
        evil = next(c for c in cells if c.value and "HYPERLINK" in c.value)
        assert evil.data_type == "s"
        teams = list(
            csv.reader(io.StringIO(browser.get(f"{base}/teams.csv").content.decode("utf-8-sig")))
        )
        assert teams[0][0] == ("Team" if locale == "en" else ZH.gettext("Team"))
        assert int(teams[1][1]) == whole["total"] and int(teams[1][2]) == whole["covered"]
        team_book = openpyxl.load_workbook(io.BytesIO(browser.get(f"{base}/teams.xlsx").content))
        assert team_book.active.cell(2, 2).value == whole["total"]
    covered = list(
        csv.reader(
            io.StringIO(
                english(login_as("supervisor"))
                .get(f"{base}/uncovered.csv?status=covered")
                .content.decode("utf-8-sig")
            )
        )
    )
    assert len(covered) - 1 == running["coverage"]["covered"]
    mine = next(row for row in covered if row[0] == running["sites"][0].name_en)
    assert mine[6] == "Covered, failing"


# --- hostile input ----------------------------------------------------------------------------

ODD = ["", "x" * 3000, "-1", "0", str(2**63), str(2**64), "1e9", "２", "<b>x</b>", "3,4", "‮"]


def test_odd_values_are_refused_at_their_field_never_a_crash(login_as, running, client):
    boss = english(login_as("supervisor"))
    scopes = {"building_id": "building", "team_id": "team", "site_refs": "sites"}
    for name in (
        *("name_zh", "template_code", "scope", "scope_kinds", "building_id", "team_id"),
        *("site_refs", "starts_on", "ends_on", "repeat", "repeat_every", "subdistrict_id"),
    ):
        for value in ODD:
            r = plan_form(boss, **{"scope": scopes.get(name, "kinds"), name: value})
            assert r.status_code in (303, 422), (name, value, r.status_code)
            if r.status_code == 422:
                assert parse(r.text).select_one("#error-summary"), (name, value)
    edit = f"/campaigns/{running['id']}/edit"
    rounds = f"/campaigns/{running['id']}/rounds"
    assign = f"/campaigns/rounds/{running['round']}/assignments"
    for value in ODD:
        for url, data in (
            (edit, {"name_zh": value, "ends_on": str(TODAY + timedelta(days=9))}),
            (edit, {"name_zh": "巡查", "ends_on": value}),
            (rounds, {"starts_on": value, "ends_on": value}),
            (assign, {"site_ids": value, "to": f"team:{running['team']}"}),
            (assign, {"pick": "matching", "building_id": value, "to": f"team:{running['team']}"}),
            (assign, {"pick": "matching", "kind": value, "to": f"team:{running['team']}"}),
            (assign, {"site_ids": str(running["sites"][5].id), "to": f"inspector:{value}"}),
        ):
            r = post_form(boss, url, data)
            assert r.status_code in (303, 409, 422), (url, data, r.status_code)
    board = f"/campaigns/rounds/{running['round']}"
    for query in ("status=nope", "page=-1", f"page={2**70}", "team_id=abc", "building_id=9" * 30):
        assert boss.get(f"{board}?{query}").status_code == 200, query
    r = client.get("/campaigns", follow_redirects=False)  # signed out: to the sign-in page
    assert r.status_code == 302 and r.headers["location"].startswith("/login")


def test_a_city_wide_administrator_names_the_subdistrict(login_as, db, settings):
    username, password = make_city_wide_admin(db, settings)
    city = english(login_as(username, password))
    form = parse(city.get("/campaigns/new").text)
    assert form.select_one('select[name="subdistrict_id"]') is not None
    r = plan_form(city, scope="all")
    assert r.status_code == 422 and "Required" in error_at(r.text, "subdistrict_id")
    assert form_fields(r.text)["name_en"] == "Street-shop sweep"
    with db.session() as s:
        wutong = s.exec(select(Subdistrict).where(Subdistrict.code == "wutong")).one()
    made = plan_form(city, scope="all", subdistrict_id=str(wutong.id))
    assert made.status_code == 303
    assert login_as("supervisor").get(made.headers["location"]).status_code == 200
    assert login_as("supervisor2").get(made.headers["location"]).status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_board_of_many_sites_draws_a_binned_map(login_as, running, monkeypatch, lang):
    """Above MAX_POINTS sites the map is a grid of shaded squares with its own key (the
    district-scale board): it renders in both languages, as well-formed SVG."""
    monkeypatch.setattr(charts, "MAX_POINTS", 1)
    browser = login_as("supervisor")
    page = (english(browser) if lang == "en" else browser).get(
        f"/campaigns/rounds/{running['round']}"
    )
    assert page.status_code == 200, page.text[-500:]
    grid = svg_at(page.text, 'class="chart-box map-box"')
    assert grid.findall(".//{http://www.w3.org/2000/svg}path")  # shaded squares, no points
    key = parse(page.text).select_one(".map-key").text
    assert ("under 25%" if lang == "en" else "低于 25%") in key
    assert ("25–49%" in key) and ("75–99%" in key)
