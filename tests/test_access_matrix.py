"""Every route of the app, pages and API, as every role, on objects each role may and may not
see. The routes come from the app itself: a route without a row in EXPECT fails the suite.

The rules (README, "Who sees what"): signed out, a page sends you to the login form and the API
says 401; an object you may not see is a 404, exactly like one that does not exist; an action
you may not take on an object you see is a 403; an allowed call succeeds. Writes carry a valid
CSRF token (pages) or a bearer token (API), so the access rule is what answers."""

from __future__ import annotations

import gc
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from inspect_app.app import create_app
from inspect_app.demo import DEMO_PASSWORD
from tests.helpers.access import (
    ANON,
    BYSTANDER,
    FIRE,
    MISSING_UUID,
    ROLES,
    Matrix,
    Target,
    fill,
    new_uuid,
)
from tests.helpers.app import csrf_token, make_settings, office_today, says
from tests.helpers.data import jpeg, site_form

SIGNED_IN = frozenset(ROLES) - {ANON}
OWNERS = frozenset({"owner1", "owner2"})
INSPECTORS = frozenset({"inspector1", "teammate", "inspector2", "inspector12"})
OFFICE = frozenset({"supervisor", "supervisor2", "admin"})  # extend, cancel, see the board
ADMINS = frozenset({"admin"})  # Wutong's administrator (not city-wide)

# Who may see each object (README, "Who sees what"); everyone else gets 404.
AUDIENCE = {
    "public": frozenset(ROLES),
    "all": SIGNED_IN,
    "own": SIGNED_IN,  # a token or session of one's own
    "nobody": frozenset(),
    # owner1's business in Wutong, inspected by Team 1 (inspector1 and their teammate)
    "S1": frozenset({"owner1", "inspector1", "teammate", "supervisor", "admin"}),
    "Y1": frozenset({"inspector12", "supervisor2"}),  # a Yinxing building
    # a draft is its inspector's own, and the office's
    "S1 draft": frozenset({"inspector1", "supervisor", "admin"}),
    "Y1 draft": frozenset({"inspector12", "supervisor2"}),
    "wutong office": ADMINS,  # Wutong's accounts and teams, and where its admin adds things
    "S1 office": OFFICE - {"supervisor2"},  # Wutong's campaigns
    "Y1 office": frozenset({"supervisor2"}),  # Yinxing's campaigns
}

Rule = Callable[[str, Target], int]
LOGIN = 0  # signed out: the login page for pages, 401 for the API


def sees(role: str, t: Target) -> bool:
    return role in AUDIENCE[t.audience]


def everyone(code: int) -> Rule:
    return lambda role, t: code


def seen(code: int) -> Rule:
    return lambda role, t: code if sees(role, t) else 404


def only(roles: frozenset[str], rule: Rule) -> Rule:
    """A role check before anything else: 403 whatever the object (so nothing leaks)."""
    return lambda role, t: rule(role, t) if role in roles else 403


def acting(roles: frozenset[str], code: int) -> Rule:
    """On an object one sees: these roles may act, others get 403."""
    return lambda role, t: 404 if not sees(role, t) else code if role in roles else 403


def in_own_subdistrict(code: int, elsewhere: int) -> Rule:
    """Creating in a subdistrict: the admin's own, or (refused) the other one."""
    return only(ADMINS, lambda role, t: code if sees(role, t) else elsewhere)


def editing(code: int) -> Rule:
    """Changing an inspection: only its inspector, only while it is a draft."""

    def rule(role: str, t: Target) -> int:
        if not sees(role, t):
            return 404
        if role != t.author:
            return 403
        return {"submitted": 409, "missing": 404}.get(t.state, code)

    return rule


def starting(code: int) -> Rule:
    """Starting an inspection or a visit: inspectors, at a site of their team."""
    return only(INSPECTORS, seen(code))


def putting_inspection(role: str, t: Target) -> int:
    """PUT by client id: a new id starts one; a known id updates the author's draft."""
    if t.state == "new":
        return starting(200)(role, t)
    if not sees(role, t):
        return 404
    if t.state == "submitted":
        return 409  # the body differs from what was submitted
    return 200 if role == t.author else 403


def putting_visit(role: str, t: Target) -> int:
    if role not in INSPECTORS:
        return 403
    if not sees(role, t):
        return 404
    return 409 if t.state != "new" and role != t.author else 200


def photo_size(role: str, t: Target) -> int:
    """thumb and display for all who see the photo; the original (with GPS) for staff."""
    size = t.params_for(role)["size"]
    if size not in ("thumb", "display", "original") or not sees(role, t):
        return 404
    return 403 if size == "original" and role in OWNERS else 200


