"""What happened in the demo's last 60 days: the notes people wrote, a story for each owner's
sites, and each team's everyday round. `demo_history` plays these plans through the services.

Notes are plain text, written the way this (Shanghai) office writes them: in Chinese."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from inspect_app.models import (
    ChecklistTemplate,
    Site,
    SiteKind,
    SiteOwner,
    Subdistrict,
    Team,
    TemplateItem,
    TemplateVersion,
    User,
    VersionStatus,
)

DAYS = 60  # how far back the history goes
FINDINGS = {
    "F01": (
        "一楼消防通道堆放纸箱和废旧桌椅，通道宽度不足1米。",
        "安全出口外侧围挡占用消防车通道。",
    ),
    "F02": (
        "下班后办公区电源未关闭，茶水间电热水壶仍通电。",
        "厨房燃气阀门未关闭，无下班检查记录。",
    ),
    "F03": ("3楼东侧灭火器压力表指针在红区。", "灭火器已过期，数量不足。"),
    "F04": ("B1楼梯间应急照明灯按测试按钮不亮。", "疏散指示标志损坏两处。"),
    "F05": ("2号楼梯防火门用木楔顶开，闭门器损坏。", "后门防火门被链条锁住，无法疏散。"),
    "F06": ("楼道内停放电动自行车3辆，其中1辆正在充电。", "地下室楼梯间发现飞线充电。"),
    "F07": ("仓库内私拉电线，多个插线板串接。", "从室内拉线至户外灯箱，无套管保护。"),
    "F08": ("消火栓箱前堆放货物，箱门无法打开。", "喷淋头被吊顶装饰遮挡。"),
    "E01": ("未明确防控责任人，应急预案未成文。", "应急预案未包含发热人员处置流程。"),
    "E02": ("抽查10名员工，3人未完成健康登记。", "健康申报表未更新返岗人员行程。"),
    "E03": ("后门出入口未设测温点。", "测温记录缺少近两日内容。"),
    "E04": ("访客登记本未记录体温及联系电话。", "外卖快递人员直接进入办公区，未登记。"),
    "E05": ("口罩库存仅够两天使用，无消毒液。", "未配备备用体温计。"),
    "E06": ("开放办公区多名员工未佩戴口罩。", "会议室内人员未规范佩戴口罩。"),
    "E07": ("卫生间及电梯按钮无消毒记录。", "消毒记录断档三天，消毒液配比不清。"),
    "E08": ("中央空调仍开启回风模式。", "会议室无窗且未开启新风。"),
    "E09": ("午餐时段食堂人员聚集，未分餐。", "餐桌未设隔板，未错峰就餐。"),
    "E10": ("全员到岗，未安排梯次复工。", "仍召开30人以上会议。"),
    "E11": ("未设置临时隔离点。", "隔离点设在人员通道旁，未张贴转诊流程。"),
    "E12": ("近三日未向楼宇报送信息。", "报送信息缺少在岗人数。"),
}
FIXES = {
    "F01": "纸箱和旧桌椅已全部清运，通道已畅通。",
    "F03": "已更换新灭火器4具，压力正常。",
    "F07": "已请电工拆除临时线路，改为规范布线。",
    "E01": "已明确防控责任人，应急预案已打印张贴。",
    "E02": "已补齐全部员工健康登记表。",
    "E05": "已采购口罩500只、消毒液10瓶。",
    "E06": "已在各区域张贴提示，安排专人提醒。",
    "E07": "已建立消毒台账，每日两次消毒并记录。",
}
FIX_DEFAULT = "已按要求整改，请复查。"
CLOSED = ("复查已整改到位，予以销项。", "现场核实已整改，提醒企业保持。", "整改完成，照片存档。")
NOT_FIXED = ("复查仍未整改到位，已再次告知负责人。", "仅部分整改，要求在新期限内完成。")
EXTENDED = {
    "F07": "物业需协调施工队改造线路，企业申请延期，同意。",
    "E11": "企业需腾出房间改作隔离点，申请延期，同意。",
}
EXTENDED_DEFAULT = "企业申请延期，经核实同意。"
CANCELLED = "误登记：该企业没有食堂，此项不适用，予以撤销。"
COMMON = {"F01": 3, "F03": 2, "F05": 2, "F06": 3, "F07": 2, "F08": 1, "F02": 1, "F04": 1}
COMMON |= {"E03": 3, "E07": 3, "E04": 2, "E05": 2, "E02": 2, "E12": 2, "E06": 1, "E11": 1}
COMMON |= {"E01": 1, "E08": 1, "E09": 1, "E10": 1}

# Per owner, per owned site (in id order): (checklist, days ago, {failed item: what came next}).
# leave: still open; report: the owner reported it fixed; close / reject: verified on a
# follow-up visit; extend / cancel: by the supervisor.
OWNER_STORIES = {
    "owner1": [
        [
            ("fire-safety", 45, {}),
            ("enterprise-12", 16, {"E03": "leave", "E07": "report"}),
            ("fire-safety", 4, {"F04": "leave"}),
        ]
    ],
    "owner2": [
        [
            ("enterprise-12", 30, {"E01": "close", "E05": "close"}),
            ("fire-safety", 5, {"F03": "report"}),
        ],
        [("fire-safety", 2, {"F06": "leave", "F08": "leave"})],
    ],
    "owner3": [[("enterprise-12", 10, {"E04": "leave", "E11": "extend"})]],
    "owner4": [
        [("fire-safety", 25, {"F01": "close", "F07": "reject"})],
        [("enterprise-12", 3, {"E02": "leave", "E06": "report"})],
    ],
    "owner5": [[("fire-safety", 40, {}), ("enterprise-12", 8, {"E12": "leave", "E09": "cancel"})]],
}
# (team, site kind, index among that team's sites of the kind, checklist, days ago, findings)
TEAM_STORIES = [
    ("Team 1", SiteKind.building, 0, "fire-safety", 24, {"F07": "extend", "F03": "leave"}),
    ("Yinxing Team 1", SiteKind.building, 0, "fire-safety", 20, {"F01": "close"}),
    (
        "Yinxing Team 1",
        SiteKind.enterprise,
        2,
        "enterprise-12",
        9,
        {"E03": "leave", "E07": "leave"},
    ),
    ("Yinxing Team 1", SiteKind.building, 1, "fire-safety", 3, {}),
]


@dataclass
class Plan:
    site: Site
    template: str
    ago: int  # days before today
    findings: dict[str, str]  # failed item code -> what happened next
    visit_ago: int = 0  # the follow-up visit, when some item was verified
    round_id: int | None = None  # the campaign round it was started from (demo_campaigns)


def make_plans(*, session: Session, rng: random.Random) -> list[Plan]:
    """Every inspection of the history, oldest first: the stories, then the teams' rounds."""
    plans: list[Plan] = []
    owned = session.exec(
        select(User.username, SiteOwner.site_id).join(User).order_by(SiteOwner.site_id)
    ).all()
    for username, stories in OWNER_STORIES.items():
        sites: Sequence[Site] = [
            session.get_one(Site, site_id) for name, site_id in owned if name == username
        ]
        for site, story in zip(sites, stories, strict=True):
            plans += [Plan(site, t, ago, findings) for t, ago, findings in story]
    teams = {t.name_en: t for t in session.exec(select(Team))}
    for team_name, kind, index, template, ago, findings in TEAM_STORIES:
        sites = session.exec(
            select(Site)
            .where(Site.team_id == teams[team_name].id, Site.kind == kind)
            .order_by(Site.id)
        ).all()
        plans.append(Plan(sites[index], template, ago, findings))
    wutong = session.exec(select(Subdistrict).where(Subdistrict.code == "wutong")).one()
    periods = fix_periods(session)
    skip = {site_id for _name, site_id in owned}
    for team in session.exec(
        select(Team).where(Team.subdistrict_id == wutong.id).order_by(Team.id)
    ):
        sites = session.exec(select(Site).where(Site.team_id == team.id).order_by(Site.id)).all()
        plans += _round(rng, [s for s in sites if s.id not in skip], periods)
    return sorted(plans, key=lambda p: (-p.ago, p.site.id))


