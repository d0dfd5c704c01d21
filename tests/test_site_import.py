"""CSV import of sites, by upload and by the command line: all rows or nothing, every bad row
reported with its line number."""

from __future__ import annotations

import gc
import re

import pytest
from sqlmodel import select

from inspect_app.models import Site, SiteKind, Subdistrict
from inspect_app.sites.credit_code import check_char
from tests.helpers.app import csrf_token, english
from tests.helpers.data import count_sites, import_sites, owner_names, team_named
from tests.helpers.html import parse, visible_text

HEADER = "kind,name_zh,name_en,address,parent,team,credit_code,owners,latitude,longitude"


def code(body17: str) -> str:
    return body17 + check_char(body17)


CODE_A = code("91310106MA1KMP001")
CODE_B = code("91310106MA1KMP002")
CODE_C = code("91310106MA1KMP003")


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


GOOD_ROWS = (
    "building,新测试大厦,New Test Tower,梧桐路999号,,Team 2,,,31.2301,121.4501",
    "enterprise,上海新测试科技有限公司,Shanghai New Test Tech Co.,梧桐路999号 301室,"
    f"新测试大厦,,{CODE_A},owner3,,",
    f"enterprise,上海华鼎入驻有限公司,,梧桐路100号 1501室,华鼎大厦,,{CODE_B},,,",
    "shop,测试水果店,Test Fruit Shop,银杏路8号,,第三工作小组,"
    f"{CODE_C},owner4;owner5,31.2290,121.4577",
    "compound,测试花园,Test Garden,香樟路12弄,,Team 4,,,,",
)


def site(world, name_zh: str) -> Site:
    with world.session() as s:
        return s.exec(select(Site).where(Site.name_zh == name_zh)).one()


def reported(html: str) -> list[str]:
    """The error lines the page lists, as a person reads them."""
    block = parse(html).select_one("ul#import-errors")
    assert block, "the page lists no errors"
    return [li.text for li in block.select("li")]