def notice_pdf(role: str, t: Target) -> int:
    """A submitted inspection with a failure has a notice; a draft has none yet (404)."""
    return 200 if sees(role, t) and t.state == "submitted" else 404


def notice_correction(role: str, t: Target) -> int:
    """The office corrects a notice; others who see it are refused; a draft has none (404)."""
    if not sees(role, t) or t.state != "submitted":
        return 404
    return 303 if role in OFFICE else 403


def signing(code: int) -> Rule:
    """Signatures on a notice: staff who see the inspection; a draft has no notice yet (409
    from the API; the page says so)."""

    def rule(role: str, t: Target) -> int:
        if not sees(role, t):
            return 404
        if role in OWNERS:
            return 403
        return 409 if t.state == "draft" and code == 201 else code

    return rule


def login_page(role: str, t: Target) -> int:
    return 200 if role == ANON else 302  # signed in: on to where they were going


# --- the table: who gets what, one row per route ----------------------------------------------


@dataclass(frozen=True)
class Row:
    route: str  # "METHOD path", exactly as the app declares it
    expect: Rule
    targets: str | None = None  # the objects tried (Matrix.t_<name>); None: the route has none
    public: bool = False  # signed-out callers are answered too (`expect` says how)


R = Row
admin = partial(only, ADMINS)

