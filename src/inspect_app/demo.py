"""`inspect-app demo`: a fictional subdistrict shaped like the real one, plus a small second one.

Deterministic (a fixed random seed), bilingual, and loaded only into an empty database.
The demo password exists only here; no other code path creates accounts with it.
"""

from __future__ import annotations

import random

from sqlalchemy import func
from sqlmodel import Session, select

from inspect_app.auth.passwords import hash_password
from inspect_app.checklists.service import ensure_default_templates
from inspect_app.demo_history import load_history
from inspect_app.demo_inbox import load_inbox
from inspect_app.models import Role, Site, SiteKind, SiteOwner, Subdistrict, Team, TeamMember, User
from inspect_app.settings import Settings
from inspect_app.sites.credit_code import ALPHABET, check_char

DEMO_PASSWORD = "demo1234"  # noqa: S105 (demo data only, documented)


class DemoRefused(RuntimeError):
    """The database has data already: the demo goes only into an empty one."""


BRANDS = [
    ("华鼎", "Huading"),
    ("恒隆", "Henglong"),
    ("金桥", "Jinqiao"),
    ("嘉德", "Jiade"),
    ("协信", "Xiexin"),
    ("中融", "Zhongrong"),
    ("锦沧", "Jincang"),
    ("凯旋", "Kaixuan"),
    ("明辉", "Minghui"),
    ("世纪", "Shiji"),
    ("汇丰", "Huifeng"),
    ("静华", "Jinghua"),
]
BUILDING_TYPES = [("大厦", "Tower"), ("广场", "Plaza"), ("创意园", "Creative Park")]
INDUSTRIES = [
    ("科技", "Technology"),
    ("贸易", "Trading"),
    ("咨询", "Consulting"),
    ("设计", "Design"),
    ("文化传媒", "Media"),
    ("餐饮管理", "Catering"),
    ("物流", "Logistics"),
    ("网络", "Network"),
    ("投资管理", "Investment"),
    ("教育科技", "EdTech"),
    ("医疗器械", "Medical Devices"),
    ("建筑工程", "Engineering"),
    ("广告", "Advertising"),
    ("软件", "Software"),
]
NAME_WORDS = [
    ("瑞丰", "Ruifeng"),
    ("启明", "Qiming"),
    ("安泰", "Antai"),
    ("博远", "Boyuan"),
    ("众合", "Zhonghe"),
    ("新禾", "Xinhe"),
    ("宏图", "Hongtu"),
    ("云帆", "Yunfan"),
    ("立达", "Lida"),
    ("鼎盛", "Dingsheng"),
    ("天择", "Tianze"),
    ("佳和", "Jiahe"),
    ("远景", "Yuanjing"),
    ("蓝海", "Lanhai"),
    ("同舟", "Tongzhou"),
    ("致远", "Zhiyuan"),
]
SHOP_TYPES = [
    ("便利店", "Convenience Store"),
    ("面馆", "Noodle House"),
    ("药房", "Pharmacy"),
    ("理发店", "Hair Salon"),
    ("水果店", "Fruit Shop"),
    ("咖啡馆", "Café"),
    ("洗衣店", "Laundry"),
    ("五金店", "Hardware Store"),
    ("花店", "Florist"),
    ("书店", "Bookshop"),
]
STREETS = [
    ("梧桐路", "Wutong Road"),
    ("银杏路", "Yinxing Road"),
    ("香樟路", "Xiangzhang Road"),
    ("玉兰路", "Yulan Road"),
    ("海棠路", "Haitang Road"),
    ("紫藤路", "Ziteng Road"),
]
COMPOUNDS = [
    ("梧桐苑", "Wutong Garden"),
    ("静园小区", "Jingyuan Estate"),
    ("锦绣里", "Jinxiu Lane"),
    ("和平新村", "Heping New Village"),
    ("春晓花园", "Chunxiao Garden"),
    ("安居小区", "Anju Estate"),
    ("枫林苑", "Fenglin Court"),
]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明"]
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"]