def errors_by_line(html: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for item in reported(html):
        m = re.match(r"Line (\d+): (.*)", item)
        assert m, item
        out[int(m.group(1))] = out.get(int(m.group(1)), "") + m.group(2)
    return out


# --- upload: good files ---------------------------------------------------------------------


def test_import_page_explains_the_columns(login_as):
    page = english(login_as("admin")).get("/sites/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="_csrf_token"' in page.text
    assert "kind,name_zh,name_en" in page.text
    assert "nothing is imported" in visible_text(page.text)


def test_good_file_imports_every_row(login_as, world):
    admin = english(login_as("admin"))
    before = count_sites(world)
    r = import_sites(admin, csv_text(*GOOD_ROWS))
    assert r.status_code == 200, r.text
    assert "Imported 5 sites." in visible_text(r.text)
    assert 'id="import-errors"' not in r.text
    assert count_sites(world) == before + 5

    tower = site(world, "新测试大厦")
    assert tower.kind == SiteKind.building and tower.team_id == team_named(world, "Team 2").id
    assert tower.latitude == pytest.approx(31.2301) and tower.active
    tenant = site(world, "上海新测试科技有限公司")
    assert tenant.parent_id == tower.id  # the building was defined earlier in the same file
    assert tenant.team_id == tower.team_id  # and the tenant follows its team
    assert tenant.credit_code == CODE_A and tenant.name_en == "Shanghai New Test Tech Co."
    existing = site(world, "上海华鼎入驻有限公司")
    huading = site(world, "华鼎大厦")
    assert existing.parent_id == huading.id and existing.team_id == huading.team_id
    shop = site(world, "测试水果店")
    assert shop.team_id == team_named(world, "Team 3").id  # team named in Chinese
    garden = site(world, "测试花园")
    assert garden.kind == SiteKind.compound and garden.latitude is None
    wutong = world.sites(Site.name_zh == "华鼎大厦")[0].subdistrict_id
    for s in (tower, tenant, existing, shop, garden):
        assert s.subdistrict_id == wutong and s.active

    # what the import created is what people then see
    inspector2 = login_as("inspector2")
    page = inspector2.get(f"/sites/{tower.id}")
    assert page.status_code == 200 and "上海新测试科技有限公司" in page.text
    assert login_as("inspector3").get(f"/sites/{shop.id}").status_code == 200
    listing = login_as("supervisor").get("/sites", params={"q": "测试"})
    for name in ("新测试大厦", "上海新测试科技有限公司", "测试水果店", "测试花园"):
        assert name in listing.text


def test_owners_column_makes_owner_members(login_as, world):
    r = import_sites(login_as("admin"), csv_text(*GOOD_ROWS))
    assert r.status_code == 200
    tenant = site(world, "上海新测试科技有限公司")
    shop = site(world, "测试水果店")
    assert owner_names(world, tenant.id) == {"owner3"}
    assert owner_names(world, shop.id) == {"owner4", "owner5"}
    assert owner_names(world, site(world, "新测试大厦").id) == set()
    owner3 = login_as("owner3")
    assert owner3.get(f"/sites/{tenant.id}").status_code == 200
    assert owner3.get(f"/sites/{shop.id}").status_code == 404
    assert login_as("owner5").get(f"/sites/{shop.id}").status_code == 200


def test_gb18030_file_from_chinese_excel(login_as, world):
    text = csv_text(
        "building,梧桐测试中心,,梧桐路1号,,第二工作小组,,,,",
        f"enterprise,上海梧桐编码测试有限公司,,梧桐路1号 2楼,梧桐测试中心,,{CODE_A},,,",
    )
    raw = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = import_sites(english(login_as("admin")), raw)
    assert r.status_code == 200 and "Imported 2 sites." in visible_text(r.text)
    tenant = site(world, "上海梧桐编码测试有限公司")
    assert tenant.parent_id == site(world, "梧桐测试中心").id
    assert site(world, "梧桐测试中心").address == "梧桐路1号"


def test_utf8_with_excel_bom_and_windows_line_endings(login_as, world):
    raw = "\ufeff" + csv_text("shop,带签名的商店,,玉兰路3号,,,,,,").replace("\n", "\r\n")
    r = import_sites(english(login_as("admin")), raw.encode("utf-8"))
    assert r.status_code == 200 and "Imported 1 site." in visible_text(r.text)
    assert site(world, "带签名的商店").kind == SiteKind.shop


def test_blank_lines_are_skipped_and_column_order_is_free(login_as, world):
    text = "name_zh,kind,team\n\n空行测试店,shop,Team 5\n,,\n第二家空行测试店,shop,\n"
    r = import_sites(english(login_as("admin")), text)
    assert r.status_code == 200 and "Imported 2 sites." in visible_text(r.text)
    assert site(world, "空行测试店").team_id == team_named(world, "Team 5").id


def test_active_column(login_as, world, client, api_token):
    text = "kind,name_zh,active\nshop,停业测试店,false\nshop,营业测试店,yes\nshop,未填写测试店,\n"
    r = import_sites(login_as("admin"), text)
    assert r.status_code == 200
    assert site(world, "停业测试店").active is False
    assert site(world, "营业测试店").active is True
    assert site(world, "未填写测试店").active is True  # a blank cell means active
    listed = client.get("/api/v1/sites", headers=api_token("admin"), params={"q": "测试店"}).json()
    assert {i["name_zh"] for i in listed["items"]} == {"营业测试店", "未填写测试店"}


def test_minimal_file_without_active_column_makes_active_sites(login_as, world):
    r = import_sites(login_as("admin"), "kind,name_zh\nshop,最简测试店\n")
    assert r.status_code == 200
    assert site(world, "最简测试店").active is True


# --- upload: bad files ----------------------------------------------------------------------


def test_several_bad_rows_are_all_reported_and_nothing_is_imported(login_as, world):
    rows = (
        "shop,好的商店一,,,,,,,,",  # line 2: fine
        "castle,城堡,,,,,,,,",  # line 3: unknown kind
        "shop,好的商店二,,,,,,,,",  # line 4: fine
        "enterprise,坏代码公司,,,,,91310106MA1KMP0010,,,",  # line 5: bad credit code
        "enterprise,无主楼公司,,,不存在的大厦,,,,,",  # line 6: unknown parent
        "shop,无队商店,,,,Team 99,,,,",  # line 7: unknown team
        "shop,坏坐标商店,,,,,,,95,121.4",  # line 8: latitude out of range
        ",,,,,,,,,",  # line 9: blank, ignored
        "shop,,,,,,,,,",  # line 10: no name
        "shop,坏业主商店,,,,,,ghost-owner,,",  # line 11: unknown owner
    )
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 422
    text = visible_text(r.text)
    assert "Nothing was imported" in text
    errors = errors_by_line(r.text)
    assert sorted(errors) == [3, 5, 6, 7, 8, 10, 11]
    assert "kind" in errors[3]
    assert "credit code" in errors[5]
    assert "不存在的大厦" in errors[6]
    assert "Team 99" in errors[7]
    assert "between -90 and 90" in errors[8]
    assert "name" in errors[10]
    assert "ghost-owner" in errors[11]
    assert count_sites(world) == before
    assert count_sites(world, Site.name_zh.in_(["好的商店一", "好的商店二"])) == 0


def test_one_bad_row_at_the_end_still_stops_everything(login_as, world):
    rows = (*GOOD_ROWS, "shop,最后一行,,,,,,,abc,")
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 422
    assert sorted(errors_by_line(r.text)) == [7]
    assert count_sites(world) == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name_zh,address", "Missing columns: kind."),
        ("kind,address", "Missing columns: name_zh."),
        ("kind,name_zh,colour", "Unknown columns: colour."),
        ("类型,名称", "Missing columns: kind, name_zh."),
    ],
)
def test_missing_or_unknown_columns(header, message, login_as, world):
    width = header.count(",") + 1
    text = header + "\n" + ",".join(["shop"] + ["列值测试"] * (width - 1)) + "\n"
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), text)
    assert r.status_code == 422
    assert any(message in item for item in reported(r.text))
    assert count_sites(world) == before