# fmt: off
EXPECT: dict[str, list[Row]] = {
    "public": [
        R("GET /healthz", everyone(200), public=True),
        R("GET /sw.js", everyone(200), public=True),
        R("GET /manifest.webmanifest", everyone(200), public=True),
        R("GET /offline", everyone(200), public=True),
        R("GET /static/{file_path:path}", seen(200), "static_files", public=True),
        R("HEAD /static/{file_path:path}", seen(200), "static_files", public=True),
        R("GET /login", login_page, public=True),
        R("POST /login", everyone(303), public=True),
        R("POST /locale", everyone(303), public=True),
        R("GET /schema", everyone(200)),
        R("GET /schema/redoc", everyone(200)),
        R("GET /schema/openapi.json", everyone(200)),
        R("GET /schema/{path:str}", everyone(404), "docs_pages"),
    ],
    "account": [
        R("GET /", everyone(200)),
        R("POST /logout", everyone(303)),
        R("GET /account", everyone(200)),
        R("POST /account/tokens", everyone(201)),
        R("POST /account/sessions/{session_id:int}/revoke", seen(303), "sessions"),
        R("POST /account/tokens/{token_id:int}/revoke", seen(303), "tokens"),
        R("POST /api/v1/auth/token", everyone(201), public=True),
        R("GET /api/v1/me", everyone(200)),
        R("GET /api/v1/auth/tokens", everyone(200)),
        R("DELETE /api/v1/auth/tokens/{token_id:int}", seen(204), "tokens"),
        R("POST /account/password", everyone(422)),  # a wrong current password: changes nothing
        R("POST /api/v1/auth/password", everyone(422)),
        # One's own inbox only: another's message id opens one's own inbox, changing nothing
        # (tests/test_notifications.py checks whose message is read).
        R("GET /inbox", everyone(200)),
        R("POST /inbox/read", everyone(303)),
        R("POST /inbox/{notification_id:int}/open", everyone(303), "messages"),
        R("GET /api/v1/notifications", everyone(200)),
        R("POST /api/v1/notifications/read", everyone(200)),
    ],
    "sites": [
        R("GET /sites", everyone(200)),
        R("GET /sites/{site_id:int}", seen(200), "sites"),
        R("GET /sites/new", admin(everyone(200))),
        R("POST /sites/new", in_own_subdistrict(303, 403), "subdistricts"),
        R("GET /sites/{site_id:int}/edit", admin(seen(200)), "sites"),
        R("POST /sites/{site_id:int}/edit", admin(seen(303)), "sites"),
        R("GET /sites/import", admin(everyone(200))),
        R("POST /sites/import", admin(everyone(200))),
        R("GET /api/v1/sites", everyone(200)),
        R("GET /api/v1/sites/{site_id:int}", seen(200), "sites"),
        R("GET /api/v1/sites/{site_id:int}/inspections", seen(200), "sites"),
    ],
    "admin": [
        R("GET /admin/users", admin(everyone(200))),
        R("GET /admin/users/new", admin(everyone(200))),
        R("POST /admin/users/new", in_own_subdistrict(303, 422), "subdistricts"),
        R("GET /admin/users/{user_id:int}", admin(seen(200)), "users"),
        R("POST /admin/users/{user_id:int}", admin(seen(303)), "users"),
        R("GET /admin/users/locks", admin(everyone(200))),
        R("POST /admin/users/locks/{lock_id:int}/lift", admin(seen(303)), "login_locks"),
        R("GET /admin/teams", admin(everyone(200))),
        R("GET /admin/teams/new", admin(everyone(200))),
        R("POST /admin/teams/new", in_own_subdistrict(303, 422), "subdistricts"),
        R("GET /admin/teams/{team_id:int}", admin(seen(200)), "teams"),
        R("POST /admin/teams/{team_id:int}", admin(seen(303)), "teams"),
        R("POST /admin/teams/{team_id:int}/members", admin(seen(303)), "teams"),
        R("POST /admin/teams/{team_id:int}/members/{user_id:int}/remove",
          admin(seen(303)), "team_members"),
    ],
    "channels": [
        R("GET /api/v1/admin/channels", admin(everyone(200))),
        R("POST /api/v1/admin/channels", in_own_subdistrict(201, 422), "subdistricts"),
        R("GET /api/v1/admin/channels/{channel_id:int}", admin(seen(200)), "channels"),
        R("PUT /api/v1/admin/channels/{channel_id:int}", admin(seen(200)), "channels"),
        R("POST /api/v1/admin/channels/{channel_id:int}/test", admin(seen(200)), "channels"),
        R("GET /api/v1/admin/deliveries", admin(everyone(200))),
        R("GET /admin/channels", admin(everyone(200))),
        R("POST /admin/channels/new", admin(everyone(303))),
        # NOWHERE refuses: the page shows why at the channel (200); a test taken is a 303
        R("POST /admin/channels/{channel_id:int}/test", admin(seen(200)), "channels"),
        R("POST /admin/channels/{channel_id:int}/active", admin(seen(303)), "channels"),
    ],
    "checklists": [
        R("GET /admin/checklists", admin(everyone(200))),
        R("GET /admin/checklists/{code:str}", admin(seen(200)), "checklists"),
        R("POST /admin/checklists/{code:str}/draft", admin(seen(303)), "checklists"),
        R("POST /admin/checklists/{code:str}/items", admin(seen(303)), "checklists"),
        R("POST /admin/checklists/{code:str}/items/{item_id:int}",
          admin(seen(303)), "checklist_items"),
        R("POST /admin/checklists/{code:str}/items/{item_id:int}/move",
          admin(seen(303)), "checklist_items"),
        R("POST /admin/checklists/{code:str}/items/{item_id:int}/retire",
          admin(seen(303)), "checklist_items"),
        R("POST /admin/checklists/{code:str}/publish", admin(seen(303)), "checklists"),
        R("POST /admin/checklists/{code:str}/discard", admin(seen(303)), "checklists"),
        R("GET /admin/checklists/{code:str}/export.json", admin(seen(200)), "checklists"),
        R("POST /admin/checklists/import", admin(everyone(303))),
        R("GET /api/v1/templates", everyone(200)),
        R("GET /api/v1/templates/{code:str}", seen(200), "checklists"),
    ],
    "inspections": [
        R("POST /inspections/new", starting(303), "sites"),
        R("GET /inspections/{uuid:str}", seen(200), "inspections"),
        R("GET /inspections/{uuid:str}/items/{item_code:str}", seen(200), "inspection_items"),
        R("POST /inspections/{uuid:str}/answers/{item_code:str}", editing(303),
          "inspection_items"),
        R("POST /inspections/{uuid:str}/location", editing(204), "inspections"),
        R("POST /inspections/{uuid:str}/submit", editing(303), "inspections"),
        R("POST /inspections/{uuid:str}/discard", editing(303), "inspections"),
        R("PATCH /api/v1/inspections/{uuid:str}/answers/{item_code:str}", editing(200),
          "inspection_items"),
        R("GET /inspections/{uuid:str}/notice", seen(200), "inspections"),
        R("GET /inspections/{uuid:str}/notice.pdf", notice_pdf, "inspections"),
        R("POST /inspections/{uuid:str}/notice/reissue", notice_correction, "inspections"),
        R("GET /inspections/{uuid:str}/sign", signing(200), "inspections"),
        R("PUT /api/v1/inspections/{uuid:str}/signatures/{sig_uuid:str}", signing(201),
          "signature_puts"),
        R("PUT /api/v1/inspections/{uuid:str}", putting_inspection, "inspection_puts"),
        R("GET /api/v1/inspections/{uuid:str}", seen(200), "inspections"),
    ],
    "photos": [
        R("GET /api/v1/photos/{uuid:str}/{size:str}", photo_size, "photos"),
        R("PUT /api/v1/inspections/{uuid:str}/photos/{photo_uuid:str}", editing(200),
          "new_finding_photos"),
        R("POST /inspections/{uuid:str}/photos/{photo_uuid:str}/delete", editing(200),
          "inspection_photos"),
        R("PUT /api/v1/rectifications/{item_id:int}/photos/{photo_uuid:str}",
          acting(OWNERS | INSPECTORS, 200), "new_item_photos"),
    ],
    "rectifications": [
        R("GET /rectifications", everyone(200)),
        R("GET /rectifications/export.csv", only(SIGNED_IN - OWNERS, everyone(200))),
        R("GET /rectifications/export.xlsx", only(SIGNED_IN - OWNERS, everyone(200))),
        R("GET /rectifications/{item_id:int}", seen(200), "items"),
        R("POST /rectifications/{item_id:int}/report-fixed", acting(OWNERS, 303), "items"),
        R("POST /rectifications/{item_id:int}/verify", acting(INSPECTORS, 303), "items"),
        R("POST /rectifications/{item_id:int}/extend", acting(OFFICE, 303), "items"),
        R("POST /rectifications/{item_id:int}/cancel", acting(OFFICE, 303), "items"),
        R("GET /api/v1/rectifications", everyone(200)),
        R("GET /api/v1/rectifications/{item_id:int}", seen(200), "items"),
        R("POST /api/v1/rectifications/{item_id:int}/report-fixed", acting(OWNERS, 200), "items"),
        R("POST /api/v1/rectifications/{item_id:int}/verify", acting(INSPECTORS, 200), "items"),
        R("POST /api/v1/rectifications/{item_id:int}/extend", acting(OFFICE, 200), "items"),
        R("POST /api/v1/rectifications/{item_id:int}/cancel", acting(OFFICE, 200), "items"),
        R("GET /dashboard", only(OFFICE, everyone(200))),
        R("GET /api/v1/dashboard/overdue", only(OFFICE, everyone(200))),
    ],
    "notices": [
        R("GET /api/v1/notices", everyone(200)),
        R("GET /api/v1/notices/{ref:str}", seen(200), "notices"),
        R("POST /api/v1/notices/{notice_id:int}/reissue", acting(OFFICE, 201), "notice_ids"),
    ],
    "campaigns": [
        R("GET /api/v1/campaigns", only(OFFICE, everyone(200))),
        R("POST /api/v1/campaigns", only(OFFICE, everyone(201))),
        R("GET /api/v1/campaigns/{campaign_id:int}", only(OFFICE, seen(200)), "campaigns"),
        R("PATCH /api/v1/campaigns/{campaign_id:int}", only(OFFICE, seen(200)), "campaigns"),
        R("GET /api/v1/campaigns/{campaign_id:int}/rounds", only(OFFICE, seen(200)),
          "campaigns"),
        R("POST /api/v1/campaigns/{campaign_id:int}/rounds", only(OFFICE, seen(201)),
          "campaigns"),
        R("GET /api/v1/rounds/{round_id:int}/coverage", only(OFFICE, seen(200)), "rounds"),
        R("GET /api/v1/rounds/{round_id:int}/sites", only(OFFICE, seen(200)), "rounds"),
        R("PUT /api/v1/rounds/{round_id:int}/assignments", only(OFFICE, seen(200)), "rounds"),
        R("PUT /api/v1/rounds/{round_id:int}/outcomes/{uuid:str}",
          only(SIGNED_IN - OWNERS, seen(200)), "round_outcomes"),
        R("PUT /api/v1/rounds/{round_id:int}/sites/{site_id:int}/photos/{photo_uuid:str}",
          only(SIGNED_IN - OWNERS, seen(200)), "round_outcomes"),
        R("GET /api/v1/me/todo", everyone(200)),
        R("GET /campaigns", only(OFFICE, everyone(200))),
        R("GET /campaigns/new", only(OFFICE, everyone(200))),
        R("POST /campaigns/new", only(OFFICE, everyone(303))),
        R("GET /campaigns/{campaign_id:int}", only(OFFICE, seen(200)), "campaigns"),
        R("GET /campaigns/{campaign_id:int}/edit", only(OFFICE, seen(200)), "campaigns"),
        R("POST /campaigns/{campaign_id:int}/edit", only(OFFICE, seen(303)), "campaigns"),
        R("POST /campaigns/{campaign_id:int}/rounds", only(OFFICE, seen(303)), "campaigns"),
        R("GET /campaigns/rounds/{round_id:int}", only(OFFICE, seen(200)), "rounds"),
        R("POST /campaigns/rounds/{round_id:int}/assignments", only(OFFICE, seen(303)),
          "rounds"),
        *(R(f"GET /campaigns/rounds/{{round_id:int}}/{name}", only(OFFICE, seen(200)), "rounds")
          for name in ("uncovered.csv", "uncovered.xlsx", "teams.csv", "teams.xlsx")),
        R("GET /todo", everyone(200)),
        R("GET /todo/{round_id:int}/{site_id:int}/outcome", only(SIGNED_IN - OWNERS, seen(200)),
          "round_outcomes"),
        R("POST /todo/{round_id:int}/{site_id:int}/outcome", only(SIGNED_IN - OWNERS, seen(303)),
          "round_outcomes"),
    ],
    # The business's link: the link is the capability, so every caller (signed in or not) is
    # answered alike; a link reaches its own site's items and photos, nothing else.
    "links": [
        R("GET /n/{token:str}", seen(200), "links", public=True),
        R("POST /n/{token:str}/recheck", seen(303), "links", public=True),
        R("POST /n/{token:str}/items/{item_id:int}/fixed", seen(303), "link_items", public=True),
        R("PUT /n/{token:str}/items/{item_id:int}/photos/{photo_uuid:str}", seen(200),
          "link_item_photos", public=True),
        R("GET /n/{token:str}/photos/{uuid:str}/{size:str}", seen(200), "link_photos",
          public=True),
        R("POST /sites/{site_id:int}/business-link/new", only(SIGNED_IN - OWNERS, seen(303)),
          "sites"),
        R("POST /sites/{site_id:int}/business-link/revoke", only(SIGNED_IN - OWNERS, seen(303)),
          "sites"),
        R("GET /api/v1/sites/{site_id:int}/business-link", acting(SIGNED_IN - OWNERS, 200),
          "sites"),
        R("POST /api/v1/sites/{site_id:int}/business-link", acting(SIGNED_IN - OWNERS, 201),
          "sites"),
        R("DELETE /api/v1/sites/{site_id:int}/business-link", acting(SIGNED_IN - OWNERS, 200),
          "sites"),
        R("POST /sites/{site_id:int}/recheck", acting(OWNERS, 303), "sites"),
    ],
    "visits": [
        R("POST /visits/new", starting(303), "sites"),
        R("GET /visits/{uuid:str}", only(INSPECTORS, seen(200)), "visits"),
        R("PUT /api/v1/visits/{uuid:str}", putting_visit, "visit_puts"),
    ],
}
# fmt: on


