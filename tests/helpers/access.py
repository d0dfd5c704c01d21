"""The access matrix's world: a session and a bearer token per role, one client that calls as
any of them, and the objects each route is tried on, built through the API the way phones build
them. Objects that an allowed write uses up (a submitted draft, a cancelled item) are built
afresh for that one call."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from litestar.testing import TestClient
from sqlmodel import select

from inspect_app.auth import service as auth
from inspect_app.checklists import service as checklists
from inspect_app.links import service as links
from inspect_app.links import tokens as link_tokens
from inspect_app.models import (
    ApiToken,
    AuthSession,
    Channel,
    ChannelKind,
    Inspection,
    LockKind,
    LoginLock,
    Notice,
    Notification,
    Rectification,
    Role,
    Site,
    Subdistrict,
    Team,
    TeamMember,
    User,
)
from inspect_app.notifications.service import notify
from inspect_app.rectifications import recheck
from tests.helpers.app import csrf_token, office_today
from tests.helpers.data import jpeg

ANON = "anonymous"
# Every role the matrix signs in as; "teammate" is a second inspector of the object's team.
ROLES = (
    ANON,
    "owner1",
    "owner2",
    "inspector1",
    "teammate",
    "inspector2",
    "inspector12",
    "supervisor",
    "supervisor2",
    "admin",
)
BYSTANDER = "inspector5"  # owns the tokens and sessions nobody else may touch
AUTHOR = {"S1": "inspector1", "Y1": "inspector12"}  # who inspects each site
MISSING_ID = 999_999
MISSING_UUID = "00000000-0000-4000-8000-00000000dead"
FIRE = "fire-safety"
FIRE_CODES = [f"F{n:02d}" for n in range(1, 9)]


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Target:
    """One object a route is tried on. `audience` names who may see it (in the test's table);
    `params` fills the path: a function of the role for what each role has its own of (tokens,
    sessions) or what must be new on every call (ids of things to create)."""

    label: str
    params: dict | Callable[[str], dict]
    audience: str
    author: str | None = None  # the inspector who started an inspection (or visit)
    state: str = ""  # "draft", "submitted" or "new" for inspections and visits
    site_id: int | None = None  # the site a body names
    renew: Callable[[str], dict] | None = None

    def params_for(self, role: str) -> dict:
        return self.params(role) if callable(self.params) else self.params


NO_OBJECT = [Target("-", {}, "all")]


def fill(path: str, params: dict) -> str:
    """'/sites/{site_id:int}' with {'site_id': 3} -> '/sites/3'."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(params[m.group(1)]), path)


class Matrix:
    """Clients, tokens and objects for one test's database."""

    def __init__(self, client: TestClient, world) -> None:
        self.api, self.world = client, world
        self.s1 = world.owned_by("owner1")[0]
        self.y1 = world.site_named("银杏中心")
        self._check_demo_facts()
        self._add_teammate()
        # a session (as the login form makes one; the form is tested in test_auth) and a token
        self.sessions = {name: self.new_session(name) for name in (*ROLES[1:], BYSTANDER)}
        self.tokens = {name: self.new_token(name)[1] for name in (*ROLES[1:], BYSTANDER)}
        self.csrf = csrf_token(client)
        client.cookies.clear()
        self._targets: dict[str, list[Target]] = {}
        self._counter = 0

    # --- who asks -------------------------------------------------------------------------

    def _check_demo_facts(self) -> None:
        """The expectations rely on these facts of the demo data."""
        team_of = {u: self._team_ids(u) for u in ("inspector1", "inspector2", "inspector12")}
        assert team_of["inspector1"] == [self.s1.team_id]
        assert self.s1.team_id not in team_of["inspector2"]
        assert team_of["inspector12"] == [self.y1.team_id]
        assert self.s1.id not in {s.id for s in self.world.owned_by("owner2")}

    def _team_ids(self, username: str) -> list[int]:
        user = self.world.user(username)
        with self.world.session() as s:
            return list(s.exec(select(TeamMember.team_id).where(TeamMember.user_id == user.id)))

    def _add_teammate(self) -> None:
        inspector1 = self.world.user("inspector1")
        with self.world.db.session(write=True) as s:
            mate = User(
                username="teammate",
                password_hash="!",
                role=Role.inspector,
                subdistrict_id=inspector1.subdistrict_id,
            )
            s.add(mate)
            s.flush()
            s.add(TeamMember(team_id=self.s1.team_id, user_id=mate.id))

    def new_session(self, username: str) -> str:
        with self.world.db.session(write=True) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            return auth.create_session(session=s, user=user, ip="testclient", user_agent="matrix")

    def new_token(self, username: str) -> tuple[int, str]:
        with self.world.db.session(write=True) as s:
            user = s.exec(select(User).where(User.username == username)).one()
            token, raw = auth.create_api_token(
                session=s, settings=self.world.db.settings, user=user, name="matrix"
            )
            return token.id, raw

    def bearer(self, role: str) -> dict[str, str]:
        return {} if role == ANON else {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, role: str, method: str, path: str, body: dict, *, spare: bool = False):
        """One request as this role: the API with its bearer token, a page with its session
        cookie and the CSRF token (`spare`: from a second browser of the role, for calls that
        change who is signed in). One client with its own headers serves every role."""
        body = dict(body)
        fields = body.pop("fields", None)
        if path.startswith("/api/"):
            headers = self.bearer(role)
            if fields is not None:
                body["json"] = fields
        else:
            if fields is not None:
                body["data"] = {
                    k: ",".join(v) if isinstance(v, list) else v for k, v in fields.items()
                }
            sid = self.new_session(role) if spare and role != ANON else self.sessions.get(role)
            headers = {"Cookie": f"csrftoken={self.csrf}" + (f"; sid={sid}" if sid else "")}
            if path.startswith("/n/"):  # the matrix is not about the link's rate limits
                self.api.app.state.link_limits.forget()
            if method in ("POST", "PUT") and "files" in body:
                # An upload carries its token in the header: Litestar parses a multipart body
                # for the form's token before the guards run, and a guard's refusal then leaves
                # the upload open (see test_a_refused_upload_is_closed).
                headers["X-CSRFToken"] = self.csrf
            elif method == "POST":
                body["data"] = {**body.get("data", {}), "_csrf_token": self.csrf}
        try:
            return self.api.request(method, path, headers=headers, follow_redirects=False, **body)
        finally:
            self.api.cookies.clear()  # cookies a reply set must not ride along on the next call

    def unique(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    # --- building objects ---------------------------------------------------------------

    def site(self, key: str):
        return {"S1": self.s1, "Y1": self.y1}[key]

    def _put(self, role: str, path: str, **kwargs) -> dict:
        r = self.api.put(path, headers=self.bearer(role), **kwargs)
        assert r.status_code == 200, (path, r.text)
        return r.json()

    def _inspection(self, key: str, answers: list[dict], *, submit: bool) -> tuple[str, str]:
        """An inspection of site `key` by its inspector with a photo on F01."""
        author, insp, photo = AUTHOR[key], new_uuid(), new_uuid()
        body = {
            "site_id": self.site(key).id,
            "template_code": FIRE,
            "template_version": 1,
            "started_at": "2026-11-28T09:00:00+08:00",
            "answers": answers,
        }
        self._put(author, f"/api/v1/inspections/{insp}", json=body)
        self._put(
            author,
            f"/api/v1/inspections/{insp}/photos/{photo}",
            files={"file": ("f.jpg", io.BytesIO(jpeg()), "image/jpeg")},
            data={"item_code": "F01"},
        )
        if submit:
            self._put(author, f"/api/v1/inspections/{insp}", json={**body, "submit": True})
        return insp, photo

    def new_draft(self, key: str) -> tuple[str, str]:
        """A draft with every item answered (so it may be submitted) and one photo."""
        answers = [{"item_code": c, "result": "pass"} for c in FIRE_CODES]
        return self._inspection(key, answers, submit=False)

    def new_finding(self, key: str) -> tuple[str, str, int]:
        """A submitted inspection failing F01: (inspection uuid, finding photo, item id)."""
        deadline = (office_today() + timedelta(days=7)).isoformat()
        answers = [
            {"item_code": c, "result": "fail" if c == "F01" else "pass", "deadline": deadline}
            for c in FIRE_CODES
        ]
        insp, photo = self._inspection(key, answers, submit=True)
        with self.world.session() as s:
            item_id = s.exec(
                select(Rectification.id)
                .join(Inspection, Inspection.id == Rectification.inspection_id)
                .where(Inspection.uuid == insp)
            ).one()
        return insp, photo, item_id

    def upload_evidence(self, role: str, item_id: int) -> str:
        """A photo of the fix (owner) or an 'after' photo (inspector) for an item."""
        photo = new_uuid()
        self._put(
            role,
            f"/api/v1/rectifications/{item_id}/photos/{photo}",
            files={"file": ("fix.jpg", io.BytesIO(jpeg((30, 160, 60))), "image/jpeg")},
        )
        return photo

    def new_visit(self, key: str) -> str:
        r = self.call(AUTHOR[key], "POST", "/visits/new", {"data": {"site_id": self.site(key).id}})
        assert r.status_code == 303, r.text
        return r.headers["location"].rsplit("/", 1)[1]

    @cached_property
    def _drafts(self) -> dict[str, tuple[str, str]]:
        return {key: self.new_draft(key) for key in AUTHOR}

    @cached_property
    def _findings(self) -> dict[str, tuple[str, str, int]]:
        return {key: self.new_finding(key) for key in AUTHOR}

    @cached_property
    def _visits(self) -> dict[str, str]:
        return {key: self.new_visit(key) for key in AUTHOR}

    @cached_property
    def _fix_photo(self) -> str:
        """owner1's photo of a fix, on the S1 finding."""
        return self.upload_evidence("owner1", self._findings["S1"][2])

    @cached_property
    def _city_wide_user(self) -> int:
        """A city-wide supervisor: no subdistrict admin may manage it."""
        with self.world.db.session(write=True) as s:
            user = User(
                username="citywide", password_hash="!", role=Role.supervisor, city_wide=True
            )
            s.add(user)
            s.flush()
            return user.id

    def _id_of(self, model, *where) -> int:
        with self.world.session() as s:
            return s.exec(select(model.id).where(*where)).one()

    def subdistrict_id(self, code: str) -> int:
        return self._id_of(Subdistrict, Subdistrict.code == code)

    def user_id(self, username: str) -> int:
        return self._id_of(User, User.username == username)

    def team_id(self, name_en: str) -> int:
        return self._id_of(Team, Team.name_en == name_en)

    def draft_item(self, code: str) -> int:
        """The first item of the checklist's draft (the admin starts one when there is none)."""
        r = self.call("admin", "POST", f"/admin/checklists/{code}/draft", {})
        assert r.status_code == 303, r.text
        with self.world.session() as s:
            return checklists.draft(session=s, code=code).items[0].id

    def _spare(self, role: str, kind: str) -> dict:
        """Another session or token of this role, so revoking it keeps the one in use."""
        name = BYSTANDER if role == ANON else role
        if kind == "token_id":
            return {kind: self.new_token(name)[0]}
        digest = auth.token_digest(self.new_session(name))
        return {kind: self._id_of(AuthSession, AuthSession.token_hash == digest)}

    def _bystanders(self, model) -> int:
        with self.world.session() as s:
            return s.exec(select(model.id).where(model.user_id == self.user_id(BYSTANDER))).first()

    # --- the objects each route is tried on (audiences are named in the test's table) -----

    def targets(self, name: str | None) -> list[Target]:
        """The named objects, built on first use and kept for the rest of the test."""
        if name is None:
            return NO_OBJECT
        if name not in self._targets:
            self._targets[name] = getattr(self, f"t_{name}")()
        return self._targets[name]

    def t_sites(self) -> list[Target]:
        return [
            Target("S1 site", {"site_id": self.s1.id}, "S1", site_id=self.s1.id),
            Target("Y1 site", {"site_id": self.y1.id}, "Y1", site_id=self.y1.id),
            Target("missing site", {"site_id": MISSING_ID}, "nobody", site_id=MISSING_ID),
        ]

    def t_messages(self) -> list[Target]:
        """A message in inspector1's inbox: opening it answers everyone alike (their own inbox
        for all but its reader), so the audience is all; tests/test_notifications.py checks
        that only its reader marks it read."""
        with self.world.db.session(write=True) as s:
            notify(session=s, user_id=self.user_id("inspector1"), kind="test", key="matrix",
                   params={"sender": "matrix"}, link="/sites")  # fmt: skip
        with self.world.session() as s:
            found = s.exec(select(Notification.id).where(Notification.key == "matrix")).one()
        return [
            Target("a message", {"notification_id": found}, "all"),
            Target("missing message", {"notification_id": MISSING_ID}, "all"),
        ]

    def t_subdistricts(self) -> list[Target]:
        """Where a new site, account or team goes: the admin's own subdistrict, or the other."""
        return [
            Target("Wutong", {"sub": self.subdistrict_id("wutong")}, "wutong office"),
            Target("Yinxing", {"sub": self.subdistrict_id("yinxing")}, "nobody"),
        ]

    def _renew_draft(self, key: str) -> Callable[[str], dict]:
        def renew(_role: str) -> dict:
            insp, photo = self.new_draft(key)
            return {"uuid": insp, "photo_uuid": photo}

        return renew

    def t_inspections(self) -> list[Target]:
        out = []
        for key, author in AUTHOR.items():
            site_id = self.site(key).id
            out += [
                Target(
                    f"{key} draft",
                    {"uuid": self._drafts[key][0]},
                    f"{key} draft",
                    author,
                    "draft",
                    site_id,
                    self._renew_draft(key),
                ),
                Target(
                    f"{key} submitted",
                    {"uuid": self._findings[key][0]},
                    key,
                    author,
                    "submitted",
                    site_id,
                ),
            ]
        return [*out, Target("missing inspection", {"uuid": MISSING_UUID}, "nobody")]

    def t_signature_puts(self) -> list[Target]:
        """A new signature id on each inspection; a submitted one (with its notice) is made
        afresh for each allowed call, as the business signs a notice once."""
        out = []
        for t in self.targets("inspections"):
            t = with_params(t, sig_uuid=lambda _r: new_uuid())
            if t.state == "submitted":
                key = t.label.split()[0]
                t = replace(
                    t,
                    renew=lambda _r, key=key: {
                        "uuid": self.new_finding(key)[0],
                        "sig_uuid": new_uuid(),
                    },
                )
            out.append(t)
        return out

    def t_inspection_items(self) -> list[Target]:
        return [with_params(t, item_code="F01") for t in self.targets("inspections")]

    def t_new_finding_photos(self) -> list[Target]:
        """An inspection and a photo id not used yet."""
        return [
            with_params(t, photo_uuid=lambda _r: new_uuid()) for t in self.targets("inspections")
        ]

    def new_at_sites(self) -> list[Target]:
        """A fresh client id at each site (a record the phone made and sends for the first time)."""
        return [
            Target(
                f"new at {t.label}",
                lambda _r: {"uuid": new_uuid()},
                t.audience,
                None,
                "new",
                t.site_id,
            )
            for t in self.targets("sites")
        ]

    def t_inspection_puts(self) -> list[Target]:
        """A fresh id naming a site (a new inspection), and the existing inspections."""
        new = self.new_at_sites()
        return new + self.targets("inspections")[:-1]

    def t_photos(self) -> list[Target]:
        """Each kind of photo, in the sizes that differ in who may have them."""
        kinds = [
            ("S1 draft photo", self._drafts["S1"][1], "S1 draft"),
            ("S1 finding photo", self._findings["S1"][1], "S1"),
            ("S1 fix photo", self._fix_photo, "S1"),
            ("Y1 finding photo", self._findings["Y1"][1], "Y1"),
            ("missing photo", MISSING_UUID, "nobody"),
        ]
        out = [
            Target(f"{label} {size}", {"uuid": photo, "size": size}, audience)
            for label, photo, audience in kinds
            for size in ("thumb", "original")
        ]
        huge = Target("S1 finding photo huge", {"uuid": kinds[1][1], "size": "huge"}, "S1")
        return [*out, huge]

    def t_inspection_photos(self) -> list[Target]:
        """Photos on inspections (to delete); the author deletes one of a fresh draft."""
        out = []
        for key, author in AUTHOR.items():
            draft, photo = self._drafts[key]
            done, found = self._findings[key][:2]
            out += [
                Target(
                    f"{key} draft photo",
                    {"uuid": draft, "photo_uuid": photo},
                    f"{key} draft",
                    author,
                    "draft",
                    renew=self._renew_draft(key),
                ),
                Target(
                    f"{key} finding photo",
                    {"uuid": done, "photo_uuid": found},
                    key,
                    author,
                    "submitted",
                ),
            ]
        draft = self._drafts["S1"][0]
        elsewhere = {"uuid": draft, "photo_uuid": self._findings["Y1"][1]}
        out.append(Target("Y1 photo on S1 draft", elsewhere, "S1 draft", "inspector1", "missing"))
        missing = {"uuid": draft, "photo_uuid": MISSING_UUID}
        missing = Target("no such photo on S1 draft", missing, "S1 draft", "inspector1", "missing")
        return [*out, missing]

    def t_items(self) -> list[Target]:
        out = []
        for key, author in AUTHOR.items():
            out.append(
                Target(
                    f"{key} item",
                    {"item_id": self._findings[key][2]},
                    key,
                    author,
                    "open",
                    renew=lambda _r, key=key: {"item_id": self.new_finding(key)[2]},
                )
            )
        return [*out, Target("missing item", {"item_id": MISSING_ID}, "nobody")]

    def t_new_item_photos(self) -> list[Target]:
        return [with_params(t, photo_uuid=lambda _r: new_uuid()) for t in self.targets("items")]

    def t_visits(self) -> list[Target]:
        out = [
            Target(
                f"{key} visit", {"uuid": self._visits[key]}, key, author, site_id=self.site(key).id
            )
            for key, author in AUTHOR.items()
        ]
        return [*out, Target("missing visit", {"uuid": MISSING_UUID}, "nobody")]

    def t_visit_puts(self) -> list[Target]:
        """A fresh visit id naming a site, and inspector1's visit to S1 sent again."""
        new = self.new_at_sites()
        return [*new, self.targets("visits")[0]]

    # --- campaigns: one running round in each subdistrict, over all its sites -------------

    def new_campaign(self, key: str) -> dict:
        """A one-off fire-safety campaign over every site of S1's or Y1's subdistrict, running
        today, planned by that subdistrict's supervisor; returns the API's campaign."""
        planner = {"S1": "supervisor", "Y1": "supervisor2"}[key]
        body = {
            "name_zh": self.unique("矩阵行动"),
            "template_code": FIRE,
            "scope": "all",
            "starts_on": str(office_today() - timedelta(days=1)),
            "ends_on": str(office_today() + timedelta(days=5)),
        }
        r = self.api.post("/api/v1/campaigns", headers=self.bearer(planner), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    @cached_property
    def _campaigns(self) -> dict[str, dict]:
        return {key: self.new_campaign(key) for key in AUTHOR}

    def notice_of(self, inspection_uuid: str) -> int:
        with self.world.session() as s:
            return s.exec(
                select(Notice.id)
                .join(Inspection, Inspection.id == Notice.inspection_id)
                .where(Inspection.uuid == inspection_uuid)
            ).one()

    def t_notices(self) -> list[Target]:
        """The notice of each submitted finding, as JSON and as PDF (`12`, `12.pdf`)."""
        out = []
        for key in AUTHOR:
            notice_id = self.notice_of(self._findings[key][0])
            out += [
                Target(f"{key} notice", {"ref": str(notice_id)}, key),
                Target(f"{key} notice PDF", {"ref": f"{notice_id}.pdf"}, key),
            ]
        missing = [Target(f"missing notice {r}", {"ref": r}, "nobody") for r in ("999999", "x.pdf")]
        return [*out, *missing]

    def t_notice_ids(self) -> list[Target]:
        """Notices to correct: a correction replaces one, so each allowed call gets a new one."""
        out = [
            Target(
                f"{key} notice",
                {"notice_id": self.notice_of(self._findings[key][0])},
                key,
                renew=lambda _r, key=key: {"notice_id": self.notice_of(self.new_finding(key)[0])},
            )
            for key in AUTHOR
        ]
        return [*out, Target("missing notice", {"notice_id": MISSING_ID}, "nobody")]

    def t_campaigns(self) -> list[Target]:
        out = [
            Target(
                f"{key} campaign",
                {"campaign_id": self._campaigns[key]["id"]},
                f"{key} office",
                site_id=self.site(key).id,
                renew=lambda _r, key=key: {"campaign_id": self.new_campaign(key)["id"]},
            )
            for key in AUTHOR
        ]
        return [*out, Target("missing campaign", {"campaign_id": MISSING_ID}, "nobody")]

    def t_rounds(self) -> list[Target]:
        """The running round of each campaign; `site_id` names the site a body is about."""
        out = [
            Target(
                f"{key} round",
                {"round_id": self._campaigns[key]["current_round"]["id"]},
                f"{key} office",
                site_id=self.site(key).id,
            )
            for key in AUTHOR
        ]
        return [*out, Target("missing round", {"round_id": MISSING_ID}, "nobody", site_id=1)]

    def t_round_outcomes(self) -> list[Target]:
        """A new outcome (or site photo) at S1 / Y1 in its subdistrict's round: the site's
        audience may record it (owners excepted, by role)."""
        return [
            replace(
                t,
                params=lambda _r, t=t: {
                    **t.params_for(""),
                    "site_id": t.site_id,
                    "uuid": new_uuid(),
                    "photo_uuid": new_uuid(),
                },
                audience=t.label.split()[0] if t.label != "missing round" else "nobody",
            )
            for t in self.targets("rounds")
        ]

    def team_of_site(self, site_id: int) -> int:
        with self.world.session() as s:
            return s.get_one(Site, site_id).team_id

    def t_users(self) -> list[Target]:
        return [
            Target("Wutong account", {"user_id": self.user_id(BYSTANDER)}, "wutong office"),
            Target("Yinxing account", {"user_id": self.user_id("inspector12")}, "nobody"),
            Target("city-wide account", {"user_id": self._city_wide_user}, "nobody"),
            Target("missing account", {"user_id": MISSING_ID}, "nobody"),
        ]

    def new_lock(self, username: str) -> int:
        """A current sign-in lock (of one address) on this account."""
        with self.world.db.session(write=True) as s:
            lock = LoginLock(
                kind=LockKind.address,
                username=username,
                key=self.unique("10.0.0."),
                failures=20,
                locked_until=datetime.now(UTC) + timedelta(hours=1),
            )
            s.add(lock)
            s.flush()
            return lock.id

    def t_login_locks(self) -> list[Target]:
        def renew(_role: str) -> dict:
            return {"lock_id": self.new_lock(BYSTANDER)}

        return [
            Target("Wutong lock", renew(""), "wutong office", renew=renew),
            Target("Yinxing lock", {"lock_id": self.new_lock("inspector12")}, "nobody"),
            Target("missing lock", {"lock_id": MISSING_ID}, "nobody"),
        ]

    def t_teams(self) -> list[Target]:
        return [
            Target("Wutong team", {"team_id": self.team_id("Team 5")}, "wutong office"),
            Target("Yinxing team", {"team_id": self.team_id("Yinxing Team 1")}, "nobody"),
            Target("missing team", {"team_id": MISSING_ID}, "nobody"),
        ]

    def new_channel(self, code: str) -> int:
        with self.world.db.session(write=True) as s:
            channel = Channel(
                subdistrict_id=self.subdistrict_id(code),
                kind=ChannelKind.wecom,
                name=self.unique("矩阵群"),
                url="http://127.0.0.1:9/send?key=matrix",
                created_by=self.user_id("admin"),
            )
            s.add(channel)
            s.flush()
            return channel.id

    def t_channels(self) -> list[Target]:
        return [
            Target("Wutong channel", {"channel_id": self.new_channel("wutong")}, "wutong office"),
            Target("Yinxing channel", {"channel_id": self.new_channel("yinxing")}, "nobody"),
            Target("missing channel", {"channel_id": MISSING_ID}, "nobody"),
        ]

    def t_team_members(self) -> list[Target]:
        return [
            with_params(t, user_id=self.user_id(member))
            for t, member in zip(
                self.targets("teams"), (BYSTANDER, "inspector12", BYSTANDER), strict=True
            )
        ]

    def t_checklists(self) -> list[Target]:
        """A checklist (with a draft started for an allowed call) and a code that is none."""

        def renew(_role: str) -> dict:
            self.draft_item(FIRE)
            return {"code": FIRE}

        return [
            Target(FIRE, {"code": FIRE}, "all", renew=renew),
            Target("missing checklist", {"code": "no-such-list"}, "nobody"),
        ]

    def t_checklist_items(self) -> list[Target]:
        """Items of the fire-safety draft: its own, another checklist's, one that is none."""
        own = self.draft_item(FIRE)
        return [
            Target(
                "fire-safety draft item",
                {"code": FIRE, "item_id": own},
                "all",
                renew=lambda _r: {"code": FIRE, "item_id": self.draft_item(FIRE)},
            ),
            Target(
                "enterprise-12 draft item",
                {"code": FIRE, "item_id": self.draft_item("enterprise-12")},
                "nobody",
            ),
            Target("missing item", {"code": FIRE, "item_id": MISSING_ID}, "nobody"),
            Target(
                "item of a missing checklist", {"code": "no-such-list", "item_id": own}, "nobody"
            ),
        ]

    def t_sessions(self) -> list[Target]:
        return [
            Target("own session", lambda role: self._spare(role, "session_id"), "own"),
            Target("another's session", {"session_id": self._bystanders(AuthSession)}, "nobody"),
            Target("missing session", {"session_id": MISSING_ID}, "nobody"),
        ]

    def t_tokens(self) -> list[Target]:
        return [
            Target("own token", lambda role: self._spare(role, "token_id"), "own"),
            Target("another's token", {"token_id": self._bystanders(ApiToken)}, "nobody"),
            Target("missing token", {"token_id": MISSING_ID}, "nobody"),
        ]

    def t_static_files(self) -> list[Target]:
        return [
            Target("app.css", {"file_path": "css/app.css"}, "public"),
            Target("missing file", {"file_path": "css/none.css"}, "nobody"),
        ]

    def t_docs_pages(self) -> list[Target]:
        return [Target("unknown docs page", {"path": "swagger"}, "all")]

    # --- the business's link ---------------------------------------------------------------

    def link_token(self, key: str) -> str:
        """The current link of site `key` (each new notice there replaces it)."""
        self._findings  # noqa: B018  (the findings issue the notices, and the links)
        with self.world.session() as s:
            link = links.current(session=s, site_id=self.site(key).id)
        assert link is not None
        return link_tokens.derive(self.world.db.settings.secret_key, link.nonce)

    def fresh_link(self, site_id: int) -> None:
        """A working link for a site, so that revoking it has something to revoke."""
        key = {self.s1.id: "S1", self.y1.id: "Y1"}.get(site_id)
        if key is None:
            return
        with self.world.db.session(write=True) as s:
            user = s.exec(select(User).where(User.username == AUTHOR[key])).one()
            staff = auth.load_current_user(session=s, user=user)
            links.issue_new(session=s, user=staff, site_id=site_id)

    def settle_recheck(self, key: str) -> None:
        """Site `key` with no open re-check application: a new one may be made."""
        with self.world.db.session(write=True) as s:
            recheck.settle(session=s, site_id=self.site(key).id)

    def no_recheck(self, key: str) -> dict:
        self.settle_recheck(key)
        return {"token": self.link_token(key)}

    def t_links(self) -> list[Target]:
        return [
            Target(
                "S1 link",
                lambda _r: {"token": self.link_token("S1")},
                "public",
                renew=lambda _r: self.no_recheck("S1"),
            ),
            Target("unknown link", {"token": "A" * 22}, "nobody"),
            Target("malformed link", {"token": "x"}, "nobody"),
        ]

    def _new_link_item(self, _role: str) -> dict:
        item = self.new_finding("S1")[2]
        return {"token": self.link_token("S1"), "item_id": item}

    def t_link_items(self) -> list[Target]:
        s1 = lambda _r: self.link_token("S1")  # noqa: E731
        return [
            Target(
                "S1 link, S1 item",
                lambda r: {"token": s1(r), "item_id": self._findings["S1"][2]},
                "public",
                renew=self._new_link_item,
            ),
            Target(
                "S1 link, Y1 item",
                lambda r: {"token": s1(r), "item_id": self._findings["Y1"][2]},
                "nobody",
            ),
            Target(
                "unknown link, S1 item",
                {"token": "A" * 22, "item_id": self._findings["S1"][2]},
                "nobody",
            ),
        ]

    def t_link_item_photos(self) -> list[Target]:
        return [with_params(t, photo_uuid=lambda _r: new_uuid()) for t in self.t_link_items()]

    def t_link_photos(self) -> list[Target]:
        s1 = lambda _r: self.link_token("S1")  # noqa: E731
        kinds = [
            ("S1 finding photo thumb", self._findings["S1"][1], "thumb", "public"),
            ("S1 finding photo display", self._findings["S1"][1], "display", "public"),
            ("S1 finding photo original", self._findings["S1"][1], "original", "nobody"),
            ("S1 draft photo", self._drafts["S1"][1], "thumb", "nobody"),
            ("Y1 finding photo", self._findings["Y1"][1], "thumb", "nobody"),
            ("missing photo", MISSING_UUID, "thumb", "nobody"),
        ]
        return [
            Target(label, lambda r, p=photo, z=size: {"token": s1(r), "uuid": p, "size": z}, who)
            for label, photo, size, who in kinds
        ]

    def link_upload(self, token: str, item_id: int) -> str:
        photo = new_uuid()
        r = self.api.put(
            f"/n/{token}/items/{item_id}/photos/{photo}",
            headers={"Cookie": f"csrftoken={self.csrf}", "X-CSRFToken": self.csrf},
            files={"file": ("fix.jpg", io.BytesIO(jpeg((30, 160, 60))), "image/jpeg")},
        )
        self.api.cookies.clear()
        assert r.status_code == 200, r.text
        return photo


def with_params(target: Target, **extra) -> Target:
    """The same object with more path parameters (a value may be a function of the role)."""

    def more(role: str) -> dict:
        return {k: v(role) if callable(v) else v for k, v in extra.items()}

    renew = target.renew and (lambda role: {**target.renew(role), **more(role)})
    return replace(
        target, params=lambda role: {**target.params_for(role), **more(role)}, renew=renew
    )
