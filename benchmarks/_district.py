"""The district-scale world for benchmarks: places, people, a year of inspections and the
rectification items they raised, each with its events and photos. Rows are tuples written
through `_bulk.BulkWriter` in parent-before-child order (PostgreSQL may check foreign keys).

Deterministic for a seed and a day. Time runs over the `days` before `now`; an item's fate
depends on its age: most are fixed (closed) within days to weeks, a few are cancelled, and a
stubborn share is never dealt with, so the overdue board shows items late by days to months."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from _campaign import Campaign
from sqlmodel import SQLModel

from inspect_app.demo import (
    BRANDS,
    BUILDING_TYPES,
    GIVEN,
    INDUSTRIES,
    NAME_WORDS,
    STREETS,
    SURNAMES,
)
from inspect_app.sites.credit_code import ALPHABET, check_char

T = SQLModel.metadata.tables
FAILURES = (0.38, 0.20, 0.15, 0.11, 0.10, 0.06)  # P(k failed items in an inspection), mean ~1.5
STUCK = 0.04  # share of items nobody deals with (overdue by weeks to months)
MEAN_FIX_DAYS = 10.0
NOTES = ("现场检查发现", "需补充记录", "已口头告知负责人", "Found on site", "Log missing")


@dataclass(frozen=True)
class Scale:
    """Row targets at a scale factor (1.0 = a city district: 2,000 buildings, 50,000 enterprises,
    100 teams, 200,000 inspections, ~300,000 rectification items)."""

    factor: float = 1.0
    one_subdistrict: bool = False  # every site in one: a campaign round over all of them

    def n(self, base: int, least: int = 1) -> int:
        return max(least, round(base * self.factor))

    @property
    def subdistricts(self) -> int:
        return 1 if self.one_subdistrict else self.n(10)

    @property
    def teams(self) -> int:
        return max(self.subdistricts, self.n(100))

    @property
    def buildings(self) -> int:
        return max(self.teams, self.n(2_000))

    @property
    def enterprises(self) -> int:
        return self.n(50_000)

    @property
    def inspections(self) -> int:
        return self.n(200_000)


@dataclass
class Item:
    code: str
    severity: str
    period: int


@dataclass
class Template:
    version_id: int
    code: str
    items: list[Item]
    weights: list[float] = field(default_factory=list)
    template_id: int = 0


@dataclass
class SiteRec:
    id: int
    subdistrict: int
    team_id: int
    kind: str
    owner_id: int | None = None


class Ids:
    """Next id per table; ids are chosen here so children can point at parents without reads."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