# --- how each write is sent: a body valid for the allowed role, so only the rule refuses -----


@dataclass(frozen=True)
class Ask:
    """One call of the walk, for bodies that depend on it."""

    m: Matrix
    role: str
    target: Target
    params: dict
    allowed: bool


Body = dict | Callable[[Ask], dict]


@dataclass(frozen=True)
class Call:
    body: Body = field(default_factory=dict)
    fresh: bool = False  # an allowed call uses its object up: it gets a new one
    spare: bool = False  # it changes who is signed in: sent from a second browser


def form(**fields) -> dict:
    return {"data": fields}


def change(**fields) -> dict:
    """A rectification change: a form for the page, JSON for the API."""
    return {"fields": fields}


def a_photo(**data) -> Body:
    return lambda a: {"files": {"file": ("p.jpg", io.BytesIO(jpeg()), "image/jpeg")}, "data": data}


def fix_report(a: Ask) -> dict:
    """The owner uploads a photo of the fix first; others name a photo that is not theirs."""
    photo = a.m.upload_evidence(a.role, a.params["item_id"]) if a.allowed else new_uuid()
    return change(note="已整改", photo_ids=[photo])


def site_edit(a: Ask) -> dict:
    site = a.m.y1 if a.target.site_id == a.m.y1.id else a.m.s1
    return form(**site_form(site, contact_name="矩阵联系人"))


