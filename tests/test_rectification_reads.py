"""The read paths made for district scale: the board is kept between changes yet shows each
change at once, list pages add up to the whole list, and site search totals and patterns."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from inspect_app.models import Site, Team
from tests.helpers.app import office_today
from tests.helpers.data import findings, set_deadline

TODAY = office_today()


def _shops(world, *team_names: str) -> list[Site]:
    with world.session() as s:
        teams = s.exec(select(Team).where(Team.name_en.in_(team_names)).order_by(Team.id)).all()
    return [world.sites(Site.team_id == t.id, Site.kind == "shop")[0] for t in teams]


def test_the_board_shows_each_change_at_once(client, api_token, world):
    site = _shops(world, "Team 3")[0]
    late, due = findings(client, api_token, world, site, failed=("F01", "F02"))
    set_deadline(world, late, TODAY - timedelta(days=4))
    supervisor = api_token("supervisor")

    def board() -> dict:
        return client.get("/api/v1/dashboard/overdue", headers=supervisor).json()

    assert (board()["active"], board()["overdue"]) == (2, 1)
    later = (TODAY + timedelta(days=5)).isoformat()
    extend = {"reason": "Parts on order", "new_deadline": later}
    r = client.post(f"/api/v1/rectifications/{late}/extend", headers=supervisor, json=extend)
    assert r.status_code == 200
    after = board()
    assert (after["active"], after["overdue"], after["by_team"]) == (2, 0, [])
    r = client.post(f"/api/v1/rectifications/{due}/cancel", headers=supervisor, json=extend)
    assert r.status_code == 200 and board()["active"] == 1


def test_list_pages_add_up_to_the_whole_list(client, api_token, world):
    for site in _shops(world, "Team 2", "Team 4"):
        findings(client, api_token, world, site, failed=("F01", "F03", "F05"))
    headers = api_token("supervisor")
    for sort in ("deadline", "-created", "site", "severity"):
        whole = client.get(f"/api/v1/rectifications?sort={sort}&limit=200", headers=headers)
        expected = [i["id"] for i in whole.json()["items"]]
        assert len(expected) == whole.json()["total"] == 6
        paged = []
        for offset in range(0, 8, 2):
            page = client.get(
                f"/api/v1/rectifications?sort={sort}&limit=2&offset={offset}", headers=headers
            ).json()
            assert page["total"] == 6
            paged += [i["id"] for i in page["items"]]
        assert paged == expected, sort


def test_site_search_totals_and_literal_patterns(client, api_token):
    headers = api_token("supervisor")

    def search(query: str) -> dict:
        return client.get(f"/api/v1/sites/?{query}", headers=headers).json()

    towers = search("q=tower&limit=5")
    assert towers["total"] > 5 and len(towers["items"]) == 5
    assert search("q=TOWER&limit=5")["total"] == towers["total"]
    beyond = search(f"q=tower&limit=5&offset={towers['total'] + 10}")
    assert beyond["items"] == [] and beyond["total"] == towers["total"]
    assert search("q=%25")["total"] == 0  # "%" and "_" are characters, not wildcards
    assert search("q=_")["total"] == 0
