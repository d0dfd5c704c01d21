"""Admin pages say what happened and put their errors in sight; owners get no API token
section; the printed notice keeps dates whole; `inspect-app subdistricts`; the README's API
table is one table naming every /api/v1 route."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlmodel import select

from inspect_app.models import Inspection, Rectification, Site, User
from tests.helpers.app import english, post_form
from tests.helpers.data import findings
from tests.helpers.html import linked_ids, parse, visible_text

ROOT = Path(__file__).resolve().parents[1]


def done_message(client, response) -> str:
    """Follow a redirect the way a browser does; the text of the page's success message."""
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    found = parse(page.text).select_one("p.notice.ok#done")
    return found.text if found else ""


NEW_USER = {
    "username": "newinspector",
    "display_name": "New Inspector",
    "role": "inspector",
    "password": "longpassword",
    "active": "true",
}


def test_account_created_saved_and_deactivated_each_say_so_once(login_as, world):
    admin = english(login_as("admin"))
    r = post_form(admin, "/admin/users/new", NEW_USER)
    assert done_message(admin, r) == "Account newinspector created."
    assert 'id="done"' not in admin.get("/admin/users").text  # once: a reload does not repeat it

    with world.session() as s:
        user = s.exec(select(User).where(User.username == "newinspector")).one()
        wutong = user.subdistrict_id
    fields = {**NEW_USER, "subdistrict_id": str(wutong)}
    del fields["password"]
    r = post_form(admin, f"/admin/users/{user.id}", fields)
    assert done_message(admin, r) == "Account newinspector saved."

    r = post_form(admin, f"/admin/users/{user.id}", {**fields, "active": ""})
    message = done_message(admin, r)
    assert message.startswith("Account newinspector deactivated") and "tokens" in message


def test_a_message_cookie_the_app_did_not_sign_shows_nothing(login_as):
    admin = english(login_as("admin"))
    for planted in ("Call 400-123-4567 to unlock", "Call 400-123-4567.0123456789abcdef"):
        admin.cookies.set("flash", planted)
        page = admin.get("/admin/users").text
        assert "400-123-4567" not in page and 'id="done"' not in page


def test_team_and_membership_changes_say_so_in_chinese_too(login_as, world):
    admin = login_as("admin")  # the default language, Chinese
    r = post_form(admin, "/admin/teams/new", {"name_zh": "第十二工作小组", "active": "true"})
    team_page = r.headers["location"]
    assert done_message(admin, r) == "已创建工作小组 第十二工作小组。"
    r = post_form(admin, f"{team_page}/members", {"username": "inspector2"})
    assert done_message(admin, r) == "已将 inspector2 加入工作小组。"
    r = post_form(admin, team_page, {"name_zh": "第十二工作小组"})  # "active" left unchecked
    assert done_message(admin, r).startswith("已停用工作小组 第十二工作小组")


def test_site_added_and_saved_say_so(login_as, world):
    admin = english(login_as("admin"))
    r = post_form(admin, "/sites/new", {"kind": "shop", "name_zh": "新开小店", "active": "true"})
    assert done_message(admin, r) == "Site 新开小店 added."
    with world.session() as s:
        site = s.exec(select(Site).where(Site.name_zh == "新开小店")).one()
    r = post_form(admin, f"/sites/{site.id}/edit", {"kind": "shop", "name_zh": "新开小店"})
    assert done_message(admin, r) == "Site 新开小店 deactivated."


def test_a_refused_form_puts_its_errors_first_and_focused(login_as, world):
    admin = english(login_as("admin"))
    r = post_form(admin, "/admin/users/new", {**NEW_USER, "username": "", "password": "x"})
    assert r.status_code == 422
    doc = parse(r.text)
    summary = doc.select_one("div.notice.error.error-summary")
    assert summary, "the error summary is missing"
    assert "autofocus" in summary.attrs and summary.get("tabindex") == "-1"
    assert summary.index() < doc.select_one("main form[method]").index()  # above the form
    assert summary.select_one('a[href="#f-username"]')
    assert summary.select_one('a[href="#f-password"]')

    team_id = linked_ids(admin.get("/admin/teams").text, "/admin/teams/")[0]
    r = post_form(admin, f"/admin/teams/{team_id}/members", {"username": "nobody-here"})
    assert r.status_code == 422
    doc = parse(r.text)
    summary = doc.select_one(".error-summary")
    assert summary.index() < doc.select_one("main h2").index()
    assert summary.select_one('a[href="#member-username"]')


