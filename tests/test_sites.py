"""Sites: who may see and change which site (pages and API), search and filters, pagination,
the admin form, and the credit code validator."""

from __future__ import annotations

import pytest
from sqlmodel import select

from inspect_app.models import Site, SiteKind, Subdistrict
from inspect_app.sites import credit_code
from tests.helpers.app import english, make_city_wide_admin, post_form
from tests.helpers.data import count_sites, owner_names, site_form, team_named
from tests.helpers.html import form_fields, linked_ids, parse, visible_text

USERS = ("admin", "supervisor", "inspector1", "owner1", "supervisor2", "inspector12")
ADMINS = {"admin"}


def subdistrict(world, code: str) -> Subdistrict:
    with world.session() as s:
        return s.exec(select(Subdistrict).where(Subdistrict.code == code)).one()


def reload(world, site_id: int) -> Site | None:
    with world.session() as s:
        return s.get(Site, site_id)


def valid_code(body17: str) -> str:
    return body17 + credit_code.check_char(body17)


# --- the access matrix ---------------------------------------------------------------------


@pytest.fixture
def targets(world) -> dict[str, Site]:
    """One site of each kind of visibility, named by who should see it."""
    team1, team4 = team_named(world, "Team 1"), team_named(world, "Team 4")
    owner1_site = world.owned_by("owner1")[0]
    owner2_site = world.owned_by("owner2")[0]
    # the table below relies on these facts of the demo data
    assert owner1_site.team_id == team1.id and owner2_site.team_id == team4.id
    assert not {owner1_site.id} & {s.id for s in world.owned_by("owner2")}
    return {
        "team1_building": world.site_named("华鼎大厦"),
        "team2_shop": world.sites(
            Site.kind == SiteKind.shop, Site.team_id == team_named(world, "Team 2").id
        )[0],
        "owner1_enterprise": owner1_site,
        "owner2_enterprise": owner2_site,
        "yinxing_building": world.site_named("银杏中心"),
    }


# Who sees each target (everyone else gets 404).
VISIBLE_TO = {
    "team1_building": {"admin", "supervisor", "inspector1"},
    "team2_shop": {"admin", "supervisor"},
    "owner1_enterprise": {"admin", "supervisor", "inspector1", "owner1"},
    "owner2_enterprise": {"admin", "supervisor"},
    "yinxing_building": {"supervisor2", "inspector12"},
}


def expected_status(route: str, user: str, target: str | None) -> int:
    visible = target is None or user in VISIBLE_TO[target]
    if route in ("GET /sites", "GET /api/v1/sites"):
        return 200
    if route in ("GET /sites/{id}", "GET /api/v1/sites/{id}"):
        return 200 if visible else 404
    if route.startswith(("GET /sites/new", "GET /sites/import", "POST /sites/import")):
        return 200 if user in ADMINS else 403
    if route == "POST /sites/new":
        return 303 if user in ADMINS else 403
    if route == "GET /sites/{id}/edit":
        return (200 if visible else 404) if user in ADMINS else 403
    if route == "POST /sites/{id}/edit":
        return (303 if visible else 404) if user in ADMINS else 403
    raise AssertionError(route)


def _request(client, route: str, site: Site | None, headers: dict[str, str]):
    method, path = route.split(" ", 1)
    if site is not None:
        path = path.replace("{id}", str(site.id))
    if method == "GET":
        return client.get(path, headers=headers, follow_redirects=False)
    if path == "/sites/import":
        data = {"_csrf_token": client.cookies.get("csrftoken")}
        csv = "kind,name_zh\nshop,矩阵测试商店\n".encode()
        return client.post(
            path, data=data, files={"file": ("s.csv", csv, "text/csv")}, follow_redirects=False
        )
    if path == "/sites/new":
        return post_form(client, path, {"kind": "shop", "name_zh": "矩阵测试新店"})
    return post_form(client, path, site_form(site, contact_name="矩阵联系人"))


SITE_ROUTES = (
    "GET /sites/{id}",
    "GET /api/v1/sites/{id}",
    "GET /sites/{id}/edit",
    "POST /sites/{id}/edit",
)
PLAIN_ROUTES = (
    "GET /sites",
    "GET /api/v1/sites",
    "GET /sites/new",
    "POST /sites/new",
    "GET /sites/import",
    "POST /sites/import",
)


@pytest.mark.parametrize("username", USERS)
def test_every_role_on_every_site_route(username, login_as, targets, world):
    client = login_as(username)
    before = count_sites(world)
    mismatches = []
    for route in PLAIN_ROUTES:
        r = _request(client, route, None, {})
        want = expected_status(route, username, None)
        if r.status_code != want:
            mismatches.append((route, r.status_code, want))
    for name, site in targets.items():
        for route in SITE_ROUTES:
            r = _request(client, route, site, {})
            want = expected_status(route, username, name)
            if r.status_code != want:
                mismatches.append((route, name, r.status_code, want))
            if route.startswith("GET /api") and want == 404:
                assert r.json()["error"]["code"] == "not_found"
    assert mismatches == []
    # only the admin's create and import added sites; edits by others changed nothing
    assert count_sites(world) == before + (2 if username in ADMINS else 0)
    for name, site in targets.items():
        changed = reload(world, site.id).contact_name == "矩阵联系人"
        assert changed == (username in ADMINS and username in VISIBLE_TO[name]), name