def _credit_code(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "91310106" + "".join(rng.choice(ALPHABET) for _ in range(9))
        code = body + check_char(body)
        if code not in used:
            used.add(code)
            return code


def _person(rng: random.Random) -> str:
    return (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
    )


def _phone(rng: random.Random) -> str:
    return "13" + "".join(str(rng.randint(0, 9)) for _ in range(9))


def _position(rng: random.Random, base: tuple[float, float]) -> tuple[float, float]:
    return round(base[0] + rng.uniform(-0.01, 0.01), 6), round(
        base[1] + rng.uniform(-0.012, 0.012), 6
    )


class _Builder:
    """Adds rows for one subdistrict; keeps the random source and the used credit codes."""

    def __init__(self, session: Session, rng: random.Random, password_hash: str) -> None:
        self.s, self.rng, self.password_hash = session, rng, password_hash
        self.codes: set[str] = set()

    def user(self, username: str, role: Role, display: str, subdistrict: Subdistrict) -> User:
        user = User(
            username=username,
            role=role,
            display_name=display,
            password_hash=self.password_hash,
            subdistrict_id=subdistrict.id,
            phone=_phone(self.rng),
        )
        self.s.add(user)
        self.s.flush()
        return user

    def site(
        self,
        subdistrict: Subdistrict,
        kind: SiteKind,
        zh: str,
        en: str,
        address: str,
        team: Team | None,
        parent: Site | None = None,
        base=(31.2295, 121.4560),
    ) -> Site:
        lat, lon = _position(self.rng, base)
        assert subdistrict.id is not None
        site = Site(
            subdistrict_id=subdistrict.id,
            kind=kind,
            name_zh=zh,
            name_en=en,
            address=address,
            latitude=lat,
            longitude=lon,
            parent_id=parent.id if parent else None,
            team_id=team.id if team else None,
            contact_name=_person(self.rng),
            contact_phone=_phone(self.rng),
            credit_code=_credit_code(self.rng, self.codes)
            if kind in (SiteKind.enterprise, SiteKind.shop)
            else None,
        )
        self.s.add(site)
        self.s.flush()
        return site

    def tenants(
        self, subdistrict: Subdistrict, building: Site, team: Team, count: int
    ) -> list[Site]:
        out: list[Site] = []
        for floor in range(count):
            (w_zh, w_en), (i_zh, i_en) = self.rng.choice(NAME_WORDS), self.rng.choice(INDUSTRIES)
            zh = f"上海{w_zh}{i_zh}有限公司"
            en = f"Shanghai {w_en} {i_en} Co., Ltd."
            if any(t.name_zh == zh for t in out):
                zh, en = (
                    f"上海{w_zh}{i_zh}（{building.name_zh}）有限公司",
                    f"{en[:-10]} ({building.name_en}) Co., Ltd.",
                )
            room = f"{building.address} {floor // 2 + 2}{(floor % 2) + 1:02d}室"
            out.append(self.site(subdistrict, SiteKind.enterprise, zh, en, room, team, building))
        return out


def load_demo(
    *, session: Session, settings: Settings, if_empty: bool = True, history: bool = False
) -> bool:
    """Create the demo world; returns False (and does nothing) when any subdistrict exists.

    `history` adds ~60 days of inspections, photos and rectification items (demo_history),
    the campaigns run in those weeks, with their rounds' coverage (demo_campaigns), and the
    last days' messages in everyone's inbox (demo_inbox)."""
    if session.exec(select(func.count()).select_from(Subdistrict)).one() > 0:
        if if_empty:
            return False
        raise DemoRefused("The database already has data; demo data goes only into an empty one")
    ensure_default_templates(session=session)
    rng = random.Random(2020)
    b = _Builder(session, rng, hash_password(DEMO_PASSWORD, settings=settings))

    main = Subdistrict(code="wutong", name_zh="梧桐街道", name_en="Wutong Subdistrict")
    second = Subdistrict(code="yinxing", name_zh="银杏街道", name_en="Yinxing Subdistrict")
    session.add_all([main, second])
    session.flush()
    assert main.id is not None and second.id is not None

    b.user("admin", Role.admin, "系统管理员", main)
    b.user("supervisor", Role.supervisor, _person(rng), main)
    teams = []
    for n in range(11):
        team = Team(
            subdistrict_id=main.id, name_zh=f"第{NUMERALS[n]}工作小组", name_en=f"Team {n + 1}"
        )
        session.add(team)
        session.flush()
        inspector = b.user(f"inspector{n + 1}", Role.inspector, _person(rng), main)
        assert team.id is not None and inspector.id is not None
        session.add(TeamMember(team_id=team.id, user_id=inspector.id))
        teams.append(team)

    enterprises: list[Site] = []
    buildings = []
    for i in range(36):
        brand = BRANDS[i % len(BRANDS)]
        kind = BUILDING_TYPES[i // len(BRANDS)]
        street = STREETS[i % len(STREETS)]
        team = teams[i % len(teams)]
        building = b.site(
            main,
            SiteKind.building,
            brand[0] + kind[0],
            f"{brand[1]} {kind[1]}",
            f"{street[0]}{100 + i * 7}号",
            team,
        )
        buildings.append(building)
        enterprises += b.tenants(main, building, team, rng.randint(8, 14))
    for i, (zh, en) in enumerate(COMPOUNDS):
        street = STREETS[i % len(STREETS)]
        b.site(
            main, SiteKind.compound, zh, en, f"{street[0]}{300 + i * 11}弄", teams[i % len(teams)]
        )
    for i in range(44):
        (w_zh, w_en), (t_zh, t_en) = (
            NAME_WORDS[i % len(NAME_WORDS)],
            SHOP_TYPES[i % len(SHOP_TYPES)],
        )
        street = STREETS[i % len(STREETS)]
        b.site(
            main,
            SiteKind.shop,
            f"{w_zh}{t_zh}",
            f"{w_en} {t_en}",
            f"{street[0]}{500 + i * 3}号",
            teams[(i * 5) % len(teams)],
        )

    # owner1 and owner2 own different businesses; some own two.
    for n, picks in enumerate(([0], [1, 2], [3], [4, 5], [6]), start=1):
        owner = b.user(f"owner{n}", Role.owner, _person(rng), main)
        assert owner.id is not None
        for index in picks:
            site_id = enterprises[index * 37].id
            assert site_id is not None
            session.add(SiteOwner(site_id=site_id, user_id=owner.id))

    b.user("supervisor2", Role.supervisor, _person(rng), second)
    team = Team(subdistrict_id=second.id, name_zh="银杏第一工作小组", name_en="Yinxing Team 1")
    session.add(team)
    session.flush()
    inspector = b.user("inspector12", Role.inspector, _person(rng), second)
    assert team.id is not None and inspector.id is not None
    session.add(TeamMember(team_id=team.id, user_id=inspector.id))
    for zh, en, addr in (
        ("银杏中心", "Yinxing Centre", "银杏路88号"),
        ("杏林创意园", "Xinglin Creative Park", "杏林路12号"),
    ):
        building = b.site(second, SiteKind.building, zh, en, addr, team, base=(31.2410, 121.4300))
        b.tenants(second, building, team, 6)
    session.flush()
    if history:
        load_history(session=session, settings=settings)
        load_inbox(session=session, settings=settings)
    return True