def inspection_json(a: Ask) -> dict:
    answers = [{"item_code": "F01", "result": "pass"}]
    return {
        "json": {
            "site_id": a.target.site_id,
            "template_code": FIRE,
            "template_version": 1,
            "started_at": "2026-11-28T10:00:00+08:00",
            "answers": answers,
        }
    }


def new_in(prefix: str, **fields) -> Body:
    """A new site, account or team with a unique name, in the target's subdistrict."""

    def body(a: Ask) -> dict:
        name = a.m.unique(prefix)
        named = {k: name if v is None else v for k, v in fields.items()}
        return form(**named, subdistrict_id=str(a.params["sub"]))

    return body


# A robot address nobody listens on: a test message to it fails at once (and is logged).
NOWHERE = "http://127.0.0.1:9/send?key=matrix"


def new_channel(a: Ask) -> dict:
    name = a.m.unique("矩阵群")
    return {
        "json": {"kind": "wecom", "name": name, "url": NOWHERE, "subdistrict_id": a.params["sub"]}
    }


def draft_item(a: Ask) -> dict:
    return form(code=a.m.unique("MX"), text_zh="矩阵检查项", text_en="Matrix item")


def checklist_file(a: Ask) -> dict:
    items = [{"code": "M1", "text_zh": "矩阵检查项", "text_en": "Matrix item"}]
    raw = json.dumps({"code": a.m.unique("matrix-"), "items": items}).encode()
    return {"files": {"file": ("c.json", raw, "application/json")}}