@pytest.mark.parametrize("username", USERS)
def test_api_with_a_bearer_token_follows_the_same_matrix(username, client, api_token, targets):
    headers = api_token(username)
    assert _request(client, "GET /api/v1/sites", None, headers).status_code == 200
    for name, site in targets.items():
        r = _request(client, "GET /api/v1/sites/{id}", site, headers)
        assert r.status_code == expected_status("GET /api/v1/sites/{id}", username, name), name
        if r.status_code == 200:
            assert r.json()["id"] == site.id and r.json()["name_zh"] == site.name_zh


def test_signed_out_visitors_are_sent_to_login_and_the_api_says_401(client, targets):
    site = targets["team1_building"]
    for path in (
        "/sites",
        f"/sites/{site.id}",
        f"/sites/{site.id}/edit",
        "/sites/new",
        "/sites/import",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (302, 303), path
        assert r.headers["location"].startswith("/login?next=")
    for path in ("/api/v1/sites", f"/api/v1/sites/{site.id}"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"


def test_a_site_that_does_not_exist_looks_like_an_invisible_one(login_as, api_token, client):
    admin = english(login_as("admin"))
    page = admin.get("/sites/999999")
    assert page.status_code == 404
    assert "not visible to you" in visible_text(page.text)
    r = client.get("/api/v1/sites/999999", headers=api_token("admin"))
    assert r.status_code == 404
    assert set(r.json()["error"]) == {"code", "message", "fields"}


# --- list scoping --------------------------------------------------------------------------


def _all_api_ids(client, headers, **params) -> tuple[list[int], int]:
    ids, offset, total = [], 0, None
    while True:
        r = client.get(
            "/api/v1/sites", headers=headers, params={**params, "limit": 200, "offset": offset}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["total"]
        ids += [item["id"] for item in body["items"]]
        offset += 200
        if offset >= total:
            return ids, total


def test_inspector_lists_exactly_their_teams_sites(client, api_token, world):
    team1 = team_named(world, "Team 1")
    expected = {s.id for s in world.sites(Site.team_id == team1.id, Site.active.is_(True))}
    ids, total = _all_api_ids(client, api_token("inspector1"))
    assert total == len(expected) == len(ids)
    assert set(ids) == expected
    # every item says Team 1; a team filter cannot widen what the inspector sees
    other = team_named(world, "Team 2")
    r = client.get("/api/v1/sites", headers=api_token("inspector1"), params={"team_id": other.id})
    assert r.json()["total"] == 0 and r.json()["items"] == []


def test_inspector_page_shows_team_sites_and_not_others(login_as, world):
    inspector = login_as("inspector1")
    team1 = team_named(world, "Team 1")
    total = count_sites(world, Site.team_id == team1.id, Site.active.is_(True))
    page = inspector.get("/sites", params={"kind": "building"})
    text = visible_text(page.text)
    team1_buildings = world.sites(Site.team_id == team1.id, Site.kind == SiteKind.building)
    for b in team1_buildings:
        assert b.name_zh in text
    other_building = world.sites(Site.kind == SiteKind.building, Site.team_id != team1.id)[0]
    assert other_building.name_zh not in text
    everything = inspector.get("/sites")
    assert f"{total} 个场所" in everything.text or f"{total} sites" in everything.text


def test_owner_sees_exactly_their_own_sites_never_another_owners(
    client, api_token, login_as, world
):
    owned = {s.id for s in world.owned_by("owner1")}
    others = world.owned_by("owner2")
    assert owned and others and not owned & {s.id for s in others}
    ids, total = _all_api_ids(client, api_token("owner1"))
    assert set(ids) == owned and total == len(owned)

    page = login_as("owner1").get("/sites")
    text = visible_text(page.text)
    for site in world.owned_by("owner1"):
        assert site.name_zh in text
    for site in others:
        assert site.name_zh not in text
    # searching for owner2's site by its exact credit code finds nothing
    r = client.get(
        "/api/v1/sites", headers=api_token("owner1"), params={"q": others[0].credit_code}
    )
    assert r.json()["total"] == 0


def test_owner_with_two_sites_sees_both(client, api_token, world):
    owned = world.owned_by("owner2")
    assert len(owned) == 2
    ids, total = _all_api_ids(client, api_token("owner2"))
    assert sorted(ids) == [s.id for s in owned] and total == 2


@pytest.mark.parametrize("username", ["supervisor2", "inspector12"])
def test_second_subdistrict_never_sees_wutong(username, client, api_token, login_as, world):
    yinxing = subdistrict(world, "yinxing")
    expected = {s.id for s in world.sites(Site.subdistrict_id == yinxing.id)}
    ids, total = _all_api_ids(client, api_token(username))
    assert set(ids) == expected and total == len(expected) == 14
    wutong_shop = world.sites(Site.kind == SiteKind.shop)[0]
    for q in (wutong_shop.name_zh, wutong_shop.credit_code, "梧桐路"):
        r = client.get("/api/v1/sites", headers=api_token(username), params={"q": q})
        assert r.json()["total"] == 0, q
    page = english(login_as(username)).get("/sites", params={"q": wutong_shop.name_zh})
    assert "0 sites" in visible_text(page.text)
    assert f'href="/sites/{wutong_shop.id}"' not in page.text
    # a Wutong team id as a filter does not open a door either
    r = client.get(
        "/api/v1/sites",
        headers=api_token(username),
        params={"team_id": team_named(world, "Team 1").id},
    )
    assert r.json()["total"] == 0


@pytest.mark.parametrize("username", ["admin", "supervisor"])
def test_wutong_staff_never_see_yinxing(username, client, api_token, login_as, world):
    yinxing = subdistrict(world, "yinxing")
    wutong = subdistrict(world, "wutong")
    ids, total = _all_api_ids(client, api_token(username))
    assert total == count_sites(world, Site.subdistrict_id == wutong.id, Site.active.is_(True))
    assert not set(ids) & {s.id for s in world.sites(Site.subdistrict_id == yinxing.id)}
    r = client.get("/api/v1/sites", headers=api_token(username), params={"q": "银杏中心"})
    assert r.json()["total"] == 0
    page = login_as(username).get("/sites", params={"q": "杏林"})
    assert "杏林创意园" not in visible_text(page.text)
    assert "0 个场所" in page.text or "0 sites" in page.text


def test_page_list_is_scoped_like_the_api(login_as, client, api_token):
    for username in ("supervisor2", "owner1", "inspector1"):
        api_total = client.get("/api/v1/sites", headers=api_token(username)).json()["total"]
        page = english(login_as(username)).get("/sites")
        count = parse(page.text).select_one("#result-count").text
        assert count in (f"{api_total} site", f"{api_total} sites"), username


# --- search, filters, pagination -----------------------------------------------------------


def test_search_by_chinese_name_substring(client, api_token, world):
    expected = {s.id for s in world.sites(Site.name_zh.contains("便利店"))}
    assert len(expected) == 5
    ids, total = _all_api_ids(client, api_token("admin"), q="便利店")
    assert set(ids) == expected and total == 5


def test_search_page_by_chinese_name_shows_matches_only(login_as, world):
    page = login_as("admin").get("/sites", params={"q": "便利店"})
    text = visible_text(page.text)
    for site in world.sites(Site.name_zh.contains("便利店")):
        assert site.name_zh in text
    assert "面馆" not in text
    assert 'value="便利店"' in page.text  # the search box keeps what was typed


def test_search_by_credit_code_whole_partial_and_lowercase(client, api_token, world):
    site = world.owned_by("owner1")[0]
    headers = api_token("admin")
    exact = client.get("/api/v1/sites", headers=headers, params={"q": site.credit_code}).json()
    assert exact["total"] == 1 and exact["items"][0]["id"] == site.id
    assert exact["items"][0]["credit_code"] == site.credit_code
    lower = client.get(
        "/api/v1/sites", headers=headers, params={"q": site.credit_code[-8:].lower()}
    )
    assert site.id in [i["id"] for i in lower.json()["items"]]


def test_search_with_like_wildcards_matches_literally(client, api_token):
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"q": "%"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"q": "_"})
    assert r.json()["total"] == 0


@pytest.mark.parametrize(("kind", "count"), [("shop", 44), ("compound", 7), ("building", 36)])
def test_kind_filter(kind, count, client, api_token, login_as):
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"kind": kind, "limit": 200})
    body = r.json()
    assert body["total"] == count == len(body["items"])
    assert {i["kind"] for i in body["items"]} == {kind}
    page = english(login_as("supervisor")).get("/sites", params={"kind": kind})
    assert f"{count} sites" in visible_text(page.text)


