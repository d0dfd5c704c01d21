"""The supervisor's list and exports (issue 11, sections 2, 4 and 5): filters applied from the
board show as removable chips that name things; exports speak the reader's language, hold real
date cells, leave "days left" blank on finished items, and carry the finding note, the
business's contact and who changed the item last; owners get no team filter, no exports and no
technical codes."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import update
from sqlmodel import select

from inspect_app.models import Site, Team, TemplateItem
from tests.helpers.app import office_today
from tests.helpers.data import findings, set_deadline
from tests.helpers.html import linked_ids, parse, visible_text

CONTACT = ("王小明", "13800001111")


@pytest.fixture
def items(client, api_token, world):
    """A Team 2 shop with a known contact: F01 due in 3 days, F02 cancelled by the supervisor,
    F03 overdue by 5 days."""
    with world.session() as s:
        team = s.exec(select(Team).where(Team.name_en == "Team 2")).one()
    site = world.sites(Site.team_id == team.id, Site.kind == "shop")[0]
    with world.session() as s:
        s.exec(
            update(Site)
            .where(Site.id == site.id)
            .values(contact_name=CONTACT[0], contact_phone=CONTACT[1])
        )
    f01, f02, f03 = findings(client, api_token, world, site, failed=("F01", "F02", "F03"))
    r = client.post(
        f"/api/v1/rectifications/{f02}/cancel",
        headers=api_token("supervisor"),
        json={"reason": "raised in error"},
    )
    assert r.status_code == 200, r.text
    set_deadline(world, f03, office_today() - timedelta(days=5))
    return {"site": site, "team_id": team.id, "ids": {"F01": f01, "F02": f02, "F03": f03}}


def _as(login_as, username: str, locale: str):
    browser = login_as(username)
    browser.cookies.set("locale", locale)
    return browser


def _csv(browser, query: str = "") -> list[dict[str, str]]:
    r = browser.get(f"/rectifications/export.csv?{query}")
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def _by_id(rows: list[dict]) -> dict[int, dict]:
    """Rows by the item id (the first column, whatever its header's language)."""
    return {int(next(iter(row.values()))): row for row in rows}


def _chips(page: str) -> dict[str, str]:
    """label -> the link that removes it."""
    return {chip.own_text: chip.get("href") for chip in parse(page).select('a[class="chip"]')}


# --- exports ------------------------------------------------------------------------------


def test_csv_in_english_names_values_note_contact_and_last_actor(login_as, world, items):
    rows = _by_id(_csv(_as(login_as, "supervisor", "en")))
    ids = items["ids"]
    supervisor = world.user("supervisor")
    f01, f02, f03 = rows[ids["F01"]], rows[ids["F02"]], rows[ids["F03"]]
    assert f01["Checklist"] == "Fire-safety inspection"  # not "fire-safety"
    assert (f01["Severity"], f02["Severity"]) == ("High", "Medium")  # not "high"
    assert (f01["Status"], f02["Status"]) == ("Open", "Cancelled")
    assert f01["Days left"] == "3" and f03["Days left"] == "-5"
    assert f02["Days left"] == ""  # cancelled: no days left, and never negative
    assert f01["Finding note"] == "Finding at F01"
    assert (f01["Contact person"], f01["Contact phone"]) == CONTACT
    assert f02["Last change"] == "Cancelled"
    assert f02["Last change by"] == (supervisor.display_name or supervisor.username)
    assert f02["Role"] == "Supervisor"
    assert f01["Last change"] == "Found on inspection" and f01["Role"] == "Inspector"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", f02["Last change on"])


def test_csv_in_chinese(login_as, items):
    rows = _by_id(_csv(_as(login_as, "supervisor", "zh_CN")))
    f01, f02 = rows[items["ids"]["F01"]], rows[items["ids"]["F02"]]
    assert f01["检查表"] == "消防安全检查表"
    assert (f01["风险等级"], f02["风险等级"]) == ("高", "中")
    assert (f01["状态"], f02["状态"]) == ("待整改", "已撤销")
    assert f01["问题描述"] == "Finding at F01" and f01["联系人"] == CONTACT[0]
    assert f02["最近操作"] == "已撤销" and f02["剩余天数"] == ""
    assert f02["角色"] == "督查员" and f01["角色"] == "检查员"


def test_xlsx_has_date_cells_and_blank_days_left_when_cancelled(login_as, items):
    r = _as(login_as, "supervisor", "en").get("/rectifications/export.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in sheet[1]]
    rows = {row[0].value: dict(zip(head, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    f01, f02 = rows[items["ids"]["F01"]], rows[items["ids"]["F02"]]
    for cell in (f01["Deadline"], f01["Created"], f02["Last change on"]):
        assert cell.is_date and "yy" in cell.number_format, cell  # a date, sorted as one
    assert f01["Deadline"].value == datetime.combine(
        office_today() + timedelta(days=3), datetime.min.time()
    )
    assert f01["Days left"].value == 3 and f02["Days left"].value is None
    assert f01["Checklist"].value == "Fire-safety inspection" and f01["Severity"].value == "High"
    assert f01["Contact phone"].value == CONTACT[1] and f02["Last change by"].value


def test_api_days_left_is_null_once_an_item_is_finished(client, api_token, items):
    headers = api_token("supervisor")
    f01, f02 = items["ids"]["F01"], items["ids"]["F02"]
    assert client.get(f"/api/v1/rectifications/{f01}", headers=headers).json()["days_left"] == 3
    cancelled = client.get(f"/api/v1/rectifications/{f02}", headers=headers).json()
    assert cancelled["status"] == "cancelled" and cancelled["days_left"] is None


# --- chips --------------------------------------------------------------------------------


def test_board_filters_show_as_chips_that_name_things_and_remove_themselves(login_as, world, items):
    site, team_id = items["site"], items["team_id"]
    browser = _as(login_as, "supervisor", "en")
    query = f"overdue=true&status=active&team_id={team_id}&site_id={site.id}"
    page = browser.get(f"/rectifications?{query}&overdue_min=4&overdue_max=7").text
    chips = _chips(page)
    assert set(chips) == {
        "Status: Not closed",
        "Overdue only",
        "4 to 7 days overdue",
        "Team: Team 2",
        f"Site: {site.name_en or site.name_zh}",
    }
    removed = browser.get(chips["Team: Team 2"])
    assert removed.status_code == 200
    left = _chips(removed.text)
    assert "Team: Team 2" not in left and "4 to 7 days overdue" in left
    assert "team_id" not in chips["Team: Team 2"] and "site_id" in chips["Team: Team 2"]
    both = chips["4 to 7 days overdue"]
    assert "overdue_min" not in both and "overdue_max" not in both
    assert "Clear all filters" in page


def test_chips_in_chinese_name_the_checklist_item_not_its_code(login_as, world, items):
    with world.session() as s:
        text_zh = s.exec(select(TemplateItem.text_zh).where(TemplateItem.code == "F03")).first()
    browser = _as(login_as, "supervisor", "zh_CN")
    page = browser.get(
        f"/rectifications?overdue=true&status=active&template=fire-safety&item=F03"
        f"&team_id={items['team_id']}"
    ).text
    chips = _chips(page)
    assert f"检查项：{text_zh}" in chips and "工作小组：第二工作小组" in chips
    assert "状态：未销项" in chips and "仅看逾期" in chips
    link = chips[f"检查项：{text_zh}"]
    assert "item=" not in link and "template=" not in link and "overdue=true" in link
    assert browser.get(link).status_code == 200


def test_no_chips_without_filters(login_as, items):
    page = _as(login_as, "supervisor", "en").get("/rectifications?sort=-deadline").text
    assert 'class="chips"' not in page


def test_an_invisible_site_is_not_named(login_as, world, items):
    other = world.sites(Site.subdistrict_id != items["site"].subdistrict_id)[0]
    page = _as(login_as, "supervisor", "en").get(f"/rectifications?site_id={other.id}").text
    chips = _chips(page)
    assert chips and all(other.name_zh not in c and other.name_en not in c for c in chips)


# --- owners -------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_owner_list_has_no_team_filter_no_exports_and_no_codes(
    client, api_token, world, login_as, locale
):
    findings(client, api_token, world, world.owned_by("owner1")[0], failed=("F01", "F04"))
    page = _as(login_as, "owner1", locale).get("/rectifications?status=active&template=fire-safety")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert 'name="team_id"' not in page.text
    assert "export.csv" not in page.text and "export.xlsx" not in page.text
    assert 'name="item"' not in page.text  # the item-code field is for the office
    assert not re.search(r"enterprise-12|fire-safety|\b[EF]\d{2}\b", text), text
    assert len(linked_ids(page.text, "/rectifications/")) == 2  # the owner's items


def test_exports_refuse_owners(login_as):
    owner = login_as("owner1")
    for fmt in ("csv", "xlsx"):
        r = owner.get(f"/rectifications/export.{fmt}")
        assert r.status_code == 403
        assert "attachment" not in r.headers.get("content-disposition", "")


def test_staff_see_exports_and_team_filter(login_as):
    page = login_as("inspector1").get("/rectifications").text
    assert "export.csv" in page and 'name="team_id"' in page
    assert login_as("inspector1").get("/rectifications/export.csv").status_code == 200