SIGN_IN = {"username": "owner5", "password": DEMO_PASSWORD}
LATER = str(office_today() + timedelta(days=30))
RECTIFY = {
    "report-fixed": Call(fix_report, fresh=True),
    "verify": Call(change(outcome="not_fixed", note="未整改")),
    "extend": Call(change(reason="延期", new_deadline=LATER)),
    "cancel": Call(change(reason="误报"), fresh=True),
}


def link_fix(a: Ask) -> dict:
    """The business uploads a photo through its link first; others name one that is not."""
    photo = a.m.link_upload(a.params["token"], a.params["item_id"]) if a.allowed else new_uuid()
    return form(note="已整改", photo_ids=photo)


def a_link_to_revoke(a: Ask) -> dict:
    if a.allowed:
        a.m.fresh_link(a.target.site_id)
    return {}


def no_open_recheck(a: Ask) -> dict:
    """One open re-check application per site: an allowed call finds none open."""
    if a.allowed:
        a.m.settle_recheck("S1")
    return {}


def a_campaign(a: Ask) -> dict:
    today = office_today()
    return {
        "json": {
            "name_zh": a.m.unique("矩阵新行动"),
            "template_code": FIRE,
            "scope": "all",
            "starts_on": str(today),
            "ends_on": str(today + timedelta(days=3)),
        }
    }


def next_round(a: Ask) -> dict:
    later = office_today() + timedelta(days=30)
    return {"json": {"starts_on": str(later), "ends_on": str(later + timedelta(days=6))}}


def reassignment(a: Ask) -> dict:
    site = a.target.site_id
    team = a.m.team_of_site(site) if site in (a.m.s1.id, a.m.y1.id) else 1
    return {"json": {"site_ids": [site], "to_team_id": team}}


