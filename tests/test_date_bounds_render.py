"""Defence in depth: stored dates at the ends of the calendar (old data, another client) never
break a page, an API answer or an export. The rows are written straight into the database, the
way such values would have arrived, then every reader of them is fetched as each role."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from sqlmodel import select

from inspect_app.models import (
    FollowUpVisit,
    Inspection,
    Photo,
    PhotoBlob,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    utcnow,
)
from tests.helpers.app import post_form
from tests.helpers.data import findings, inspector_of

LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def server_zone_east_of_utc(database_url):
    """On PostgreSQL, a server whose TimeZone is the office's (as many in China are): there a
    stored 9999-12-31T23:59:59Z is in year 10000, which no driver can load."""
    if not database_url.startswith("postgresql"):
        return
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = make_url(database_url).database
        conn.execute(text(f"ALTER DATABASE \"{name}\" SET TimeZone = 'Asia/Shanghai'"))
    engine.dispose()


@pytest.fixture
def extreme(client, api_token, world):
    """An owner's site with four items: deadline date.max (open), date.min (open, ~739,000
    days late), date.max cancelled today, and one closed in year 9999; its inspection began
    and was submitted at 9999-12-31T23:59:59Z; events, a visit and a photo at both ends."""
    site = next(s for s in world.owned_by("owner1") if s.team_id is not None)
    ids = findings(client, api_token, world, site, failed=("F01", "F02", "F03", "F04"))
    rows = {
        ids[0]: {"deadline": date.max, "created_at": LATEST, "updated_at": LATEST},
        ids[1]: {"deadline": date.min, "created_at": EARLIEST, "updated_at": EARLIEST},
        ids[2]: {
            "deadline": date.max,
            "status": RectificationStatus.cancelled,
            "resolved_at": utcnow(),
        },
        ids[3]: {"deadline": date.min, "status": RectificationStatus.closed, "resolved_at": LATEST},
    }
    with world.session() as s:
        for item_id, values in rows.items():
            s.exec(update(Rectification).where(Rectification.id == item_id).values(**values))
        inspection = s.get(Inspection, s.get(Rectification, ids[0]).inspection_id)
        s.exec(
            update(Inspection)
            .where(Inspection.id == inspection.id)
            .values(started_at=LATEST, submitted_at=LATEST, updated_at=LATEST)
        )
        s.exec(
            update(RectificationEvent)
            .where(RectificationEvent.rectification_id.in_(ids))
            .values(at=LATEST, old_deadline=date.min, new_deadline=date.max)
        )
        hashes = s.exec(select(Photo.sha256).where(Photo.inspection_id == inspection.id)).all()
        s.exec(update(PhotoBlob).where(PhotoBlob.sha256.in_(hashes)).values(taken_at=EARLIEST))
        key = inspection.uuid
    return {"site": site, "ids": ids, "inspection": key}


def _ok(browser, url: str, **kwargs):
    r = browser.get(url, **kwargs)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r


def test_supervisor_pages_and_exports_render_extreme_dates(login_as, extreme):
    boss = login_as("supervisor")
    site, ids, key = extreme["site"], extreme["ids"], extreme["inspection"]
    for url in (
        "/dashboard",
        "/rectifications",
        "/rectifications?overdue=true&status=active",
        "/rectifications?sort=-deadline",
        "/rectifications?overdue_min=15",
        f"/rectifications?site_id={site.id}&sort=created",
        *(f"/rectifications/{i}" for i in ids),
        f"/sites/{site.id}",
        f"/inspections/{key}",
        f"/inspections/{key}/notice",
        "/",
    ):
        _ok(boss, url)
    assert "9999-12-31" in _ok(boss, f"/rectifications/{ids[0]}").text
    assert "9999-12-31" in _ok(boss, f"/inspections/{key}").text  # started, on the office clock

    lines = list(csv.reader(io.StringIO(_ok(boss, "/rectifications/export.csv").text)))
    by_id = {row[0]: row for row in lines[1:]}
    assert by_id[str(ids[0])][7] == "9999-12-31" and by_id[str(ids[0])][10] == "9999-12-31"
    assert by_id[str(ids[1])][7] == "0001-01-01" and by_id[str(ids[1])][10] == "0001-01-01"
    book = openpyxl.load_workbook(io.BytesIO(_ok(boss, "/rectifications/export.xlsx").content))
    deadlines = {row[0]: row[7] for row in book.active.iter_rows(min_row=2, values_only=True)}
    # a date cell where Excel's calendar has the day; text before it starts (1900-01-01)
    assert deadlines[ids[0]] == datetime(9999, 12, 31) and deadlines[ids[1]] == "0001-01-01"


def test_supervisor_api_renders_extreme_dates(client, api_token, extreme):
    headers = api_token("supervisor")
    ids, key = extreme["ids"], extreme["inspection"]
    board = _ok(client, "/api/v1/dashboard/overdue", headers=headers).json()
    assert {c["key"]: c["count"] for c in board["by_age"]}["15+"] >= 1
    assert len(board["last_30_days"]) == 30
    listed = _ok(client, "/api/v1/rectifications?limit=200", headers=headers).json()
    days = {i["id"]: i["days_left"] for i in listed["items"]}
    assert days[ids[0]] > 2_900_000 and days[ids[1]] < -700_000
    detail = _ok(client, f"/api/v1/rectifications/{ids[0]}", headers=headers).json()
    assert detail["deadline"] == "9999-12-31" and detail["created_at"].startswith("9999-12-31")
    inspection = _ok(client, f"/api/v1/inspections/{key}", headers=headers).json()
    assert inspection["started_at"].startswith("9999-12-31T23:59:59")
    _ok(client, f"/api/v1/sites/{extreme['site'].id}/inspections", headers=headers)


def test_inspector_and_owner_pages_and_offline_data_render_extreme_dates(
    client, api_token, login_as, world, extreme
):
    site, ids, key = extreme["site"], extreme["ids"], extreme["inspection"]
    username = inspector_of(world, site)
    inspector = login_as(username)
    for url in ("/", f"/sites/{site.id}", f"/inspections/{key}", f"/rectifications/{ids[1]}"):
        _ok(inspector, url)
    visit = post_form(inspector, "/visits/new", {"site_id": str(site.id)})
    assert visit.status_code == 303
    with world.session() as s:
        s.exec(update(FollowUpVisit).values(started_at=LATEST))
    _ok(inspector, visit.headers["location"])
    draft = post_form(
        inspector, "/inspections/new", {"site_id": str(site.id), "template_code": "fire-safety"}
    )
    with world.session() as s:
        s.exec(
            update(Inspection)
            .where(Inspection.uuid == draft.headers["location"].rsplit("/", 1)[1])
            .values(started_at=EARLIEST)
        )
    assert "0001-01-01" in _ok(inspector, draft.headers["location"]).text  # the walkthrough
    _ok(inspector, f"/sites/{site.id}")  # its history lists the draft too
    headers = api_token(username)
    offline = _ok(client, "/api/v1/rectifications?status=active&limit=200", headers=headers)
    assert {ids[0], ids[1]} <= {i["id"] for i in offline.json()["items"]}
    _ok(client, "/api/v1/sites?limit=200", headers=headers)
    owner = login_as("owner1")
    for url in (
        "/",
        f"/rectifications/{ids[0]}",
        f"/sites/{site.id}",
        f"/inspections/{key}/notice",
    ):
        _ok(owner, url)