def test_missing_and_unknown_columns_are_both_reported(login_as):
    r = import_sites(english(login_as("admin")), "kind,colour,size\nshop,red,big\n")
    items = " | ".join(reported(r.text))
    assert "Missing columns: name_zh." in items and "Unknown columns: colour, size." in items


def test_credit_code_twice_in_the_file(login_as, world):
    rows = (
        f"shop,重复代码店一,,,,,{CODE_A},,,",
        f"shop,重复代码店二,,,,,{CODE_A.lower()},,,",
    )
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 422
    errors = errors_by_line(r.text)
    assert list(errors) == [3] and "appears twice" in errors[3] and CODE_A in errors[3]
    assert count_sites(world) == before


def test_credit_code_already_registered(login_as, world):
    taken = world.owned_by("owner1")[0].credit_code
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), csv_text(f"shop,抢代码的店,,,,,{taken},,,"))
    assert r.status_code == 422
    assert "Another site already has this credit code" in errors_by_line(r.text)[2]
    assert count_sites(world) == before


def test_site_already_registered_or_twice_in_the_file(login_as, world):
    r = import_sites(english(login_as("admin")), csv_text("building,华鼎大厦,,,,,,,,"))
    assert r.status_code == 422
    assert (
        "华鼎大厦" in errors_by_line(r.text)[2]
        and "already registered" in errors_by_line(r.text)[2]
    )
    r = import_sites(
        english(login_as("admin")), csv_text("shop,双胞胎店,,,,,,,,", "shop,双胞胎店,,,,,,,,")
    )
    assert r.status_code == 422 and "appears twice" in errors_by_line(r.text)[3]
    assert count_sites(world, Site.name_zh == "双胞胎店") == 0


def test_owners_column_must_name_owner_accounts(login_as, world):
    rows = ("shop,业主测试店一,,,,,,owner1;inspector1,,", "shop,业主测试店二,,,,,,nobody-at-all,,")
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 422
    errors = errors_by_line(r.text)
    assert "inspector1 is not an owner account" in errors[2]
    assert "nobody-at-all is not an owner account" in errors[3]
    assert count_sites(world, Site.name_zh.like("业主测试店%")) == 0


def test_tenant_before_its_building_is_an_error(login_as, world):
    rows = ("enterprise,先来的公司,,,后来的大厦,,,,,", "building,后来的大厦,,,,,,,,")
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 422 and "后来的大厦" in errors_by_line(r.text)[2]
    assert count_sites(world, Site.name_zh == "后来的大厦") == 0