def test_unknown_kind_is_a_400_with_the_error_shape(client, api_token):
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"kind": "castle"})
    assert r.status_code == 400
    assert set(r.json()["error"]) == {"code", "message", "fields"}


def test_team_filter(client, api_token, world, login_as):
    team3 = team_named(world, "Team 3")
    expected = {s.id for s in world.sites(Site.team_id == team3.id, Site.active.is_(True))}
    ids, total = _all_api_ids(client, api_token("supervisor"), team_id=team3.id)
    assert set(ids) == expected and total == len(expected) > 0
    combined = client.get(
        "/api/v1/sites",
        headers=api_token("supervisor"),
        params={"team_id": team3.id, "kind": "building"},
    ).json()
    assert {i["team_id"] for i in combined["items"]} == {team3.id}
    assert {i["kind"] for i in combined["items"]} == {"building"}
    page = english(login_as("supervisor")).get("/sites", params={"team_id": str(team3.id)})
    assert f"{len(expected)} sites" in visible_text(page.text)


def test_limit_offset_pages_are_disjoint_and_cover_everything(client, api_token, world):
    headers = api_token("inspector1")
    first = client.get("/api/v1/sites", headers=headers, params={"limit": 20, "offset": 0}).json()
    second = client.get("/api/v1/sites", headers=headers, params={"limit": 20, "offset": 20}).json()
    assert first["limit"] == 20 and first["offset"] == 0 and second["offset"] == 20
    assert len(first["items"]) == len(second["items"]) == 20
    assert first["total"] == second["total"] == 53
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    last = client.get("/api/v1/sites", headers=headers, params={"limit": 20, "offset": 40}).json()
    assert len(last["items"]) == 13
    beyond = client.get("/api/v1/sites", headers=headers, params={"offset": 500}).json()
    assert beyond["items"] == [] and beyond["total"] == 53
    # sorted by Chinese name, so pages are stable
    names = [i["name_zh"] for i in first["items"] + second["items"] + last["items"]]
    assert names == sorted(names)


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 201}, {"limit": -5}, {"offset": -1}, {"limit": "many"}]
)
def test_out_of_range_paging_is_a_400_json_error(params, client, api_token):
    r = client.get("/api/v1/sites", headers=api_token("admin"), params=params)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "bad_request" and error["message"]
    assert next(iter(params)) in " ".join(error["fields"])


