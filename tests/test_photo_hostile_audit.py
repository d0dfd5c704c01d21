"""Beyond photos, the audit of code that reads user text: the site import and the site search
stay linear in what the client sends, and a line the csv module refuses is a reported error,
not a 500."""

from __future__ import annotations

import time

from sqlalchemy.sql.elements import False_

from inspect_app.sites import importer
from inspect_app.sites.service import LONGEST_SEARCHED, _matching
from tests.helpers.data import import_sites


def test_a_file_of_many_buildings_imports_in_linear_time(world, monkeypatch):
    """The import rebuilt the set of the file's buildings for every row: 20,000 rows took
    minutes of CPU before a single site was written. (The checks are stubbed: only the loop.)"""

    def check(*, session, user, row, default_code, file_buildings):
        values = {"subdistrict_id": 1, "name_zh": row["name_zh"], "kind": "building"}
        return [], values, [], ""

    monkeypatch.setattr(importer, "_check_row", check)
    monkeypatch.setattr(importer, "_create_planned", lambda *, session, planned: None)
    rows = 10_000
    text = "kind,name_zh\n" + "".join(f"building,楼{i}\n" for i in range(rows))
    admin = type("Admin", (), {"role": importer.Role.admin})()
    start = time.perf_counter()
    with world.session() as session:
        result = importer.import_sites(session=session, user=admin, text=text)
    assert result.ok and result.created == rows
    assert time.perf_counter() - start < 2.0  # before: ~5 s at 10,000 rows, ~200 s at 20,000


def test_lines_the_csv_module_refuses_are_reported_not_a_500(login_as):
    client = login_as("admin")
    client.cookies.set("locale", "en")
    for text in (
        "kind,name_zh\nenterprise," + "x" * 200_000 + "\n",  # over the csv field limit
        "kind," + "y" * 200_000 + "\n",  # in the header
    ):
        r = import_sites(client, text)
        assert r.status_code == 422, r.text[:300]
        assert "not valid CSV" in r.text


def test_a_search_longer_than_any_searched_column_matches_nothing_at_once(world, client, api_token):
    with world.session() as session:
        assert isinstance(_matching(session, "x" * (LONGEST_SEARCHED + 1)), False_)
        assert not isinstance(_matching(session, "x" * LONGEST_SEARCHED), False_)
    r = client.get("/api/v1/sites", params={"q": "梧" * 5000}, headers=api_token("supervisor"))
    assert r.status_code == 200 and r.json()["total"] == 0