def test_the_import_result_is_focused(login_as):
    admin = english(login_as("admin"))
    r = admin.post(
        "/sites/import",
        files={"file": ("sites.csv", b"kind,name_zh\nshop,\n", "text/csv")},
        data={"_csrf_token": admin.cookies.get("csrftoken")},
    )
    assert r.status_code == 422
    doc = parse(r.text)
    notice = doc.select_one("div.notice.error")
    assert "autofocus" in notice.attrs and notice.get("tabindex") == "-1"
    assert doc.select_one('a.active[href="/sites/import"]')  # the admin tabs, this one marked


def test_owners_see_no_api_token_section(login_as):
    owner = english(login_as("owner1"))
    page = owner.get("/account").text
    assert "API tokens" not in visible_text(page) and 'action="/account/tokens"' not in page
    assert "API" not in visible_text(page).split("Change password", 1)[1]
    inspector = english(login_as("inspector1")).get("/account").text
    assert "API tokens" in visible_text(inspector) and 'action="/account/tokens"' in inspector


def test_an_owner_keeps_revoking_a_token_made_before(login_as, client):
    token = client.post("/api/v1/auth/token", json={"username": "owner1", "password": "demo1234"})
    assert token.status_code == 201  # the API stays open to owners (report-fixed is theirs)
    page = english(login_as("owner1")).get("/account").text
    assert "API tokens" in visible_text(page) and "/revoke" in page
    assert 'action="/account/tokens"' not in page  # no new ones offered


def test_the_printed_notice_keeps_each_date_on_one_line(client, api_token, login_as, world):
    site = world.sites(Site.name_en == "Huading Tower")[0]
    [item_id] = findings(client, api_token, world, site)
    with world.session() as s:
        uuid = s.get(Inspection, s.get(Rectification, item_id).inspection_id).uuid
    page = english(login_as("supervisor")).get(f"/inspections/{uuid}/notice")
    assert page.status_code == 200, page.text
    dates = [td.text for td in parse(page.text).select("td.date")]
    assert dates and all(date.fromisoformat(d).isoformat() == d for d in dates), dates
    css = (ROOT / "static/css/app.css").read_text()
    assert ".notice-sheet .date { white-space: nowrap; }" in css


def test_subdistricts_lists_the_codes(cli):
    code, out, err = cli("subdistricts")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["wutong", "yinxing"]
    assert "梧桐街道" in lines[0] and "Yinxing Subdistrict" in lines[1]


def readme_api_table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    start = section.index("| route | what |")
    rows = []
    for line in section[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break  # the table ends at its first line that is not a row
        rows.append(line)
    return rows


def test_the_readme_api_table_is_one_table_with_every_route(app):
    table = "\n".join(readme_api_table())
    documented = set()
    for cell in re.findall(r"^\| (.*?) \|", table, re.M):
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1[^`?]*)", cell):
            documented.add((method, re.sub(r"\{[^}]*\}", "{}", path)))
        # `POST /x/{id}/extend`, `/cancel`: a bare path continues the previous route's stem
        for extra in re.findall(r"`(/[a-z-]+)`", cell):
            method, path = next(iter(re.findall(r"`(\w+) (/api/v1[^`?]*)", cell)))
            documented.add((method, re.sub(r"\{[^}]*\}", "{}", path.rsplit("/", 1)[0] + extra)))
    routes = set()
    for route in app.routes:
        if route.path.startswith("/api/v1"):
            for method in route.methods - {"HEAD", "OPTIONS"}:
                routes.add((method, re.sub(r"\{[^}]*\}", "{}", route.path)))
    assert routes - documented == set()
    assert documented - routes == set()