def test_largest_allowed_limit_is_accepted(client, api_token):
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"limit": 200})
    assert r.status_code == 200 and len(r.json()["items"]) == 200


def test_page_pagination_moves_through_results(login_as):
    admin = english(login_as("admin"))
    first = admin.get("/sites")
    assert "Page 1 of" in visible_text(first.text)
    assert "page=2" in first.text
    second = admin.get("/sites", params={"page": 2})
    ids_first = set(linked_ids(first.text, "/sites/"))
    ids_second = set(linked_ids(second.text, "/sites/"))
    assert len(ids_second) == 30 and not ids_first & ids_second
    assert "Page 2 of" in visible_text(second.text)


def test_htmx_asks_for_the_results_fragment_only(login_as, world):
    admin = login_as("admin")
    r = admin.get("/sites", params={"q": "便利店"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "<form" not in r.text
    assert 'id="result-count"' in r.text
    for site in world.sites(Site.name_zh.contains("便利店")):
        assert site.name_zh in r.text
    full = admin.get("/sites", params={"q": "便利店"})
    assert "<html" in full.text and 'id="results"' in full.text


def test_htmx_search_with_no_match_says_so(login_as):
    r = english(login_as("admin")).get(
        "/sites", params={"q": "不存在的名字"}, headers={"HX-Request": "true"}
    )
    assert "No site matches" in r.text and "0 sites" in r.text


# --- detail ---------------------------------------------------------------------------------


def test_building_detail_lists_its_tenants(login_as, client, api_token, world):
    building = world.site_named("华鼎大厦")
    tenants = world.sites(Site.parent_id == building.id)
    assert len(tenants) >= 8
    page = english(login_as("inspector1")).get(f"/sites/{building.id}")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Tenants" in text and f"Tenants {len(tenants)}" in text
    for tenant in tenants:
        assert tenant.name_en in text  # English locale shows English names
        assert f'href="/sites/{tenant.id}"' in page.text
    r = client.get(f"/api/v1/sites/{building.id}", headers=api_token("inspector1"))
    assert sorted(t["id"] for t in r.json()["tenants"]) == [t.id for t in tenants]
    assert all(t["parent_id"] == building.id for t in r.json()["tenants"])


def test_detail_shows_the_facts_of_a_site(login_as, world):
    site = world.owned_by("owner1")[0]
    text = visible_text(login_as("admin").get(f"/sites/{site.id}").text)
    for fact in (site.name_zh, site.address, site.credit_code, site.contact_phone):
        assert fact in text
    assert world.user("owner1").display_name in text  # staff see the owner accounts


def test_owner_sees_their_site_but_not_the_building_around_it(login_as, world):
    site = world.owned_by("owner1")[0]
    building = reload(world, site.parent_id)
    page = login_as("owner1").get(f"/sites/{site.id}")
    assert page.status_code == 200 and site.name_zh in page.text
    assert building.name_zh not in page.text
    assert f'href="/sites/{building.id}"' not in page.text
    assert "/edit" not in page.text
    assert login_as("owner1").get(f"/sites/{building.id}").status_code == 404


def test_tenant_list_for_an_owner_is_limited_to_their_sites(client, api_token, world):
    """Even via the API, an owner cannot enumerate the neighbours in a building."""
    site = world.owned_by("owner1")[0]
    r = client.get(f"/api/v1/sites/{site.parent_id}", headers=api_token("owner1"))
    assert r.status_code == 404


def test_inactive_sites_disappear_from_lists_but_admin_still_opens_them(
    login_as, client, api_token, world
):
    site = world.sites(Site.kind == SiteKind.shop)[0]
    admin = login_as("admin")
    assert (
        post_form(admin, f"/sites/{site.id}/edit", site_form(site, active=None)).status_code == 303
    )
    assert reload(world, site.id).active is False
    r = client.get("/api/v1/sites", headers=api_token("admin"), params={"q": site.name_zh})
    assert site.id not in [i["id"] for i in r.json()["items"]]
    assert admin.get(f"/sites/{site.id}").status_code == 200


# --- admin create and edit ------------------------------------------------------------------


def test_admin_creates_a_site_through_the_form(login_as, world):
    admin = login_as("admin")
    assert admin.get("/sites/new").status_code == 200
    building = world.site_named("华鼎大厦")
    code = valid_code("91310106MA1FL0001")
    before = count_sites(world)
    r = post_form(
        admin,
        "/sites/new",
        {
            "kind": "enterprise",
            "name_zh": "上海新建测试有限公司",
            "name_en": "Shanghai New Test Co., Ltd.",
            "address": "梧桐路100号 905室",
            "parent_id": str(building.id),
            "team_id": "",
            "contact_name": "王测试",
            "contact_phone": "021-5555 1234",
            "credit_code": code.lower()[:9] + " " + code[9:],
            "latitude": "31.2301",
            "longitude": "121.4512",
            "owners": "owner3",
            "active": "true",
        },
    )
    assert r.status_code == 303
    site_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert count_sites(world) == before + 1
    site = reload(world, site_id)
    assert site.name_zh == "上海新建测试有限公司" and site.kind == SiteKind.enterprise
    assert site.credit_code == code  # normalised: upper case, spaces dropped
    assert site.parent_id == building.id and site.team_id == building.team_id  # follows building
    assert site.latitude == pytest.approx(31.2301) and site.longitude == pytest.approx(121.4512)
    assert site.subdistrict_id == subdistrict(world, "wutong").id and site.active
    assert owner_names(world, site_id) == {"owner3"}
    detail = admin.get(r.headers["location"])
    assert "上海新建测试有限公司" in detail.text
    # the new owner member now finds it; the building's inspector too
    assert login_as("owner3").get(f"/sites/{site_id}").status_code == 200
    assert login_as("inspector1").get(f"/sites/{site_id}").status_code == 200


def test_new_tenant_form_preselects_the_building(login_as, world):
    building = world.site_named("华鼎大厦")
    page = login_as("admin").get("/sites/new", params={"parent_id": building.id})
    assert form_fields(page.text)["parent_id"] == str(building.id)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"credit_code": "91310106MA1FL00010"},
            "credit_code",
            "not a valid unified social credit code",
        ),
        (
            {"credit_code": "91310106MA1FL0001"},
            "credit_code",
            "not a valid unified social credit code",
        ),
        ({"name_zh": "", "name_en": ""}, "name_zh", "Give the site a name"),
        ({"latitude": "91", "longitude": "121.4"}, "latitude", "between -90 and 90"),
        ({"latitude": "north", "longitude": "121.4"}, "latitude", "between -90 and 90"),
        ({"latitude": "31.2", "longitude": ""}, "latitude", "Give both latitude and longitude"),
        ({"longitude": "181", "latitude": "31"}, "longitude", "between -180 and 180"),
        ({"kind": "castle"}, "kind", "Choose a kind"),
        ({"contact_phone": "call me"}, "contact_phone", "5 to 20 digits"),
        ({"owners": "owner1, nobody-here"}, "owners", "nobody-here"),
        ({"owners": "inspector1"}, "owners", "inspector1"),
        ({"parent_id": "999999"}, "parent_id", "building or compound in the same subdistrict"),
        ({"team_id": "999999"}, "team_id", "team of the same subdistrict"),
    ],
)
def test_invalid_new_site_is_422_with_the_message_and_nothing_saved(
    changes, field, message, login_as, world
):
    admin = english(login_as("admin"))
    data = {"kind": "shop", "name_zh": "无效测试商店", "address": "梧桐路1号", **changes}
    before = count_sites(world)
    r = post_form(admin, "/sites/new", data)
    assert r.status_code == 422
    text = visible_text(r.text)
    assert "Some fields need attention" in text and message in text
    flagged = parse(r.text).select("div.field.has-error")
    assert any(b.select_one(f'[name="{field}"]') and message in b.text for b in flagged)
    assert count_sites(world) == before
    if changes.get("name_zh", "x"):  # what was typed is kept
        assert parse(r.text).select_one('[name="name_zh"]').get("value") == "无效测试商店"