class World:
    """Generates every row; `write` is a BulkWriter, `flush_every` bounds memory."""

    def __init__(self, *, writer, scale: Scale, seed: int, password_hash: str, now: datetime,
                 time_zone: str, templates: dict[str, Template], blobs: list[str],
                 days: int = 365) -> None:  # fmt: skip
        self.w, self.scale, self.rng = writer, scale, random.Random(seed)  # noqa: S311 (test data)
        self.password_hash, self.now, self.days = password_hash, now, days
        self.tz = ZoneInfo(time_zone)
        self.today = now.astimezone(self.tz).date()
        self.templates, self.blobs = templates, blobs
        self.ids = Ids()
        self.buffers: dict[str, list[tuple]] = {}
        self.team_inspectors: dict[int, list[int]] = {}
        self.supervisors: dict[int, int] = {}
        self.sites: list[SiteRec] = []
        for t in templates.values():
            t.weights = [self.rng.uniform(0.3, 2.0) for _ in t.items]
        self.stats: dict[str, int] = {}
        self.campaign: Campaign | None = None

    # --- buffered writing ----------------------------------------------------------------

    ORDER = ("inspection", "answer", "rectification", "rectification_event", "photo")
    COLUMNS = {
        "inspection": ("id", "uuid", "site_id", "version_id", "inspector_id", "status",
                       "started_at", "submitted_at", "latitude", "longitude", "accuracy_m",
                       "created_at", "updated_at", "round_id"),
        "answer": ("id", "inspection_id", "item_code", "result", "note", "deadline", "updated_at"),
        "rectification": ("id", "inspection_id", "answer_id", "site_id", "item_code", "severity",
                          "deadline", "status", "created_at", "updated_at", "resolved_at"),
        "rectification_event": ("id", "rectification_id", "kind", "actor_id", "at",
                                "from_status", "to_status", "note", "old_deadline",
                                "new_deadline", "visit_id", "request_id"),
        "photo": ("id", "uuid", "sha256", "inspection_id", "item_code", "rectification_id",
                  "event_id", "uploaded_by", "created_at"),
    }  # fmt: skip

    def add(self, table: str, row: tuple) -> None:
        self.buffers.setdefault(table, []).append(row)

    def flush(self) -> None:
        for name in self.ORDER:
            rows = self.buffers.pop(name, [])
            self.w.write(T[name], self.COLUMNS[name], rows)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- people and places ---------------------------------------------------------------

    def people_and_places(self) -> None:
        s = self.scale
        rng = self.rng
        subdistricts = [
            (k, f"district{k}", f"第{k}街道", f"Subdistrict {k}")
            for k in range(1, s.subdistricts + 1)
        ]
        self.w.write(T["subdistrict"], ("id", "code", "name_zh", "name_en"), subdistricts)
        users: list[tuple] = []

        def user(name: str, role: str, sub: int | None, city_wide: bool = False) -> int:
            uid = self.ids("user")
            display = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            phone = "13" + f"{rng.randrange(10**9):09d}"
            users.append((uid, name, self.password_hash, display, role, sub, city_wide, True,
                          phone, self.now))  # fmt: skip
            return uid

        user("cityadmin", "admin", 1, city_wide=True)
        user("citysupervisor", "supervisor", 1, city_wide=True)
        for k, *_ in subdistricts:
            user(f"admin{k}", "admin", k)
            self.supervisors[k] = user(f"supervisor{k}", "supervisor", k)
        teams, members = [], []
        team_sub: dict[int, int] = {}
        for n in range(1, s.teams + 1):
            k = (n - 1) % s.subdistricts + 1
            teams.append((n, k, f"第{n}工作小组", f"Team {n}", True))
            team_sub[n] = k
            self.team_inspectors[n] = []
            for j in range(2):
                uid = user(f"inspector{2 * n - 1 + j}", "inspector", k)
                self.team_inspectors[n].append(uid)
                members.append((n, uid))
        sites, owners = [], []
        counts = _spread(s.enterprises, s.buildings, rng)
        owner_uid = None
        codes = 0
        for b in range(s.buildings):
            team = b % s.teams + 1
            k = team_sub[team]
            brand, kind, street = BRANDS[b % 12], BUILDING_TYPES[b // 12 % 3], STREETS[b % 6]
            phase = b // 36 + 1
            lat, lon = 31.2295 + rng.uniform(-0.05, 0.05), 121.456 + rng.uniform(-0.06, 0.06)
            bid = self.ids("site")
            address = f"{street[0]}{100 + b % 900}号"
            sites.append(self._site(bid, k, "building", f"{brand[0]}{kind[0]}{phase}期",
                                    f"{brand[1]} {kind[1]} {phase}", address, lat, lon, None,
                                    team, None))  # fmt: skip
            self.sites.append(SiteRec(bid, k, team, "building"))
            for floor in range(counts[b]):
                (w1, e1), (w2, e2) = rng.choice(NAME_WORDS), rng.choice(NAME_WORDS)
                ind_zh, ind_en = rng.choice(INDUSTRIES)
                codes += 1
                eid = self.ids("site")
                room = f"{address} {floor // 4 + 2}{floor % 4 + 1:02d}室"
                sites.append(self._site(eid, k, "enterprise", f"上海{w1}{w2}{ind_zh}有限公司",
                                        f"Shanghai {e1}{e2.lower()} {ind_en} Co., Ltd.", room,
                                        lat, lon, bid, team, _credit_code(codes, k)))  # fmt: skip
                if owner_uid is None or rng.random() < 0.92:
                    owner_uid = user(f"owner{self.stats.get('owners', 0) + 1}", "owner", k)
                    self.stats["owners"] = self.stats.get("owners", 0) + 1
                owners.append((eid, owner_uid))
                self.sites.append(SiteRec(eid, k, team, "enterprise", owner_uid))
        self.w.write(T["user"], ("id", "username", "password_hash", "display_name", "role",
                                 "subdistrict_id", "city_wide", "active", "phone", "created_at"),
                     users)  # fmt: skip
        self.w.write(T["team"], ("id", "subdistrict_id", "name_zh", "name_en", "active"), teams)
        self.w.write(T["team_member"], ("team_id", "user_id"), members)
        self.w.write(T["site"], SITE_COLUMNS, sites)
        self.w.write(T["site_owner"], ("site_id", "user_id"), owners)

    def _site(self, sid, sub, kind, zh, en, address, lat, lon, parent, team, code) -> tuple:
        person = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        phone = "13" + f"{self.rng.randrange(10**9):09d}"
        return (sid, sub, kind, zh, en, address, round(lat, 6), round(lon, 6), parent, team,
                person, phone, code, True, self.now, self.now)  # fmt: skip

    # --- a year of inspections -----------------------------------------------------------

    def plan_campaign(self) -> None:
        """The campaign over subdistrict 1 (`_campaign`): its rounds, before the inspections."""
        self.campaign = Campaign(self)
        self.campaign.plan()

    def inspections(self) -> None:
        rng = self.rng
        buildings = [s for s in self.sites if s.kind == "building"]
        enterprises = [s for s in self.sites if s.kind == "enterprise"]
        plan: list[tuple[datetime, SiteRec, bool, int | None]] = []
        for _ in range(self.scale.inspections):
            fire = rng.random() < 0.10
            site = rng.choice(buildings if fire else enterprises)
            plan.append((self._work_time(rng.randrange(self.days)), site, fire, None))
        if self.campaign is not None:
            plan += self.campaign.visits()
        plan.sort(key=lambda p: p[0])
        for n, (started, site, fire, round_id) in enumerate(plan, start=1):
            template = self.templates["fire-safety" if fire else "enterprise-12"]
            self._inspection(started, site, template, round_id)
            if n % 5_000 == 0:
                self.flush()
        self.flush()
        if self.campaign is not None:
            self.campaign.write()

    def _work_time(self, days_ago: int) -> datetime:
        day = self.today - timedelta(days=days_ago)
        minutes = self.rng.randrange(9 * 60, 17 * 60 + 30)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)
        at = local.astimezone(UTC) + timedelta(seconds=self.rng.randrange(60))
        return at if at < self.now - timedelta(minutes=45) else at - timedelta(days=1)

    def _inspection(
        self, started: datetime, site: SiteRec, tpl: Template, round_id: int | None = None
    ) -> None:
        rng = self.rng
        iid = self.ids("inspection")
        inspector = rng.choice(self.team_inspectors[site.team_id])
        draft = (self.now - started) < timedelta(days=2) and rng.random() < 0.05
        submitted = None if draft else started + timedelta(minutes=rng.randrange(8, 40))
        touched = submitted or started + timedelta(minutes=5)
        self.add("inspection", (iid, self.uuid(), site.id, tpl.version_id, inspector,
                                "draft" if draft else "submitted", started, submitted,
                                None, None, None, started, touched, round_id))  # fmt: skip
        failing = self._failing(tpl)
        if self.campaign is not None:
            self.campaign.saw(iid, site, tpl, submitted, bool(failing))
        created_day = touched.astimezone(self.tz).date()
        items = tpl.items[: rng.randrange(3, len(tpl.items))] if draft else tpl.items
        for pos, item in enumerate(items):
            aid = self.ids("answer")
            if pos in failing:
                deadline = created_day + timedelta(days=item.period)
                self.add(
                    "answer", (aid, iid, item.code, "fail", rng.choice(NOTES), deadline, touched)
                )
                self.add("photo", (self.ids("photo"), self.uuid(), rng.choice(self.blobs), iid,
                                   item.code, None, None, inspector, touched))  # fmt: skip
                if not draft:
                    self._rectification(iid, aid, site, item, deadline, touched, inspector)
            else:
                result = "pass" if rng.random() < 0.92 else "na"
                self.add("answer", (aid, iid, item.code, result, "", None, touched))

    def _failing(self, tpl: Template) -> set[int]:
        k = self.rng.choices(range(len(FAILURES)), FAILURES)[0]
        keys = sorted(((self.rng.random() ** (1 / w), i) for i, w in enumerate(tpl.weights)),
                      reverse=True)  # fmt: skip
        return {i for _key, i in keys[:k]}

    # --- rectification items and their history -------------------------------------------

    def _rectification(self, iid, aid, site: SiteRec, item: Item, deadline: date,
                       created: datetime, inspector: int) -> None:  # fmt: skip
        rng = self.rng
        rid = self.ids("rectification")
        events: list[tuple] = []  # (kind, actor, at, from, to, note, old, new, photo_by)
        status, current = "open", deadline
        stuck = rng.random() < STUCK
        fix_after = None if stuck else timedelta(days=rng.expovariate(1 / MEAN_FIX_DAYS))
        resolved = created + fix_after if fix_after and created + fix_after < self.now else None
        end = resolved or self.now
        span = (end - created).total_seconds()

        def at(fraction: float) -> datetime:
            return created + timedelta(seconds=span * fraction)

        events.append(("created", inspector, created, None, "open", "", None, deadline, None))
        if rng.random() < 0.12 and span > 86_400:  # a supervisor extends the deadline
            new = current + timedelta(days=rng.randrange(7, 31))
            events.append(("extended", self.supervisors[site.subdistrict], at(0.2), status,
                            status, "企业申请延期", current, new, None))  # fmt: skip
            current = new
        owner = site.owner_id or inspector
        if rng.random() < 0.12 and span > 3 * 86_400:  # a fix that did not hold
            events.append(("fix_reported", owner, at(0.35), "open", "fix_reported", "已整改",
                           current, None, owner))  # fmt: skip
            new = max(current, (at(0.5)).astimezone(self.tz).date() + timedelta(days=3))
            events.append(("verified_not_fixed", inspector, at(0.5), "fix_reported", "open",
                           "复查未整改到位", current, new, None))  # fmt: skip
            current = new
        if resolved is not None and rng.random() < 0.05:
            events.append(("cancelled", self.supervisors[site.subdistrict], resolved, "open",
                           "cancelled", "误报", current, None, None))  # fmt: skip
            status = "cancelled"
        elif resolved is not None:
            if rng.random() < 0.8:
                events.append(("fix_reported", owner, at(0.7), "open", "fix_reported", "已整改",
                               current, None, owner))  # fmt: skip
                status = "fix_reported"
            events.append(("verified_closed", inspector, resolved, status, "closed", "",
                           current, None, inspector))  # fmt: skip
            status = "closed"
        elif rng.random() < 0.25:
            events.append(("fix_reported", owner, at(0.8), "open", "fix_reported", "已整改",
                           current, None, owner))  # fmt: skip
            status = "fix_reported"
        last = events[-1][2]
        self.add("rectification", (rid, iid, aid, site.id, item.code, item.severity, current,
                                   status, created, last, resolved))  # fmt: skip
        for kind, actor, when, old_status, to, note, old, new, photo_by in events:
            eid = self.ids("rectification_event")
            self.add("rectification_event", (eid, rid, kind, actor, when, old_status, to, note,
                                              old, new, None, None))  # fmt: skip
            if photo_by is not None:
                self.add("photo", (self.ids("photo"), self.uuid(), self.rng.choice(self.blobs),
                                   None, item.code, rid, eid, photo_by, when))  # fmt: skip


SITE_COLUMNS = ("id", "subdistrict_id", "kind", "name_zh", "name_en", "address", "latitude",
                "longitude", "parent_id", "team_id", "contact_name", "contact_phone",
                "credit_code", "active", "created_at", "updated_at")  # fmt: skip


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split over `parts` unevenly (weights 0.4..1.6), summing exactly to `total`."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [math.floor(w * scale) for w in weights]
    for i in sorted(range(parts), key=lambda i: weights[i] * scale - counts[i], reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


def _credit_code(n: int, subdistrict: int) -> str:
    """A valid, unique unified social credit code for the n-th enterprise."""
    digits = []
    for _ in range(9):
        n, r = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[r])
    body = f"913101{subdistrict % 100:02d}" + "".join(reversed(digits))
    return body + check_char(body)