CALLS: dict[str, Call] = {
    "POST /login": Call(form(**SIGN_IN), spare=True),
    "POST /logout": Call(spare=True),
    "POST /locale": Call(form(locale="en", next="/"), spare=True),
    "POST /account/tokens": Call(form(name="矩阵")),
    "POST /account/password": Call(
        form(current_password="not-it", new_password="x" * 10, new_password_again="x" * 10)
    ),
    "POST /api/v1/auth/password": Call(
        {"json": {"current_password": "not-it", "new_password": "x" * 10}}
    ),
    "POST /admin/users/locks/{lock_id:int}/lift": Call(fresh=True),
    "POST /api/v1/auth/token": Call({"json": SIGN_IN}),
    "POST /api/v1/notifications/read": Call({"json": {"all": True}}),
    "POST /sites/new": Call(new_in("矩阵新店", kind="shop", name_zh=None, active="true")),
    "POST /sites/{site_id:int}/edit": Call(site_edit),
    "POST /sites/import": Call(
        {"files": {"file": ("s.csv", "kind,name_zh\nshop,矩阵导入店\n".encode(), "text/csv")}}
    ),
    "POST /admin/users/new": Call(
        new_in("matrix", username=None, role="inspector", password="longpassword")
    ),
    "POST /admin/users/{user_id:int}": Call(
        form(role="inspector", display_name="矩阵", active="on")
    ),
    "POST /admin/teams/new": Call(new_in("矩阵小组", name_zh=None, active="on")),
    "POST /admin/teams/{team_id:int}": Call(form(name_zh="矩阵改名", active="on")),
    "POST /admin/teams/{team_id:int}/members": Call(form(username=BYSTANDER)),
    "POST /api/v1/admin/channels": Call(new_channel),
    "POST /admin/channels/new": Call(form(kind="wecom", name="矩阵群", url=NOWHERE)),
    "PUT /api/v1/admin/channels/{channel_id:int}": Call(
        {"json": {"kind": "wecom", "name": "矩阵改名", "url": NOWHERE}}
    ),
    "POST /admin/checklists/{code:str}/items": Call(draft_item),
    "POST /admin/checklists/{code:str}/items/{item_id:int}": Call(draft_item, fresh=True),
    "POST /admin/checklists/{code:str}/items/{item_id:int}/move": Call(
        form(direction="down"), fresh=True
    ),
    "POST /admin/checklists/{code:str}/items/{item_id:int}/retire": Call(
        form(retired="true"), fresh=True
    ),
    "POST /admin/checklists/{code:str}/publish": Call(fresh=True),
    "POST /admin/checklists/{code:str}/discard": Call(fresh=True),
    "POST /admin/checklists/import": Call(checklist_file),
    "POST /inspections/new": Call(
        lambda a: form(site_id=str(a.target.site_id), template_code=FIRE)
    ),
    "POST /inspections/{uuid:str}/answers/{item_code:str}": Call(form(result="pass")),
    "POST /inspections/{uuid:str}/location": Call(form(latitude="31.2", longitude="121.4")),
    "POST /inspections/{uuid:str}/submit": Call(fresh=True),
    "POST /inspections/{uuid:str}/discard": Call(fresh=True),
    "PATCH /api/v1/inspections/{uuid:str}/answers/{item_code:str}": Call({"json": {"note": "n"}}),
    "PUT /api/v1/inspections/{uuid:str}": Call(inspection_json),
    "PUT /api/v1/inspections/{uuid:str}/photos/{photo_uuid:str}": Call(a_photo(item_code="F02")),
    "POST /inspections/{uuid:str}/photos/{photo_uuid:str}/delete": Call(fresh=True),
    "PUT /api/v1/rectifications/{item_id:int}/photos/{photo_uuid:str}": Call(a_photo()),
    **{f"POST /rectifications/{{item_id:int}}/{k}": call for k, call in RECTIFY.items()},
    **{f"POST /api/v1/rectifications/{{item_id:int}}/{k}": call for k, call in RECTIFY.items()},
    "POST /api/v1/campaigns": Call(a_campaign),
    "POST /campaigns/new": Call(
        lambda a: {
            "data": {**a_campaign(a)["json"], "repeat": "once"},
            "files": {"site_file": ("", b"", "text/csv")},  # none chosen: still multipart
        }
    ),
    "POST /campaigns/{campaign_id:int}/edit": Call(
        lambda a: form(
            name_zh="矩阵改名",
            ends_on=str(office_today() + timedelta(days=9)),
        )
    ),
    "POST /campaigns/{campaign_id:int}/rounds": Call(
        lambda a: {"data": next_round(a)["json"]}, fresh=True
    ),
    "POST /campaigns/rounds/{round_id:int}/assignments": Call(
        lambda a: form(
            site_ids=str(a.target.site_id), to=f"team:{reassignment(a)['json']['to_team_id']}"
        )
    ),
    "POST /api/v1/notices/{notice_id:int}/reissue": Call(fresh=True),
    "POST /inspections/{uuid:str}/notice/reissue": Call(fresh=True),
    "PUT /api/v1/inspections/{uuid:str}/signatures/{sig_uuid:str}": Call(
        lambda a: {
            "json": {
                "role": "representative",
                "signer_name": "矩阵代表",
                "signed_at": datetime.now(UTC).isoformat(),
                "drawing": {"width": 300, "height": 150, "strokes": [[10, 10, 50, 60]]},
            }
        },
        fresh=True,
    ),
    "PATCH /api/v1/campaigns/{campaign_id:int}": Call({"json": {"name_en": "Matrix"}}),
    "POST /api/v1/campaigns/{campaign_id:int}/rounds": Call(next_round, fresh=True),
    "PUT /api/v1/rounds/{round_id:int}/assignments": Call(reassignment),
    "PUT /api/v1/rounds/{round_id:int}/outcomes/{uuid:str}": Call(
        lambda a: {"json": {"site_id": a.params["site_id"], "outcome": "absent"}}
    ),
    "PUT /api/v1/rounds/{round_id:int}/sites/{site_id:int}/photos/{photo_uuid:str}": Call(
        a_photo()
    ),
    "POST /todo/{round_id:int}/{site_id:int}/outcome": Call(
        lambda a: form(uuid=a.params["uuid"], outcome="absent")
    ),
    "POST /visits/new": Call(lambda a: form(site_id=str(a.target.site_id))),
    "PUT /api/v1/visits/{uuid:str}": Call(lambda a: {"json": {"site_id": a.target.site_id}}),
    "POST /n/{token:str}/recheck": Call(form(contact_name="矩阵"), fresh=True),
    "POST /n/{token:str}/items/{item_id:int}/fixed": Call(link_fix, fresh=True),
    "PUT /n/{token:str}/items/{item_id:int}/photos/{photo_uuid:str}": Call(a_photo()),
    "POST /sites/{site_id:int}/business-link/revoke": Call(a_link_to_revoke),
    "DELETE /api/v1/sites/{site_id:int}/business-link": Call(a_link_to_revoke),
    "POST /sites/{site_id:int}/recheck": Call(no_open_recheck),
}


# --- the walk --------------------------------------------------------------------------------


def expected(row: Row, role: str, target: Target) -> int:
    return LOGIN if role == ANON and not row.public else row.expect(role, target)