def test_credit_code_already_used_is_refused(login_as, world):
    taken = world.owned_by("owner1")[0].credit_code
    before = count_sites(world)
    r = post_form(
        english(login_as("admin")),
        "/sites/new",
        {"kind": "shop", "name_zh": "重复代码店", "credit_code": taken},
    )
    assert r.status_code == 422
    assert "Another site already has this credit code" in visible_text(r.text)
    assert count_sites(world) == before


def test_parent_and_team_must_be_in_the_admins_subdistrict(login_as, world):
    admin = english(login_as("admin"))
    yinxing_building = world.site_named("银杏中心")
    yinxing_team = team_named(world, "Yinxing Team 1")
    before = count_sites(world)
    r = post_form(
        admin,
        "/sites/new",
        {"kind": "enterprise", "name_zh": "越界公司", "parent_id": str(yinxing_building.id)},
    )
    assert r.status_code == 422 and "same subdistrict" in visible_text(r.text)
    r = post_form(
        admin,
        "/sites/new",
        {"kind": "shop", "name_zh": "越界商店", "team_id": str(yinxing_team.id)},
    )
    assert r.status_code == 422 and "same subdistrict" in visible_text(r.text)
    # and the new-site form does not offer them
    form = admin.get("/sites/new").text
    assert "银杏中心" not in form and "Yinxing Team 1" not in form
    assert count_sites(world) == before


