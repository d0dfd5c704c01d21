"""Admin pages for accounts and teams, team membership as inspectors feel it, and the
`create-user` command."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from inspect_app.models import AuthSession, Role, Site, Subdistrict, Team, TeamMember, User
from tests.helpers.app import csrf_token, english, post_form, sign_in
from tests.helpers.data import team_named
from tests.helpers.html import form_fields, parse, visible_text


def find_user(world, username: str) -> User | None:
    with world.session() as s:
        return s.exec(select(User).where(User.username == username)).first()


def count_users(world) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(User)).one()


def subdistrict_id(world, code: str) -> int:
    with world.session() as s:
        return s.exec(select(Subdistrict.id).where(Subdistrict.code == code)).one()


def members(world, team_id: int) -> set[str]:
    with world.session() as s:
        return set(
            s.exec(
                select(User.username)
                .join(TeamMember, TeamMember.user_id == User.id)
                .where(TeamMember.team_id == team_id)
            )
        )


def signed_in(client) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def api_total(client, api_token, username: str) -> int:
    return client.get("/api/v1/sites", headers=api_token(username)).json()["total"]


NEW_USER = {
    "username": "newinspector",
    "display_name": "新来的检查员",
    "role": "inspector",
    "phone": "13800001111",
    "password": "a-long-password",
    "active": "true",
}


# --- accounts -------------------------------------------------------------------------------


def test_account_list_shows_only_the_admins_subdistrict(login_as):
    page = login_as("admin").get("/admin/users")
    assert page.status_code == 200
    text = visible_text(page.text)
    for username in ("admin", "supervisor", "inspector1", "inspector11", "owner1", "owner5"):
        assert username in text
    assert "supervisor2" not in text and "inspector12" not in text


def test_admin_creates_an_account_who_can_then_sign_in(login_as, world):
    admin = login_as("admin")
    form = admin.get("/admin/users/new")
    assert form.status_code == 200 and 'name="username"' in form.text
    r = post_form(admin, "/admin/users/new", {**NEW_USER, "username": "  NewInspector "})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    user = find_user(world, "newinspector")
    assert user is not None and user.role == Role.inspector and user.active
    assert user.subdistrict_id == subdistrict_id(world, "wutong") and not user.city_wide
    assert user.display_name == "新来的检查员" and user.phone == "13800001111"
    assert "a-long-password" not in user.password_hash
    assert "newinspector" in admin.get("/admin/users").text
    newcomer = login_as("newinspector", "a-long-password")
    assert signed_in(newcomer)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "ab"}, "username", "3 to 40 characters"),
        ({"username": "bob smith"}, "username", "3 to 40 characters"),
        ({"username": "bob!"}, "username", "3 to 40 characters"),
        ({"username": "张三"}, "username", "3 to 40 characters"),
        ({"username": "_bob"}, "username", "3 to 40 characters"),
        ({"username": "b" * 41}, "username", "3 to 40 characters"),
        ({"username": ""}, "username", "3 to 40 characters"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": ""}, "password", "at least 8 characters"),
        ({"username": "inspector1"}, "username", "This username is taken"),
        ({"username": "Owner2"}, "username", "This username is taken"),
        ({"role": "superuser"}, "role", "Choose a role"),
        ({"city_wide": "on", "role": "admin"}, "city_wide", "city-wide administrator"),
        ({"city_wide": "on", "role": "inspector"}, "city_wide", "city-wide"),
        ({"subdistrict_id": "999"}, "subdistrict_id", "Choose a subdistrict"),
    ],
)
def test_invalid_new_account_is_422_and_nothing_is_created(
    changes, field, message, login_as, world
):
    admin = english(login_as("admin"))
    before = count_users(world)
    r = post_form(admin, "/admin/users/new", {**NEW_USER, **changes})
    assert r.status_code == 422
    text = visible_text(r.text)
    assert "Some fields need attention" in text and message in text
    shown = [p.text for p in parse(r.text).select("p.error")]
    assert any(message in m for m in shown), shown  # next to the field, not just on top
    assert count_users(world) == before
    if field != "username":
        assert find_user(world, NEW_USER["username"]) is None
        typed = parse(r.text).select_one('[name="username"]').get("value")
        assert typed == "newinspector"  # the typed username is kept
    assert "a-long-password" not in r.text  # passwords are never echoed back


def test_admin_cannot_create_an_account_in_another_subdistrict(login_as, world):
    before = count_users(world)
    r = post_form(
        english(login_as("admin")),
        "/admin/users/new",
        {**NEW_USER, "subdistrict_id": str(subdistrict_id(world, "yinxing"))},
    )
    assert r.status_code == 422
    assert "your own subdistrict" in visible_text(r.text)
    assert count_users(world) == before


def test_edit_form_shows_the_account_and_saving_it_unchanged_keeps_it(login_as, world):
    target = world.user("inspector3")
    admin = login_as("admin")
    page = admin.get(f"/admin/users/{target.id}")
    assert page.status_code == 200 and "inspector3" in page.text
    assert target.password_hash not in page.text
    fields = form_fields(page.text)
    assert fields["role"] == "inspector" and fields["active"] == "true"
    assert fields["password"] == ""
    inspector = login_as("inspector3")
    r = post_form(admin, f"/admin/users/{target.id}", fields)
    assert r.status_code == 303
    after = world.user("inspector3")
    assert (after.role, after.active, after.display_name, after.phone, after.password_hash) == (
        target.role,
        target.active,
        target.display_name,
        target.phone,
        target.password_hash,
    )
    assert signed_in(inspector)  # nothing happened to their sessions


def test_deactivating_an_account_ends_its_sessions_and_tokens(login_as, client, api_token, world):
    target = world.user("inspector2")
    phone = login_as("inspector2")
    headers = api_token("inspector2")
    assert signed_in(phone)
    assert client.get("/api/v1/sites", headers=headers).status_code == 200
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/users/{target.id}").text)
    del fields["active"]  # the admin unticks "Active"
    assert post_form(admin, f"/admin/users/{target.id}", fields).status_code == 303
    assert world.user("inspector2").active is False
    assert not signed_in(phone)
    assert client.get("/api/v1/sites", headers=headers).status_code == 401
    assert sign_in(english(client.__class__(client.app)), "inspector2").status_code == 401
    assert "Inactive" in english(admin).get("/admin/users").text
    # reactivated, they sign in again
    assert (
        post_form(admin, f"/admin/users/{target.id}", {**fields, "active": "true"}).status_code
        == 303
    )
    assert signed_in(login_as("inspector2"))


def test_new_password_replaces_the_old_one_and_signs_out_other_sessions(login_as, world):
    target = world.user("owner4")
    owner = login_as("owner4")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/users/{target.id}").text)
    assert (
        post_form(
            admin, f"/admin/users/{target.id}", {**fields, "password": "brand-new-pass"}
        ).status_code
        == 303
    )
    assert not signed_in(owner)
    assert signed_in(login_as("owner4", "brand-new-pass"))
    fresh = owner.__class__(owner.app)
    assert sign_in(fresh, "owner4").status_code == 401
    r = post_form(english(admin), f"/admin/users/{target.id}", {**fields, "password": "tiny"})
    assert r.status_code == 422 and "at least 8 characters" in visible_text(r.text)


def test_admin_cannot_deactivate_themselves_or_drop_their_role(login_as, world):
    me = world.user("admin")
    admin = english(login_as("admin"))
    fields = form_fields(admin.get(f"/admin/users/{me.id}").text)
    without_active = {k: v for k, v in fields.items() if k != "active"}
    r = post_form(admin, f"/admin/users/{me.id}", without_active)
    assert r.status_code == 422
    assert "cannot deactivate yourself" in visible_text(r.text)
    r = post_form(admin, f"/admin/users/{me.id}", {**fields, "role": "supervisor"})
    assert r.status_code == 422
    after = world.user("admin")
    assert after.active and after.role == Role.admin
    assert signed_in(admin) and admin.get("/admin/users").status_code == 200


def test_edit_can_change_role_and_display_name(login_as, world):
    target = world.user("owner5")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/users/{target.id}").text)
    r = post_form(
        admin,
        f"/admin/users/{target.id}",
        {**fields, "display_name": "改过的名字", "role": "supervisor"},
    )
    assert r.status_code == 303
    after = world.user("owner5")
    assert after.display_name == "改过的名字" and after.role == Role.supervisor


# --- teams ----------------------------------------------------------------------------------


def test_team_list_shows_only_the_admins_subdistrict(login_as):
    page = english(login_as("admin")).get("/admin/teams")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Team 1" in text and "Team 11" in text
    assert "Yinxing Team 1" not in text


def test_admin_creates_a_team(login_as, world):
    admin = login_as("admin")
    assert admin.get("/admin/teams/new").status_code == 200
    r = post_form(
        admin,
        "/admin/teams/new",
        {"name_zh": "第十二工作小组", "name_en": "Team 12", "active": "true"},
    )
    assert r.status_code == 303
    team_id = int(r.headers["location"].rsplit("/", 1)[1])
    with world.session() as s:
        team = s.get(Team, team_id)
    assert team.name_zh == "第十二工作小组" and team.name_en == "Team 12" and team.active
    assert team.subdistrict_id == subdistrict_id(world, "wutong")
    assert "第十二工作小组" in admin.get("/admin/teams").text
    assert "第十二工作小组" in admin.get(r.headers["location"]).text


def test_team_needs_a_chinese_name(login_as, world):
    with world.session() as s:
        before = s.exec(select(func.count()).select_from(Team)).one()
    r = post_form(
        english(login_as("admin")), "/admin/teams/new", {"name_zh": "  ", "name_en": "Nameless"}
    )
    assert r.status_code == 422 and "Give the team a Chinese name" in visible_text(r.text)
    assert 'value="Nameless"' in r.text
    with world.session() as s:
        assert s.exec(select(func.count()).select_from(Team)).one() == before


def test_team_can_be_renamed_and_deactivated(login_as, world):
    team = team_named(world, "Team 7")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/teams/{team.id}").text)
    assert fields["name_zh"] == team.name_zh and fields["active"] == "true"
    fields.pop("active")
    r = post_form(admin, f"/admin/teams/{team.id}", {**fields, "name_en": "Team Seven"})
    assert r.status_code == 303
    with world.session() as s:
        after = s.get(Team, team.id)
    assert after.name_en == "Team Seven" and after.active is False
    assert "Inactive" in english(admin).get("/admin/teams").text


def test_adding_an_inspector_to_a_team_shows_them_its_sites(login_as, client, api_token, world):
    team1 = team_named(world, "Team 1")
    team1_sites = world.sites(Site.team_id == team1.id, Site.active.is_(True))
    building = world.site_named("华鼎大厦")
    assert building.team_id == team1.id
    inspector = login_as("inspector2")
    own = api_total(client, api_token, "inspector2")
    assert inspector.get(f"/sites/{building.id}").status_code == 404

    admin = english(login_as("admin"))
    r = post_form(admin, f"/admin/teams/{team1.id}/members", {"username": " Inspector2 "})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/teams/{team1.id}"
    assert members(world, team1.id) == {"inspector1", "inspector2"}
    assert "inspector2" in admin.get(f"/admin/teams/{team1.id}").text
    # the inspector's open session sees the new team's sites at once
    assert inspector.get(f"/sites/{building.id}").status_code == 200
    assert api_total(client, api_token, "inspector2") == own + len(team1_sites)
    # adding twice changes nothing
    assert (
        post_form(admin, f"/admin/teams/{team1.id}/members", {"username": "inspector2"}).status_code
        == 303
    )
    assert members(world, team1.id) == {"inspector1", "inspector2"}

    inspector2 = world.user("inspector2")
    r = post_form(admin, f"/admin/teams/{team1.id}/members/{inspector2.id}/remove")
    assert r.status_code == 303
    assert members(world, team1.id) == {"inspector1"}
    assert inspector.get(f"/sites/{building.id}").status_code == 404
    assert api_total(client, api_token, "inspector2") == own


def test_a_new_team_with_a_site_and_a_member(login_as, world):
    admin = login_as("admin")
    r = post_form(
        admin,
        "/admin/teams/new",
        {"name_zh": "夜查小组", "name_en": "Night Team", "active": "true"},
    )
    team_id = int(r.headers["location"].rsplit("/", 1)[1])
    shop = world.sites(Site.kind == "shop")[0]
    data = {
        "kind": "shop",
        "name_zh": shop.name_zh,
        "name_en": shop.name_en,
        "address": shop.address,
        "team_id": str(team_id),
        "credit_code": shop.credit_code,
        "active": "true",
    }
    assert post_form(admin, f"/sites/{shop.id}/edit", data).status_code == 303
    assert login_as("inspector5").get(f"/sites/{shop.id}").status_code == 404
    assert (
        post_form(admin, f"/admin/teams/{team_id}/members", {"username": "inspector5"}).status_code
        == 303
    )
    assert login_as("inspector5").get(f"/sites/{shop.id}").status_code == 200


@pytest.mark.parametrize("username", ["owner1", "supervisor", "inspector12", "nobody-here", ""])
def test_only_inspectors_of_the_subdistrict_can_join_a_team(username, login_as, world):
    team = team_named(world, "Team 2")
    r = post_form(
        english(login_as("admin")), f"/admin/teams/{team.id}/members", {"username": username}
    )
    assert r.status_code == 422
    assert "No inspector of this subdistrict has that username" in visible_text(r.text)
    assert members(world, team.id) == {"inspector2"}


# --- who may use the admin pages ------------------------------------------------------------


@pytest.mark.parametrize(
    "username", ["supervisor", "inspector1", "owner1", "supervisor2", "inspector12"]
)
def test_non_admins_get_403_on_every_admin_route(username, login_as, world):
    client = login_as(username)
    csrf_token(client)
    team = team_named(world, "Team 1")
    victim = world.user("inspector3")
    before = count_users(world)
    for path in (
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{victim.id}",
        "/admin/teams",
        "/admin/teams/new",
        f"/admin/teams/{team.id}",
    ):
        assert client.get(path, follow_redirects=False).status_code == 403, path
    posts = [
        ("/admin/users/new", {**NEW_USER, "username": "sneaky"}),
        (f"/admin/users/{victim.id}", {"role": "inspector", "display_name": "x"}),
        ("/admin/teams/new", {"name_zh": "偷建小组"}),
        (f"/admin/teams/{team.id}", {"name_zh": "偷改小组", "active": "true"}),
        (f"/admin/teams/{team.id}/members", {"username": "inspector4"}),
        (f"/admin/teams/{team.id}/members/{world.user('inspector1').id}/remove", {}),
    ]
    for path, data in posts:
        assert post_form(client, path, data).status_code == 403, path
    assert count_users(world) == before and find_user(world, "sneaky") is None
    assert (
        world.user("inspector3").active
        and world.user("inspector3").display_name == victim.display_name
    )
    assert team_named(world, "Team 1").name_zh == team.name_zh
    assert members(world, team.id) == {"inspector1"}
    assert 'href="/admin/users"' not in client.get("/").text


def test_signed_out_visitors_are_sent_to_login(client):
    for path in ("/admin/users", "/admin/teams"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


def test_wutong_admin_gets_404_for_yinxing_accounts_and_teams(login_as, world):
    admin = login_as("admin")
    other = world.user("supervisor2")
    inspector12 = world.user("inspector12")
    team = team_named(world, "Yinxing Team 1")
    assert admin.get(f"/admin/users/{other.id}").status_code == 404
    assert admin.get("/admin/users/999999").status_code == 404
    r = post_form(admin, f"/admin/users/{other.id}", {"role": "supervisor", "display_name": "被改"})
    assert r.status_code == 404
    r = post_form(admin, f"/admin/users/{other.id}", {"role": "nonsense"})
    assert r.status_code == 404  # an invalid form does not reveal the account either
    assert (
        world.user("supervisor2").active
        and world.user("supervisor2").display_name == other.display_name
    )

    assert admin.get(f"/admin/teams/{team.id}").status_code == 404
    assert post_form(admin, f"/admin/teams/{team.id}", {"name_zh": "被改小组"}).status_code == 404
    assert post_form(admin, f"/admin/teams/{team.id}", {"name_zh": ""}).status_code == 404
    assert (
        post_form(admin, f"/admin/teams/{team.id}/members", {"username": "inspector12"}).status_code
        == 404
    )
    r = post_form(admin, f"/admin/teams/{team.id}/members/{inspector12.id}/remove")
    assert r.status_code == 404
    assert team_named(world, "Yinxing Team 1").name_zh == team.name_zh
    assert members(world, team.id) == {"inspector12"}


def test_wutong_admin_cannot_pull_a_wutong_inspector_into_a_yinxing_team(login_as, world):
    team = team_named(world, "Yinxing Team 1")
    r = post_form(login_as("admin"), f"/admin/teams/{team.id}/members", {"username": "inspector4"})
    assert r.status_code == 404
    assert members(world, team.id) == {"inspector12"}


# --- command line ---------------------------------------------------------------------------


def test_cli_create_user_then_sign_in(cli, login_as, world, client):
    code, out, err = cli(
        "create-user",
        "bob",
        "--role",
        "inspector",
        "--subdistrict",
        "wutong",
        "--password",
        "longpassword",
    )
    assert code == 0, err
    assert "bob" in out
    bob = find_user(world, "bob")
    assert bob.role == Role.inspector and bob.subdistrict_id == subdistrict_id(world, "wutong")
    assert signed_in(login_as("bob", "longpassword"))
    assert sign_in(client, "bob", "wrongpassword").status_code == 401
    # an inspector in no team sees no site yet
    token = client.post("/api/v1/auth/token", json={"username": "bob", "password": "longpassword"})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    assert client.get("/api/v1/sites", headers=headers).json()["total"] == 0


def test_cli_city_wide_admin_sees_both_subdistricts(cli, login_as, world):
    code, _out, err = cli(
        "create-user", "cityadmin", "--role", "admin", "--city-wide", "--password", "longpassword"
    )
    assert code == 0, err
    admin = login_as("cityadmin", "longpassword")
    assert admin.get(f"/sites/{world.site_named('银杏中心').id}").status_code == 200
    assert admin.get(f"/sites/{world.site_named('华鼎大厦').id}").status_code == 200
    assert "supervisor2" in admin.get("/admin/users").text


def test_cli_password_from_the_environment(cli, monkeypatch, login_as):
    monkeypatch.setenv("INSPECT_PASSWORD", "password-from-env")
    code, _out, err = cli("create-user", "envuser", "--role", "owner", "--subdistrict", "yinxing")
    assert code == 0, err
    assert signed_in(login_as("envuser", "password-from-env"))


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (
            ["bob", "--role", "inspector", "--subdistrict", "wutong", "--password", "short"],
            "password",
        ),
        (["bob", "--role", "inspector", "--subdistrict", "wutong"], "password"),
        (
            [
                "inspector1",
                "--role",
                "inspector",
                "--subdistrict",
                "wutong",
                "--password",
                "longpassword",
            ],
            "username",
        ),
        (
            ["b!", "--role", "inspector", "--subdistrict", "wutong", "--password", "longpassword"],
            "username",
        ),
        (
            [
                "bob",
                "--role",
                "inspector",
                "--subdistrict",
                "atlantis",
                "--password",
                "longpassword",
            ],
            "atlantis",
        ),
        (["bob", "--role", "inspector", "--password", "longpassword"], "subdistrict"),
        (["bob", "--role", "inspector", "--city-wide", "--password", "longpassword"], "city_wide"),
    ],
)
def test_cli_bad_input_exits_2_and_creates_nothing(args, complaint, cli, world):
    before = count_users(world)
    code, out, err = cli("create-user", *args)
    assert code == 2
    assert complaint in err and "created" not in out
    assert count_users(world) == before


def test_cli_unknown_role_is_a_usage_error(cli, world):
    before = count_users(world)
    with pytest.raises(SystemExit) as exc:
        cli(
            "create-user",
            "bob",
            "--role",
            "mayor",
            "--subdistrict",
            "wutong",
            "--password",
            "longpassword",
        )
    assert exc.value.code == 2
    assert count_users(world) == before


def test_session_rows_end_when_deactivated(login_as, world):
    """The database agrees with what the person sees: every session of theirs is revoked."""
    target = world.user("inspector6")
    login_as("inspector6")
    login_as("inspector6")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/users/{target.id}").text)
    fields.pop("active")
    assert post_form(admin, f"/admin/users/{target.id}", fields).status_code == 303
    with world.session() as s:
        rows = s.exec(select(AuthSession).where(AuthSession.user_id == target.id)).all()
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


def test_subdistrict_admin_cannot_touch_a_city_wide_account(login_as, db, settings, world):
    """A city-wide account based in Wutong is above the Wutong admin: taking it over (a new
    password) would open every subdistrict to them."""
    from inspect_app.accounts.schemas import AccountFields
    from inspect_app.accounts.service import create_user

    with db.session(write=True) as s:
        boss = create_user(
            session=s,
            settings=settings,
            actor=None,
            data=AccountFields(
                username="cityboss",
                password="longpassword",
                role="admin",
                city_wide=True,
                subdistrict_id=str(subdistrict_id(world, "wutong")),
            ),
        )
        boss_id, boss_hash = boss.id, boss.password_hash
    admin = login_as("admin")
    assert "cityboss" not in admin.get("/admin/users").text
    assert admin.get(f"/admin/users/{boss_id}").status_code == 404
    r = post_form(
        admin,
        f"/admin/users/{boss_id}",
        {
            "role": "admin",
            "subdistrict_id": str(subdistrict_id(world, "wutong")),
            "password": "taken-over-now",
            "active": "true",
        },
    )
    assert r.status_code == 404
    after = find_user(world, "cityboss")
    assert after.password_hash == boss_hash and after.city_wide and after.active
    assert (
        sign_in(english(admin.__class__(admin.app)), "cityboss", "taken-over-now").status_code
        == 401
    )


def test_admin_cannot_move_an_account_to_another_subdistrict(login_as, world):
    target = world.user("inspector3")
    admin = english(login_as("admin"))
    fields = form_fields(admin.get(f"/admin/users/{target.id}").text)
    yinxing = str(subdistrict_id(world, "yinxing"))
    r = post_form(admin, f"/admin/users/{target.id}", {**fields, "subdistrict_id": yinxing})
    assert r.status_code == 422 and "your own subdistrict" in visible_text(r.text)
    r = post_form(admin, f"/admin/users/{target.id}", {**fields, "city_wide": "on"})
    assert r.status_code == 422 and "can be city-wide" in visible_text(r.text)
    r = post_form(
        admin, f"/admin/users/{target.id}", {**fields, "role": "admin", "city_wide": "on"}
    )
    assert r.status_code == 422 and "city-wide administrator" in visible_text(r.text)
    after = world.user("inspector3")
    assert after.subdistrict_id == target.subdistrict_id and not after.city_wide


def test_changing_your_own_password_keeps_you_signed_in_here_only(login_as, world):
    me = world.user("admin")
    other_device = login_as("admin")
    admin = login_as("admin")
    fields = form_fields(admin.get(f"/admin/users/{me.id}").text)
    r = post_form(admin, f"/admin/users/{me.id}", {**fields, "password": "a-new-admin-pass"})
    assert r.status_code == 303
    assert signed_in(admin)
    assert not signed_in(other_device)