def problem(r, want: int, path: str) -> str | None:
    """What is wrong with this answer, or None."""
    api = path.startswith(("/api/", "/schema/openapi"))
    if r.status_code >= 500:
        return f"{r.status_code}"
    if want == LOGIN:
        if api:
            ok = r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        else:
            ok = r.status_code == 302 and r.headers["location"].startswith("/login?next=")
        return None if ok else f"{r.status_code}, not sent to sign in"
    if r.status_code != want:
        return f"{r.status_code}, expected {want}"
    if want == 403 and (
        (api and r.json()["error"]["code"] != "forbidden")
        or (not api and says(r.text, "The security token is missing or wrong."))
    ):
        return "403 from CSRF, not from the access rule"
    if want == 404 and api and r.json()["error"]["code"] != "not_found":
        return f"404 with code {r.json()['error']['code']}"
    return None


def walk(m: Matrix, row: Row) -> dict[tuple[str, str], str]:
    """Call the row's route as every role on every target; returns what went wrong where."""
    method, path = row.route.split(" ", 1)
    call = CALLS.get(row.route, Call())
    wrong: dict[tuple[str, str], str] = {}
    for target in m.targets(row.targets):
        for role in ROLES:
            want = expected(row, role, target)
            allowed = 200 <= want < 400
            params = target.params_for(role)
            if call.fresh and allowed and target.renew:
                params = target.renew(role)
            body = (
                call.body(Ask(m, role, target, params, allowed))
                if callable(call.body)
                else call.body
            )
            url = fill(path, params)
            r = m.call(role, method, url, body, spare=call.spare)
            if found := problem(r, want, url):
                wrong[(role, target.label)] = found
    return wrong


def check(m: Matrix, row: Row) -> None:
    wrong = walk(m, row)
    assert not wrong, f"{row.route}: " + "; ".join(f"{k}: {v}" for k, v in wrong.items())


@pytest.mark.parametrize(
    "rows", [pytest.param(rows, id=section) for section, rows in EXPECT.items()]
)
def test_access_matrix(rows, client, world):
    m = Matrix(client, world)
    failures = []
    for row in rows:
        try:
            check(m, row)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    """The app with no database behind it: enough for its route table, and for callers
    refused before any query (once, whichever engine)."""
    var = tmp_path_factory.mktemp("bare")
    application = create_app(make_settings(var, f"sqlite:///{var / 'unused.db'}"))
    yield application
    application.state.db.dispose()


def test_every_route_has_a_row(bare_app):
    """A route added later is walked, or this fails: nobody adds an unguarded route silently."""
    rows = [row.route for rows in EXPECT.values() for row in rows]
    assert len(rows) == len(set(rows)), "a route has two rows"
    routes = {
        f"{method} {route.path}"
        for route in bare_app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods - {"OPTIONS"}  # the framework's own: see the test below
    }
    assert not routes - set(rows), f"routes without a row in EXPECT: {routes - set(rows)}"
    assert not set(rows) - routes, f"rows for routes that are gone: {set(rows) - routes}"
    assert set(CALLS) <= routes, "CALLS names a route that is gone"
    assert len(routes) >= 90


class SampleParams(dict):
    """A value for any path parameter: ids are 1, uuids a missing one, others as named."""

    def __missing__(self, name: str) -> object:
        if name.endswith("uuid"):
            return MISSING_UUID
        if name.endswith("id"):
            return 1
        raise KeyError(f"no sample value for the path parameter {name!r}: add one")


SAMPLE = SampleParams(
    ref="1",
    item_code="F01",
    path="x",
    file_path="css/app.css",
    size="thumb",
    code=FIRE,
    token="A" * 22,
)


def test_options_tell_signed_out_callers_nothing(bare_app):
    """OPTIONS answers are Litestar's: the allowed methods at most, never a page or data."""
    anonymous = TestClient(bare_app)
    for path in sorted({r.path for r in bare_app.routes if isinstance(r, HTTPRoute)}):
        url = fill(path, SAMPLE)
        r = anonymous.options(url, follow_redirects=False)
        assert r.status_code in (204, 302, 401), (url, r.status_code)
        assert r.status_code != 204 or (r.content == b"" and "allow" in r.headers), url


def test_a_refused_upload_is_closed(bare_app, monkeypatch):
    """A signed-out upload is refused before its handler; its temporary file must be closed
    then too. Litestar 2.25 runs guards outside the try/finally that closes a parsed form
    (litestar/routes/http.py:77-91), so errors.handle_http_exception closes it."""
    left_open = []
    monkeypatch.setattr(sys, "unraisablehook", left_open.append)
    anonymous = TestClient(bare_app)
    r = anonymous.post(
        "/admin/checklists/import",
        data={"_csrf_token": csrf_token(anonymous)},
        files={"file": ("c.json", b"{}", "application/json")},
        follow_redirects=False,
    )
    assert r.status_code == 302
    del r
    gc.collect()
    assert [u.object for u in left_open] == []