def test_wutong_admin_cannot_create_a_site_in_yinxing(login_as, world):
    yinxing = subdistrict(world, "yinxing")
    before = count_sites(world, Site.subdistrict_id == yinxing.id)
    r = post_form(
        login_as("admin"),
        "/sites/new",
        {"kind": "shop", "name_zh": "越界新店", "subdistrict_id": str(yinxing.id)},
    )
    assert r.status_code in (403, 404)
    assert count_sites(world, Site.subdistrict_id == yinxing.id) == before
    assert count_sites(world, Site.name_zh == "越界新店") == 0


def test_edit_form_shows_current_values_and_saving_it_unchanged_keeps_everything(login_as, world):
    site = world.owned_by("owner2")[0]
    admin = login_as("admin")
    page = admin.get(f"/sites/{site.id}/edit")
    assert page.status_code == 200
    fields = form_fields(page.text)
    assert fields["name_zh"] == site.name_zh and fields["credit_code"] == site.credit_code
    assert fields["kind"] == "enterprise" and fields["parent_id"] == str(site.parent_id)
    assert fields["team_id"] == str(site.team_id) and fields["active"] == "true"
    assert fields["owners"] == "owner2"
    r = post_form(admin, f"/sites/{site.id}/edit", fields)
    assert r.status_code == 303 and r.headers["location"] == f"/sites/{site.id}"
    after = reload(world, site.id)
    for name in (
        "kind",
        "name_zh",
        "name_en",
        "address",
        "parent_id",
        "team_id",
        "contact_name",
        "contact_phone",
        "credit_code",
        "active",
        "subdistrict_id",
    ):
        assert getattr(after, name) == getattr(site, name), name
    assert after.latitude == pytest.approx(site.latitude)
    assert owner_names(world, site.id) == {"owner2"}


def test_edit_changes_only_what_was_changed(login_as, world):
    site = world.owned_by("owner1")[0]
    admin = login_as("admin")
    r = post_form(admin, f"/sites/{site.id}/edit", site_form(site, address="梧桐路100号 999室"))
    assert r.status_code == 303
    after = reload(world, site.id)
    assert after.address == "梧桐路100号 999室"
    assert (after.name_zh, after.credit_code, after.team_id, after.parent_id) == (
        site.name_zh,
        site.credit_code,
        site.team_id,
        site.parent_id,
    )
    assert after.updated_at > site.updated_at
    # a form without the owners field leaves the owner members alone
    assert owner_names(world, site.id) == {"owner1"}
    assert login_as("owner1").get(f"/sites/{site.id}").status_code == 200


def test_unchecking_active_deactivates_and_checking_it_again_restores(login_as, world):
    site = world.site_named("华鼎大厦")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/sites/{site.id}/edit").text)
    fields.pop("active")  # an unchecked box is not sent
    assert post_form(admin, f"/sites/{site.id}/edit", fields).status_code == 303
    assert reload(world, site.id).active is False
    assert "Inactive" in english(admin).get(f"/sites/{site.id}").text
    assert (
        post_form(admin, f"/sites/{site.id}/edit", {**fields, "active": "true"}).status_code == 303
    )
    assert reload(world, site.id).active is True


def test_owners_field_replaces_the_owner_members(login_as, world):
    site = world.owned_by("owner1")[0]
    admin = login_as("admin")
    r = post_form(admin, f"/sites/{site.id}/edit", site_form(site, owners="Owner3; owner4"))
    assert r.status_code == 303
    assert owner_names(world, site.id) == {"owner3", "owner4"}
    assert login_as("owner3").get(f"/sites/{site.id}").status_code == 200
    assert login_as("owner1").get(f"/sites/{site.id}").status_code == 404
    r = post_form(admin, f"/sites/{site.id}/edit", site_form(site, owners=""))
    assert r.status_code == 303 and owner_names(world, site.id) == set()


