"""Every date a client sends is bounded: deadlines (walkthrough, verify, extend; API and forms)
from the office's today to DEADLINE_HORIZON_DAYS ahead, with the allowed range in the message;
client timestamps from 2000 to a day ahead of the server; list filters with a clear 400. A
refused deadline never loses the rest of the answer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from inspect_app.i18n import translations
from inspect_app.models import Answer, Inspection, Rectification, Site
from inspect_app.settings import Settings
from inspect_app.timezone import add_days, check_client_time, deadline_window, local
from tests.helpers.app import csrf_token, office_today, post_form
from tests.helpers.data import findings, inspector_of
from tests.helpers.html import parse

TODAY = office_today()
HORIZON = Settings.deadline_horizon_days
LAST = TODAY + timedelta(days=HORIZON)
RANGE = f"Choose a date from {TODAY.isoformat()} to {LAST.isoformat()}."


def _body(site_id: int, answers: list[dict], submit: bool = False, started_at: str = "") -> dict:
    return {
        "site_id": site_id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": started_at or datetime.now(UTC).isoformat(),
        "answers": answers,
        "submit": submit,
    }


def _fail(code: str, deadline: str | None, note: str = "") -> dict:
    return {"item_code": code, "result": "fail", "note": note, "deadline": deadline}


def _answer(world, key: str, code: str) -> Answer | None:
    with world.session() as s:
        inspection = s.exec(select(Inspection).where(Inspection.uuid == key)).one()
        return s.exec(
            select(Answer).where(Answer.inspection_id == inspection.id, Answer.item_code == code)
        ).first()


@pytest.fixture
def shop(world):
    return world.sites(Site.kind == "shop", Site.team_id.is_not(None))[0]


@pytest.fixture
def token(api_token):
    """Bearer headers that ask for English, so messages compare as written here."""
    return lambda username: {**api_token(username), "Accept-Language": "en"}


@pytest.fixture
def browser(login_as):
    """A signed-in client reading the pages in English."""

    def _login(username: str):
        c = login_as(username)
        c.cookies.set("locale", "en")
        return c

    return _login


# --- the walkthrough's deadlines: API ---------------------------------------------------------


@pytest.mark.parametrize(
    "deadline",
    [
        "9999-12-31",
        "0001-01-01",
        (TODAY - timedelta(days=1)).isoformat(),
        (LAST + timedelta(days=1)).isoformat(),
    ],
)
def test_api_refuses_a_deadline_outside_the_window_and_keeps_the_notes(
    client, token, world, shop, deadline
):
    headers = token(inspector_of(world, shop))
    key = str(uuid.uuid4())
    answers = [_fail("F01", deadline, "exit blocked"), _fail("F02", None, "no extinguisher")]
    r = client.put(
        f"/api/v1/inspections/{key}", headers=headers, json=_body(shop.id, answers, True)
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["fields"] == {"F01": RANGE}
    f01, f02 = _answer(world, key, "F01"), _answer(world, key, "F02")
    assert (f01.result.value, f01.note) == ("fail", "exit blocked")  # the note is kept
    assert f01.deadline is not None and TODAY <= f01.deadline <= LAST  # the default, not 9999
    assert f02.note == "no extinguisher"
    with world.session() as s:
        assert s.exec(select(Inspection.status).where(Inspection.uuid == key)).one() == "draft"


def test_api_accepts_both_ends_of_the_window(client, token, world, shop):
    headers = token(inspector_of(world, shop))
    key = str(uuid.uuid4())
    answers = [_fail("F01", TODAY.isoformat()), _fail("F02", LAST.isoformat())]
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json=_body(shop.id, answers))
    assert r.status_code == 200, r.text
    assert {a["item_code"]: a["deadline"] for a in r.json()["answers"]} == {
        "F01": TODAY.isoformat(),
        "F02": LAST.isoformat(),
    }


def test_the_horizon_comes_from_settings(item_id, tmp_path, database_url, monkeypatch):
    """The same database served with DEADLINE_HORIZON_DAYS=10."""
    from litestar.testing import TestClient

    from inspect_app.app import create_app
    from tests.helpers.app import make_settings, sign_in

    app = create_app(make_settings(tmp_path / "ten", database_url, deadline_horizon_days=10))
    try:
        with TestClient(app) as c:
            assert sign_in(c, "supervisor").status_code in (302, 303)
            r = post_form(
                c,
                f"/rectifications/{item_id}/extend",
                {"new_deadline": (TODAY + timedelta(days=11)).isoformat(), "reason": "r"},
            )
            assert r.status_code == 422
            later = (TODAY + timedelta(days=10)).isoformat()
            assert f"Choose a date from {TODAY.isoformat()} to {later}." in r.text or (
                translations("zh_CN").gettext("Choose a date from %(first)s to %(last)s.")
                % {"first": TODAY.isoformat(), "last": later}
                in r.text
            )
    finally:
        app.state.db.dispose()
    monkeypatch.setenv("DEADLINE_HORIZON_DAYS", "45")
    assert Settings.from_env().deadline_horizon_days == 45
    monkeypatch.setenv("DEADLINE_HORIZON_DAYS", "0")
    with pytest.raises(ValueError, match="DEADLINE_HORIZON_DAYS"):
        Settings.from_env()


def test_the_message_is_translated():
    zh = translations("zh_CN").gettext("Choose a date from %(first)s to %(last)s.")
    assert zh != "Choose a date from %(first)s to %(last)s." and "%(first)s" in zh
    zh = translations("zh_CN").gettext("Choose a time from %(first)s to %(last)s.")
    assert zh != "Choose a time from %(first)s to %(last)s." and "%(last)s" in zh


# --- the walkthrough's deadlines: the form ----------------------------------------------------


def _walkthrough(browser, world, shop):
    inspector = browser(inspector_of(world, shop))
    r = post_form(
        inspector, "/inspections/new", {"site_id": str(shop.id), "template_code": "fire-safety"}
    )
    assert r.status_code == 303
    return inspector, r.headers["location"].rsplit("/", 1)[1]


def test_form_refuses_the_deadline_at_its_field_and_saves_the_note(browser, world, shop):
    inspector, key = _walkthrough(browser, world, shop)
    htmx = {"HX-Request": "true", "X-CSRFToken": csrf_token(inspector)}
    r = inspector.post(
        f"/inspections/{key}/answers/F01",
        data={"result": "fail", "note": "fire door wedged open", "deadline": "9999-12-31"},
        headers=htmx,
    )
    assert r.status_code == 422
    alert = parse(r.text).select_one('#item-F01 [role="alert"]')
    assert TODAY.isoformat() in alert.text and LAST.isoformat() in alert.text
    assert "fire door wedged open" in r.text  # the note is still in the field
    assert f'max="{LAST.isoformat()}"' in r.text
    saved = _answer(world, key, "F01")
    assert saved.note == "fire door wedged open" and saved.deadline <= LAST
    # a plain form post (no htmx) shows the walkthrough with the message at the item
    plain = post_form(
        inspector,
        f"/inspections/{key}/answers/F02",
        {"result": "fail", "note": "extinguisher empty", "deadline": "0001-01-01"},
    )
    assert plain.status_code == 422 and 'id="item-F02"' in plain.text
    assert _answer(world, key, "F02").note == "extinguisher empty"
    bad = post_form(
        inspector,
        f"/inspections/{key}/answers/F03",
        {"result": "fail", "note": "x", "deadline": "soon"},
    )
    assert bad.status_code == 422 and _answer(world, key, "F03").note == "x"


# --- client timestamps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "started_at",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-12:00",  # past datetime.max once in UTC
        "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
        "1999-12-31T23:59:59Z",
        "future",
    ],
)
def test_started_at_must_lie_between_2000_and_a_day_ahead(client, token, world, shop, started_at):
    if started_at == "future":
        started_at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    headers = token(inspector_of(world, shop))
    key = str(uuid.uuid4())
    r = client.put(
        f"/api/v1/inspections/{key}",
        headers=headers,
        json=_body(shop.id, [], started_at=started_at),
    )
    assert r.status_code == 422, r.text
    assert "started_at" in r.json()["error"]["fields"]
    assert "2000-01-01" in r.json()["error"]["fields"]["started_at"]
    with world.session() as s:
        assert s.exec(select(Inspection).where(Inspection.uuid == key)).first() is None


def test_a_phone_a_little_ahead_or_in_another_zone_is_accepted(client, token, world, shop):
    headers = token(inspector_of(world, shop))
    ahead = (datetime.now(UTC) + timedelta(hours=20)).astimezone().isoformat()
    r = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}",
        headers=headers,
        json=_body(shop.id, [], started_at=ahead),
    )
    assert r.status_code == 200, r.text


def test_check_client_time_takes_naive_values_as_utc():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert check_client_time(datetime(2025, 1, 1), "t", now=now) == datetime(2025, 1, 1, tzinfo=UTC)


# --- verify and extend ------------------------------------------------------------------------


@pytest.fixture
def item_id(client, api_token, world, shop):
    return findings(client, api_token, world, shop, failed=("F03",))[0]


@pytest.mark.parametrize("deadline", ["9999-12-31", (LAST + timedelta(days=1)).isoformat()])
def test_verify_and_extend_refuse_deadlines_outside_the_window(
    client, token, world, shop, item_id, deadline
):
    inspector = token(inspector_of(world, shop))
    r = client.post(
        f"/api/v1/rectifications/{item_id}/verify",
        headers=inspector,
        json={"outcome": "not_fixed", "note": "still blocked", "new_deadline": deadline},
    )
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"new_deadline": RANGE}
    r = client.post(
        f"/api/v1/rectifications/{item_id}/extend",
        headers=token("supervisor"),
        json={"reason": "waiting for parts", "new_deadline": deadline},
    )
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"new_deadline": RANGE}
    with world.session() as s:
        assert s.get(Rectification, item_id).deadline < LAST


def test_verify_and_extend_forms_say_the_range(browser, world, shop, item_id):
    inspector = browser(inspector_of(world, shop))
    page = inspector.get(f"/rectifications/{item_id}")
    assert f'max="{LAST.isoformat()}"' in page.text
    r = post_form(
        inspector,
        f"/rectifications/{item_id}/verify",
        {"outcome": "not_fixed", "note": "n", "new_deadline": "9999-12-31"},
    )
    assert r.status_code == 422 and LAST.isoformat() in r.text
    boss = browser("supervisor")
    r = post_form(
        boss, f"/rectifications/{item_id}/extend", {"new_deadline": "9999-12-31", "reason": "r"}
    )
    assert r.status_code == 422 and LAST.isoformat() in r.text
    ok = post_form(
        boss, f"/rectifications/{item_id}/extend", {"new_deadline": LAST.isoformat(), "reason": "r"}
    )
    assert ok.status_code == 303


# --- list filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "overdue_min=740000",
        "overdue_max=740000",
        "overdue_min=99999999999999999999999",
        "overdue_min=%C2%B2",  # a superscript two: isdigit() but not int()
        "deadline_from=9999-12-31",
        "deadline_to=0001-01-01",
        "deadline_from=1999-12-31",
        "site_id=99999999999999999999",
        "team_id=%C2%B2",
    ],
)
def test_list_filters_out_of_range_are_a_clear_400(client, token, browser, query):
    name = query.split("=", 1)[0]
    r = client.get(f"/api/v1/rectifications?{query}", headers=token("supervisor"))
    assert r.status_code == 400, r.text
    assert name in r.json()["error"]["fields"]
    boss = browser("supervisor")
    for url in (f"/rectifications?{query}", f"/rectifications/export.csv?{query}"):
        assert boss.get(url).status_code == 400


def test_filters_inside_the_windows_still_work(client, token):
    headers = token("supervisor")
    for query in (
        "overdue_min=36000",
        "overdue_max=0",
        "deadline_from=2000-01-01",
        "deadline_to=2099-12-31",
    ):
        assert client.get(f"/api/v1/rectifications?{query}", headers=headers).status_code == 200


# --- the helpers at the mechanism -------------------------------------------------------------


def test_date_sums_and_conversions_hold_at_the_ends_of_the_calendar():
    assert add_days(date.max, 1) == date.max and add_days(date.min, -1) == date.min
    assert add_days(date(2026, 1, 1), 10**12) == date.max
    assert add_days(date(2026, 1, 1), 1) == date(2026, 1, 2)
    big = local(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "Asia/Shanghai")
    assert big.date() == date.max and big.isoformat().startswith("9999-12-31T23:59:59")
    small = local(datetime(1, 1, 1, tzinfo=UTC), "America/New_York")
    assert small.date() == date.min
    window = deadline_window(date.max, 730)
    assert window.last == date.max and window.clamp(date.min) == date.max