def test_admin_cannot_import_into_another_subdistrict(login_as, world):
    yinxing = world.sites(Site.name_zh == "银杏中心")[0].subdistrict_id
    before = count_sites(world, Site.subdistrict_id == yinxing)
    r = import_sites(
        english(login_as("admin")),
        "subdistrict,kind,name_zh,parent\nyinxing,enterprise,越界导入公司,银杏中心\n",
    )
    assert r.status_code == 422
    assert "yinxing" in errors_by_line(r.text)[2]
    assert count_sites(world, Site.subdistrict_id == yinxing) == before


def test_parent_in_another_subdistrict_is_not_found(login_as, world):
    r = import_sites(
        english(login_as("admin")), "kind,name_zh,parent\nenterprise,找错楼公司,银杏中心\n"
    )
    assert r.status_code == 422 and "银杏中心" in errors_by_line(r.text)[2]


def test_no_file_chosen(login_as):
    admin = english(login_as("admin"))
    r = admin.post(
        "/sites/import",
        data={"_csrf_token": csrf_token(admin)},
        files={"file": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "Choose a CSV file" in visible_text(r.text)


def test_a_file_that_is_not_text_is_refused(login_as, world):
    before = count_sites(world)
    r = import_sites(
        english(login_as("admin")), b"\x89PNG\r\n\x1a\n\x00\x00\x80\xff\xfe\x81", "photo.csv"
    )
    assert r.status_code == 422
    assert "could not be read" in visible_text(r.text)
    assert count_sites(world) == before


def test_file_larger_than_the_limit_is_refused(login_as, world):
    big = csv_text(*[f"shop,大文件测试店{i:06d},,{'路' * 200},,,,,," for i in range(9000)])
    assert len(big.encode()) > 5 * 1024 * 1024
    before = count_sites(world)
    r = import_sites(english(login_as("admin")), big)
    assert r.status_code == 422 and "larger than 5 MB" in visible_text(r.text)
    assert count_sites(world) == before


@pytest.mark.parametrize("username", ["supervisor", "inspector1", "owner1", "supervisor2"])
def test_non_admins_cannot_import(username, login_as, world):
    client = login_as(username)
    before = count_sites(world)
    assert client.get("/sites/import").status_code == 403
    r = import_sites(client, csv_text(*GOOD_ROWS))
    assert r.status_code == 403
    assert count_sites(world) == before


# Litestar's CSRF middleware parses the upload to look for the token and, when it refuses, never
# closes the temporary file; the collection below makes that warning land in this test only.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function SpooledTemporaryFile"
    ":pytest.PytestUnraisableExceptionWarning"
)
def test_upload_without_the_csrf_token_is_refused(login_as, world):
    admin = english(login_as("admin"))
    csrf_token(admin)
    before = count_sites(world)
    r = admin.post(
        "/sites/import",
        files={"file": ("sites.csv", csv_text(*GOOD_ROWS).encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 403
    # (in Chinese whatever the locale cookie says: the CSRF check runs before the locale is chosen)
    assert "security token" in r.text or "安全令牌" in r.text
    assert count_sites(world) == before
    gc.collect()


# --- command line ---------------------------------------------------------------------------


def test_cli_imports_a_good_file(cli, tmp_path, world):
    path = tmp_path / "sites.csv"
    path.write_text(csv_text(*GOOD_ROWS), encoding="utf-8")
    before = count_sites(world)
    code_, out, err = cli("import-sites", str(path), "--subdistrict", "wutong")
    assert code_ == 0, err
    assert "imported 5 sites" in out
    assert count_sites(world) == before + 5
    tenant = site(world, "上海新测试科技有限公司")
    assert tenant.parent_id == site(world, "新测试大厦").id and tenant.active
    assert owner_names(world, tenant.id) == {"owner3"}


def test_cli_reads_gb18030(cli, tmp_path, world):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        csv_text("shop,命令行编码测试店,,梧桐路5号,,第一工作小组,,,,").encode("gb18030")
    )
    code_, out, _err = cli("import-sites", str(path), "--subdistrict", "wutong")
    assert code_ == 0 and "imported 1 sites" in out
    assert site(world, "命令行编码测试店").team_id == team_named(world, "Team 1").id


def test_cli_reports_every_bad_row_and_imports_nothing(cli, tmp_path, world):
    path = tmp_path / "bad.csv"
    rows = (
        "shop,命令行好店,,,,,,,,",
        "castle,命令行城堡,,,,,,,,",
        f"shop,命令行坏码店,,,,,{CODE_A[:-1]}Z,,,",
    )
    path.write_text(csv_text(*rows), encoding="utf-8")
    before = count_sites(world)
    code_, out, err = cli("import-sites", str(path), "--subdistrict", "wutong")
    assert code_ == 1
    assert re.search(r"^line 3: kind: ", err, re.M)
    assert re.search(r"^line 4: credit_code: ", err, re.M)
    assert "line 2" not in err
    assert "nothing was imported" in err and "imported" not in out
    assert count_sites(world) == before


def test_cli_subdistrict_column_and_unknown_subdistrict(cli, tmp_path, world):
    path = tmp_path / "two.csv"
    path.write_text(
        "subdistrict,kind,name_zh,parent\n"
        "yinxing,enterprise,银杏命令行公司,银杏中心\n"
        "wutong,shop,梧桐命令行商店,\n",
        encoding="utf-8",
    )
    code_, _out, err = cli("import-sites", str(path))
    assert code_ == 0, err
    with world.session() as s:
        yinxing = s.exec(select(Subdistrict).where(Subdistrict.code == "yinxing")).one()
    created = site(world, "银杏命令行公司")
    assert created.subdistrict_id == yinxing.id
    assert created.parent_id == site(world, "银杏中心").id
    # inspector12 (Yinxing's team) now sees it through the building's team
    assert created.team_id == team_named(world, "Yinxing Team 1").id

    path.write_text("kind,name_zh\nshop,无街道商店\n", encoding="utf-8")
    code_, _out, err = cli("import-sites", str(path), "--subdistrict", "nowhere")
    assert code_ == 1 and "line 2:" in err and "nowhere" in err
    code_, _out, err = cli("import-sites", str(path))
    assert code_ == 1 and "line 2:" in err
    assert count_sites(world, Site.name_zh == "无街道商店") == 0


def test_cli_missing_columns_exit_1(cli, tmp_path, world):
    path = tmp_path / "cols.csv"
    path.write_text("name,kind\n某店,shop\n", encoding="utf-8")
    code_, _out, err = cli("import-sites", str(path), "--subdistrict", "wutong")
    assert code_ == 1 and "line 1:" in err and "name_zh" in err and "name" in err


def test_same_company_name_in_two_buildings_is_not_a_duplicate(login_as, world):
    rows = (
        "enterprise,上海连锁测试有限公司,,,华鼎大厦,,,,,",
        "enterprise,上海连锁测试有限公司,,,恒隆大厦,,,,,",
    )
    r = import_sites(english(login_as("admin")), csv_text(*rows))
    assert r.status_code == 200, reported(r.text)
    parents = {s.parent_id for s in world.sites(Site.name_zh == "上海连锁测试有限公司")}
    assert parents == {site(world, "华鼎大厦").id, site(world, "恒隆大厦").id}


def test_line_numbers_count_blank_and_multi_line_rows(login_as, world):
    text = (
        "kind,name_zh,address\n"  # line 1
        "shop,空行前的店,\n"  # line 2
        "\n"  # line 3: empty
        'shop,多行地址店,"梧桐路1号\n二楼"\n'  # lines 4-5
        "castle,坏类型,\n"  # line 6
    )
    r = import_sites(english(login_as("admin")), text)
    assert r.status_code == 422
    assert list(errors_by_line(r.text)) == [6]


def test_owner_of_another_subdistrict_is_refused(login_as, db, settings, world):
    from inspect_app.accounts.schemas import AccountFields
    from inspect_app.accounts.service import create_user

    with db.session(write=True) as s:
        yinxing = s.exec(select(Subdistrict.id).where(Subdistrict.code == "yinxing")).one()
        create_user(
            session=s,
            settings=settings,
            actor=None,
            data=AccountFields(
                username="yxowner",
                password="longpassword",
                role="owner",
                subdistrict_id=str(yinxing),
            ),
        )
    r = import_sites(english(login_as("admin")), "kind,name_zh,owners\nshop,跨街道业主店,yxowner\n")
    assert r.status_code == 422
    assert "yxowner is not an owner account" in errors_by_line(r.text)[2]
    assert count_sites(world, Site.name_zh == "跨街道业主店") == 0