@pytest.mark.parametrize("owners", ["owner1, ghost-owner", "supervisor", "owner1,admin"])
def test_unknown_owner_is_422_and_nothing_changes(owners, login_as, world):
    site = world.owned_by("owner1")[0]
    r = post_form(
        english(login_as("admin")),
        f"/sites/{site.id}/edit",
        site_form(site, name_zh="不该保存的名字", owners=owners),
    )
    assert r.status_code == 422
    bad = owners.split(",")[-1].strip()
    assert "Not owner accounts" in visible_text(r.text) and bad in visible_text(r.text)
    after = reload(world, site.id)
    assert after.name_zh == site.name_zh and after.updated_at == site.updated_at
    assert owner_names(world, site.id) == {"owner1"}


def test_invalid_edit_is_422_and_keeps_what_was_typed(login_as, world):
    site = world.owned_by("owner1")[0]
    r = post_form(
        english(login_as("admin")),
        f"/sites/{site.id}/edit",
        site_form(site, address="新地址", credit_code="91310106IIIIIIIII1"),
    )
    assert r.status_code == 422
    assert "not a valid unified social credit code" in visible_text(r.text)
    assert 'value="新地址"' in r.text
    assert reload(world, site.id).address == site.address


def test_site_cannot_be_its_own_parent(login_as, world):
    building = world.site_named("华鼎大厦")
    r = post_form(
        english(login_as("admin")),
        f"/sites/{building.id}/edit",
        site_form(building, parent_id=str(building.id)),
    )
    assert r.status_code == 422 and "its own parent" in visible_text(r.text)
    assert reload(world, building.id).parent_id is None


@pytest.mark.parametrize("username", ["supervisor", "inspector1", "owner1", "supervisor2"])
def test_non_admins_cannot_create_or_edit(username, login_as, world):
    client = login_as(username)
    site = world.owned_by("owner1")[0]
    before = count_sites(world)
    r = post_form(client, "/sites/new", {"kind": "shop", "name_zh": "偷偷新增的商店"})
    assert r.status_code == 403
    r = post_form(client, f"/sites/{site.id}/edit", site_form(site, name_zh="偷改的名字"))
    assert r.status_code == 403
    assert count_sites(world) == before and reload(world, site.id).name_zh == site.name_zh
    assert "/edit" not in client.get(f"/sites/{site.id}").text
    assert 'href="/sites/new"' not in client.get("/sites").text


def test_wutong_admin_cannot_see_or_edit_a_yinxing_site(login_as, client, api_token, world):
    site = world.site_named("银杏中心")
    admin = login_as("admin")
    assert admin.get(f"/sites/{site.id}").status_code == 404
    assert admin.get(f"/sites/{site.id}/edit").status_code == 404
    r = post_form(admin, f"/sites/{site.id}/edit", site_form(site, name_zh="被改名的中心"))
    assert r.status_code == 404
    r = post_form(admin, f"/sites/{site.id}/edit", site_form(site, name_zh="", credit_code="bad"))
    assert r.status_code == 404  # even an invalid form does not reveal the site
    assert reload(world, site.id).name_zh == "银杏中心"
    assert client.get(f"/api/v1/sites/{site.id}", headers=api_token("admin")).status_code == 404


# --- the credit code validator --------------------------------------------------------------


VALID_BODIES = [
    "91310106MA1FL0001",
    "91350100M00010000",
    "11100000000013127",
    "Y1310000MA1K4B2T3",
    "N2440300MJL7NGX4P",
]


@pytest.mark.parametrize("body", VALID_BODIES)
def test_valid_credit_codes(body):
    code = valid_code(body)
    assert len(code) == 18 and credit_code.is_valid(code)


def test_known_published_code_is_valid():
    # The worked example of GB 32100-2015 style checksums used in many public references.
    assert credit_code.check_char("91350100M000100Y4") == "3"
    assert credit_code.is_valid("91350100M000100Y43")


@pytest.mark.parametrize("body", VALID_BODIES)
def test_every_other_check_character_is_rejected(body):
    right = credit_code.check_char(body)
    wrong = [c for c in credit_code.ALPHABET if c != right]
    assert len(wrong) == 30
    assert not any(credit_code.is_valid(body + c) for c in wrong)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_rejected(letter):
    body = "91310106MA1FL000" + letter
    # whatever check character follows, the code is invalid
    assert not any(credit_code.is_valid(body + c) for c in credit_code.ALPHABET)
    good = valid_code("91310106MA1FL0001")
    assert not credit_code.is_valid(good[:10] + letter + good[11:])
    assert not credit_code.is_valid(good[:17] + letter)


@pytest.mark.parametrize("length", [0, 1, 15, 17, 19, 20])
def test_wrong_length_is_rejected(length):
    code = valid_code("91310106MA1FL0001")
    candidate = (code * 2)[:length]
    assert not credit_code.is_valid(candidate)


