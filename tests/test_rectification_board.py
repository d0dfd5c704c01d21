"""The overdue board against a hand-built data set, its links, and exports equal to the list."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import update
from sqlmodel import select

from inspect_app.models import Rectification, RectificationStatus, Site, Team, utcnow
from tests.helpers.app import office_today
from tests.helpers.data import findings, set_deadline
from tests.helpers.html import parse

TODAY = office_today()


@pytest.fixture
def data_set(client, api_token, world):
    """Two sites of two teams: four overdue items (one per age bucket), one due later, one
    closed after its deadline and one cancelled (neither counts)."""
    with world.session() as s:
        teams = s.exec(
            select(Team).where(Team.name_en.in_(["Team 2", "Team 5"])).order_by(Team.id)
        ).all()
    site_a = world.sites(Site.team_id == teams[0].id, Site.kind == "shop")[0]
    site_b = world.sites(Site.team_id == teams[1].id, Site.kind == "shop")[0]
    a = findings(client, api_token, world, site_a, failed=("F01", "F02", "F03"))
    b = findings(client, api_token, world, site_b, failed=("F01", "F04", "F05", "F06"))
    for item_id, days in zip(a + b, (2, 5, -3, 10, 20, 1, 1), strict=True):
        set_deadline(world, item_id, TODAY - timedelta(days=days))
    with world.session() as s:
        s.exec(
            update(Rectification)
            .where(Rectification.id == b[2])
            .values(status=RectificationStatus.closed, resolved_at=utcnow())
        )
        s.exec(
            update(Rectification)
            .where(Rectification.id == b[3])
            .values(status=RectificationStatus.cancelled, resolved_at=utcnow())
        )
    return {"teams": teams, "a": site_a, "b": site_b, "items": a + b}


def test_board_counts_match_the_hand_built_data(client, api_token, data_set):
    board = client.get("/api/v1/dashboard/overdue", headers=api_token("supervisor")).json()
    assert board["active"] == 5 and board["overdue"] == 4
    assert {c["label_en"]: c["count"] for c in board["by_team"]} == {"Team 2": 2, "Team 5": 2}
    assert {c["key"]: c["count"] for c in board["by_age"]} == {
        "1-3": 1,
        "4-7": 1,
        "8-14": 1,
        "15+": 1,
    }
    assert {c["key"]: c["count"] for c in board["by_site"]} == {
        str(data_set["a"].id): 2,
        str(data_set["b"].id): 2,
    }
    assert {c["key"]: c["count"] for c in board["by_item"]} == {
        "fire-safety/F01": 2,
        "fire-safety/F02": 1,
        "fire-safety/F04": 1,
    }
    days = board["last_30_days"]
    assert len(days) == 30 and days[-1]["day"] == TODAY.isoformat()
    assert days[-1]["open"] == 5 and days[-1]["overdue"] == 4


def test_every_board_count_links_to_a_list_of_that_size(client, api_token, data_set):
    headers = api_token("supervisor")
    board = client.get("/api/v1/dashboard/overdue", headers=headers).json()
    for group in ("by_team", "by_site", "by_item", "by_age"):
        for count in board[group]:
            query = count["link"].split("?", 1)[1]
            listed = client.get(f"/api/v1/rectifications?{query}", headers=headers).json()
            assert listed["total"] == count["count"], (group, count)


def test_board_is_scoped_and_for_supervisors(client, api_token, data_set):
    other = client.get("/api/v1/dashboard/overdue", headers=api_token("supervisor2")).json()
    assert other["overdue"] == 0 and other["by_team"] == []
    for username in ("inspector1", "owner1"):
        assert (
            client.get("/api/v1/dashboard/overdue", headers=api_token(username)).status_code == 403
        )


def test_board_page_renders_counts_links_and_an_svg_chart(login_as, data_set):
    page = login_as("supervisor").get("/dashboard")
    assert page.status_code == 200
    doc = parse(page.text)
    assert doc.select_one("svg .line-overdue")
    assert len(doc.select('[href^="/rectifications?overdue=true&status=active&team_id="]')) == 2
    assert login_as("inspector1").get("/dashboard").status_code == 403


def test_exports_equal_the_filtered_list(login_as, client, api_token, data_set):
    team = data_set["teams"][1]
    query = f"overdue=true&team_id={team.id}&sort=-deadline"
    listed = client.get(f"/api/v1/rectifications?{query}", headers=api_token("supervisor")).json()
    expected = [i["id"] for i in listed["items"]]
    assert len(expected) == 2
    browser = login_as("supervisor")
    csv_body = browser.get(f"/rectifications/export.csv?{query}")
    assert csv_body.status_code == 200 and "attachment" in csv_body.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_body.content.decode("utf-8-sig"))))
    assert [int(r[0]) for r in rows[1:]] == expected
    xlsx = browser.get(f"/rectifications/export.xlsx?{query}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    page = browser.get(f"/rectifications?{query}")
    assert f"/rectifications/export.csv?{query.replace('&', '&amp;')}" in page.text
    assert all(f'href="/rectifications/{i}"' in page.text for i in expected)
    everything = browser.get("/rectifications/export.csv")
    assert len(list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))) == 1 + 7


def test_export_is_scoped_like_the_list(login_as, data_set):
    rows = login_as("supervisor2").get("/rectifications/export.csv").content.decode("utf-8-sig")
    assert len(rows.strip().splitlines()) == 1  # the header only
    assert login_as("supervisor").get("/rectifications/export.pdf").status_code == 404