def fix_periods(session: Session) -> dict[tuple[str, str], int]:
    """(checklist, item) -> days to put it right, in the published versions."""
    rows = session.exec(
        select(ChecklistTemplate.code, TemplateItem.code, TemplateItem.period_days)
        .join(TemplateVersion, TemplateVersion.id == TemplateItem.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .where(TemplateVersion.status == VersionStatus.published)
    )
    return {(template, item): days for template, item, days in rows}


def _round(rng: random.Random, sites: list[Site], periods: dict) -> list[Plan]:
    """A team's everyday round: buildings, compounds, some tenants and shops, some twice; a
    third of the visits in the last week."""
    by_kind = {k: [s for s in sites if s.kind == k] for k in SiteKind}
    pool = by_kind[SiteKind.building] + by_kind[SiteKind.compound]
    pool += rng.sample(by_kind[SiteKind.enterprise], 5)
    pool += rng.sample(by_kind[SiteKind.shop], min(2, len(by_kind[SiteKind.shop])))
    out = []
    for _n in range(rng.randint(5, 8)):
        site = rng.choice(pool)
        business = site.kind in (SiteKind.enterprise, SiteKind.shop)
        template = "enterprise-12" if business and rng.random() < 0.7 else "fire-safety"
        ago = rng.randint(1, 7) if rng.random() < 0.35 else rng.randint(8, DAYS)
        plan = Plan(site, template, ago, {})
        if rng.random() < 0.45:
            plan.findings = pick_findings(rng, plan, periods)
        out.append(plan)
    return out


def pick_findings(rng: random.Random, plan: Plan, periods: dict) -> dict[str, str]:
    """One to three failed items; verified on a follow-up visit, more likely the longer ago."""
    codes = [c for c in COMMON if c[0] == ("F" if plan.template == "fire-safety" else "E")]
    picked = set(rng.choices(codes, [COMMON[c] for c in codes], k=rng.choice((1, 1, 1, 2, 2, 3))))
    since = plan.ago - max(periods[(plan.template, c)] for c in picked)  # days past due
    if since < 1 or rng.random() > (0.9 if since > 20 else 0.65):
        return dict.fromkeys(sorted(picked), "leave")
    return {c: "close" if rng.random() < 0.8 else "reject" for c in sorted(picked)}