def test_other_shapes_are_rejected():
    assert not credit_code.is_valid(valid_code("91310106MA1FL0001").lower())
    assert not credit_code.is_valid(valid_code("B1310106MA1FL0001"))  # unknown authority
    assert not credit_code.is_valid(valid_code("913A0106MA1FL0001"))  # region must be digits
    assert not credit_code.is_valid(" " + valid_code("91310106MA1FL0001")[:17])


def test_normalize_strips_spaces_and_upper_cases():
    code = valid_code("91310106MA1FL0001")
    assert credit_code.normalize(f"  {code[:6].lower()} {code[6:]} ") == code
    assert credit_code.is_valid(credit_code.normalize(code.lower()))


def test_demo_credit_codes_are_all_valid(world):
    codes = [s.credit_code for s in world.sites(Site.credit_code.is_not(None))]
    assert len(codes) > 400 and all(credit_code.is_valid(c) for c in codes)


def test_city_wide_admin_chooses_the_subdistrict_of_a_new_site(login_as, db, settings, world):
    admin = login_as(*make_city_wide_admin(db, settings))
    yinxing = subdistrict(world, "yinxing")
    form = admin.get("/sites/new")
    assert 'name="subdistrict_id"' in form.text and "银杏街道" in form.text
    building = world.site_named("银杏中心")
    r = post_form(
        admin,
        "/sites/new",
        {
            "subdistrict_id": str(yinxing.id),
            "kind": "enterprise",
            "name_zh": "银杏新公司",
            "parent_id": str(building.id),
            "active": "true",
        },
    )
    assert r.status_code == 303
    created = world.sites(Site.name_zh == "银杏新公司")[0]
    assert created.subdistrict_id == yinxing.id and created.team_id == building.team_id
    assert login_as("inspector12").get(f"/sites/{created.id}").status_code == 200
    assert login_as("admin").get(f"/sites/{created.id}").status_code == 404


@pytest.mark.parametrize("value", ["999999", ""])
def test_new_site_in_an_unknown_subdistrict_is_422(value, login_as, db, settings, world):
    admin = english(login_as(*make_city_wide_admin(db, settings)))
    before = count_sites(world)
    r = post_form(
        admin, "/sites/new", {"subdistrict_id": value, "kind": "shop", "name_zh": "无处之店"}
    )
    assert r.status_code == 422
    assert "Choose a subdistrict" in visible_text(r.text)
    assert count_sites(world) == before


def test_pager_links_keep_the_search_and_filters(login_as, world):
    admin = english(login_as("admin"))
    first = admin.get("/sites", params={"q": "有限公司", "kind": "enterprise"})
    doc = parse(first.text)
    total = int(doc.select_one("#result-count").text.removesuffix(" sites"))
    assert total > 30
    link = doc.select_one('nav.pager a[href^="/sites?"][href$="page=2"]').get("href")
    second = admin.get(link)
    assert f"{total} sites" in visible_text(second.text) and "Page 2 of" in visible_text(
        second.text
    )
    ids = linked_ids(second.text, "/sites/")
    assert len(ids) == 30
    shown = world.sites(Site.id.in_(ids))
    assert all(s.kind == SiteKind.enterprise and "有限公司" in s.name_zh for s in shown)


def test_owner_of_another_subdistrict_cannot_be_made_a_member(login_as, db, settings, world):
    from inspect_app.accounts.schemas import AccountFields
    from inspect_app.accounts.service import create_user

    with db.session(write=True) as s:
        create_user(
            session=s,
            settings=settings,
            actor=None,
            data=AccountFields(
                username="yxowner",
                password="longpassword",
                role="owner",
                subdistrict_id=str(subdistrict(world, "yinxing").id),
            ),
        )
    site = world.owned_by("owner1")[0]
    r = post_form(
        english(login_as("admin")), f"/sites/{site.id}/edit", site_form(site, owners="yxowner")
    )
    assert r.status_code == 422 and "Not owner accounts: yxowner" in visible_text(r.text)
    assert owner_names(world, site.id) == {"owner1"}
    assert login_as("yxowner", "longpassword").get(f"/sites/{site.id}").status_code == 404


def test_staff_can_list_inactive_sites_others_cannot(login_as, world):
    site = world.sites(Site.kind == "shop")[0]
    admin = login_as("admin")
    fields = {"kind": "shop", "name_zh": site.name_zh, "name_en": site.name_en, "active": ""}
    assert post_form(admin, f"/sites/{site.id}/edit", fields).status_code == 303
    assert f'href="/sites/{site.id}"' not in admin.get(f"/sites?q={site.name_zh}").text
    listed = login_as("supervisor").get(f"/sites?inactive=1&q={site.name_zh}").text
    assert f'href="/sites/{site.id}"' in listed
    team_inspector = login_as("inspector1").get("/sites?inactive=1").text
    assert 'name="inactive"' not in team_inspector  # the filter is for the office only
