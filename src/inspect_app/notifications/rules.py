"""The reminder rules: who is told what, and when (README "Reminders").

`run_rules` looks at the database as it stands at `now` and writes each message that is due
into the inbox of each person it is for. Every message has a key made of its rule, its cause
and its reader, so running the rules again (every few minutes, on several servers at once, after
a crash mid-way) adds nothing twice; a rule whose moment was missed while no server ran catches
up within a window of days, then lets it go. "Today" is the office's today, and "working days"
are the office's (timezone.add_working_days)."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from inspect_app.models import (
    EventKind,
    Inspection,
    Notification,
    RecheckRequest,
    RecheckState,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Role,
    Site,
    SiteOwner,
    Team,
    TeamMember,
    TemplateItem,
    User,
)
from inspect_app.notifications.deliveries import enqueue
from inspect_app.notifications.service import notify
from inspect_app.settings import Settings
from inspect_app.timezone import add_working_days, today_in

log = logging.getLogger(__name__)

SOON_DAYS = 2  # "2 days before a deadline"
ESCALATE_DAYS = 7  # "overdue by 7 days: the supervisor"
VERIFY_WORKING_DAYS = 3  # "verify within 3 working days"
DIGEST_AT = time(8, 30)  # the supervisors' daily summary, office time
CATCH_UP_DAYS = 14  # a rule missed while no server ran still fires this many days late
KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Place:
    """Where a message's cause is: its subdistrict, and its site's team (for the channels)."""

    subdistrict_id: int | None
    team_id: int | None = None
    audience: str = "team"  # "team" (team channels) or "office" (the subdistrict's channels)


@dataclass(frozen=True)
class Message:
    user_id: int
    kind: str
    reason: str  # the rule and its cause: one message per reader, one delivery per channel
    params: Mapping[str, Any]
    link: str
    place: Place

    @property
    def key(self) -> str:
        return f"{self.reason}:{self.user_id}"


@dataclass
class _Item:
    """An active item with what its messages say and who they go to."""

    item: Rectification
    site: Site
    inspector_id: int
    params: dict[str, Any]


class _People:
    """Who is who, read once per run: team members, owners and supervisors (active only)."""

    def __init__(self, session: Session) -> None:
        staff = select(User).where(col(User.role) != Role.owner)  # owners: read per site
        active = {u.id: u for u in session.exec(staff) if u.active}
        self.teams: dict[int, list[int]] = defaultdict(list)
        for team_id, user_id in session.exec(select(TeamMember.team_id, TeamMember.user_id)):
            if user_id in active:
                self.teams[team_id].append(user_id)
        self._session = session
        self._owners: dict[int, list[int]] = {}
        self.supervisors: dict[int | None, list[int]] = defaultdict(list)
        for user in active.values():
            if user.role == Role.supervisor and user.id is not None:
                self.supervisors[user.subdistrict_id].append(user.id)
        self.active = set(active)
        self.team_names = {
            t.id: {"zh": t.name_zh, "en": t.name_en} for t in session.exec(select(Team))
        }

    def owners_of(self, site_ids: Iterable[int]) -> None:
        """Read the owner accounts of these sites (not the link's hidden ones), once each."""
        wanted = sorted(set(site_ids) - set(self._owners))
        for site_id in wanted:
            self._owners[site_id] = []
        pairs = [
            pair
            for chunk in _chunks(wanted)
            for pair in self._session.exec(
                select(SiteOwner.site_id, SiteOwner.user_id).where(
                    col(SiteOwner.site_id).in_(chunk)
                )
            )
        ]
        readers: set[int] = set()  # active, and not a link's hidden account
        for chunk in _chunks(sorted({user_id for _, user_id in pairs})):
            readers.update(
                user.id
                for user in self._session.exec(select(User).where(col(User.id).in_(chunk)))
                if user.id is not None and user.active and user.link_site_id is None
            )
        for site_id, user_id in pairs:
            if user_id in readers:
                self._owners[site_id].append(user_id)
        self.active |= readers

    def owners(self, site: Site) -> list[int]:
        return self._owners.get(site.id or 0, [])

    def team_of(self, site: Site) -> list[int]:
        return self.teams.get(site.team_id or 0, [])

    def supervisors_of(self, site: Site) -> list[int]:
        return self.supervisors.get(site.subdistrict_id, [])


def _place(site: Site, audience: str = "team") -> Place:
    return Place(site.subdistrict_id, site.team_id, audience)


def _names(site: Site, measure: TemplateItem | None) -> dict[str, Any]:
    return {
        "site": {"zh": site.name_zh, "en": site.name_en or site.name_zh},
        "measure": {"zh": measure.text_zh, "en": measure.text_en} if measure else "–",
    }


def _items(session: Session, *where: Any) -> Iterator[_Item]:
    """Active items matching `where`, with their site, inspector and measure."""
    stmt = (
        select(Rectification, Site, Inspection.inspector_id, TemplateItem)
        .join(Site, col(Site.id) == Rectification.site_id)
        .join(Inspection, col(Inspection.id) == Rectification.inspection_id)
        .outerjoin(
            TemplateItem,
            (col(TemplateItem.version_id) == Inspection.version_id)
            & (col(TemplateItem.code) == Rectification.item_code),
        )
        .where(Rectification.active_clause(), *where)
    )
    for item, site, inspector_id, measure in session.exec(stmt):
        params = {**_names(site, measure), "deadline": item.deadline.isoformat()}
        yield _Item(item, site, inspector_id, params)


def _deadline_messages(session: Session, people: _People, today: date) -> Iterator[Message]:
    """Soon due (the business and the inspector), overdue (the inspector and their team),
    overdue by a week (the subdistrict's supervisors)."""
    window = col(Rectification.deadline).between(
        today - timedelta(days=ESCALATE_DAYS + CATCH_UP_DAYS), today + timedelta(days=SOON_DAYS)
    )
    rows = list(_items(session, window))
    people.owners_of(r.site.id or 0 for r in rows if r.item.deadline >= today)
    for row in rows:
        item, site = row.item, row.site
        stem, link = f"{item.id}:{item.deadline.isoformat()}", f"/rectifications/{item.id}"
        late = (today - item.deadline).days
        team, office = _place(site), _place(site, "office")
        if -SOON_DAYS <= late <= 0:
            for user_id in _unique([row.inspector_id, *people.owners(site)]):
                yield Message(user_id, "deadline_soon", f"deadline_soon:{stem}",
                              row.params, link, team)  # fmt: skip
        if 1 <= late <= CATCH_UP_DAYS:
            for user_id in _unique([row.inspector_id, *people.team_of(site)]):
                yield Message(user_id, "overdue", f"overdue:{stem}", row.params, link, team)
        if ESCALATE_DAYS <= late <= ESCALATE_DAYS + CATCH_UP_DAYS:
            params = {**row.params, "days": late,
                      "team": people.team_names.get(site.team_id or 0, "–")}  # fmt: skip
            for user_id in people.supervisors_of(site):
                yield Message(user_id, "overdue_escalated", f"overdue_escalated:{stem}",
                              params, link, office)  # fmt: skip


def _fix_messages(
    session: Session, people: _People, today: date, zone: ZoneInfo
) -> Iterator[Message]:
    """A fix reported: the inspector, to verify within 3 working days; the supervisors once
    that has passed with the fix still unchecked."""
    since = datetime.combine(today - timedelta(days=CATCH_UP_DAYS + 7), time(), zone)
    reported = (
        select(RectificationEvent.rectification_id, func.max(RectificationEvent.id).label("id"))
        .where(
            RectificationEvent.kind == EventKind.fix_reported,
            col(RectificationEvent.at) >= since.astimezone(UTC),
        )
        .group_by(col(RectificationEvent.rectification_id))
        .subquery()
    )
    events = {
        rid: (eid, at)
        for rid, eid, at in session.exec(
            select(reported.c.rectification_id, reported.c.id, RectificationEvent.at).join(
                RectificationEvent, col(RectificationEvent.id) == reported.c.id
            )
        )
    }
    if not events:
        return
    for chunk in _chunks(sorted(events)):
        where = (
            col(Rectification.id).in_(chunk),
            Rectification.status == RectificationStatus.fix_reported,
        )
        for row in _items(session, *where):
            event_id, at = events[row.item.id or 0]
            due = add_working_days(at.astimezone(zone).date(), VERIFY_WORKING_DAYS)
            params = {**row.params, "due": due.isoformat()}
            link = f"/rectifications/{row.item.id}"
            if (today - due).days <= CATCH_UP_DAYS:
                user_id = row.inspector_id
                yield Message(user_id, "fix_reported", f"fix_reported:{event_id}",
                              params, link, _place(row.site))  # fmt: skip
            if today > due:
                for user_id in people.supervisors_of(row.site):
                    yield Message(user_id, "verify_late", f"verify_late:{event_id}",
                                  params, link, _place(row.site, "office"))  # fmt: skip


def _recheck_messages(session: Session, people: _People, today: date) -> Iterator[Message]:
    """A re-check applied for (复查申请): the site's team; the supervisors once it is late."""
    stmt = (
        select(RecheckRequest, Site)
        .join(Site, col(Site.id) == RecheckRequest.site_id)
        .where(
            RecheckRequest.state == RecheckState.open,
            col(RecheckRequest.due_on) >= today - timedelta(days=CATCH_UP_DAYS),
        )
    )
    for request, site in session.exec(stmt):
        params = {**_names(site, None), "due": request.due_on.isoformat()}
        link = f"/sites/{site.id}"
        for user_id in people.team_of(site):
            yield Message(user_id, "recheck_requested", f"recheck_requested:{request.id}",
                          params, link, _place(site))  # fmt: skip
        if today > request.due_on:
            for user_id in people.supervisors_of(site):
                yield Message(user_id, "recheck_late", f"recheck_late:{request.id}",
                              params, link, _place(site, "office"))  # fmt: skip


def _digest_messages(
    session: Session, people: _People, now: datetime, zone: ZoneInfo
) -> Iterator[Message]:
    """At 08:30 office time, each supervisor's summary of their subdistrict: items opened and
    closed the day before, and overdue now."""
    local = now.astimezone(zone)
    if local.timetz().replace(tzinfo=None) < DIGEST_AT:
        return
    today = local.date()
    start = datetime.combine(today - timedelta(days=1), time(), zone).astimezone(UTC)
    end = datetime.combine(today, time(), zone).astimezone(UTC)
    for subdistrict_id, supervisors in people.supervisors.items():
        if subdistrict_id is None:
            continue
        in_district = col(Rectification.site_id).in_(
            select(Site.id).where(Site.subdistrict_id == subdistrict_id)
        )

        def count(*where: Any, in_district: Any = in_district) -> int:
            stmt = select(func.count()).select_from(Rectification).where(in_district, *where)
            return int(session.exec(stmt).one())

        params = {
            "new": count(
                col(Rectification.created_at) >= start, col(Rectification.created_at) < end
            ),
            "closed": count(
                Rectification.status == RectificationStatus.closed,
                col(Rectification.resolved_at) >= start,
                col(Rectification.resolved_at) < end,
            ),
            "overdue": count(Rectification.overdue_clause(today)),
        }
        for user_id in supervisors:
            yield Message(user_id, "digest", f"digest:{today.isoformat()}", params,
                          "/dashboard", Place(subdistrict_id, None, "office"))  # fmt: skip


def _unique(user_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(user_ids))


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), KEYS_PER_QUERY):
        yield values[start : start + KEYS_PER_QUERY]


def due_messages(session: Session, settings: Settings, now: datetime) -> list[Message]:
    """Every message the rules call for at `now`, sent or not."""
    zone = ZoneInfo(settings.time_zone)
    today = today_in(zone, now)
    people = _People(session)
    found = [
        *_deadline_messages(session, people, today),
        *_fix_messages(session, people, today, zone),
        *_recheck_messages(session, people, today),
        *_digest_messages(session, people, now, zone),
    ]
    return [m for m in found if m.user_id in people.active]


def unsent(session: Session, messages: list[Message]) -> list[Message]:
    """The messages not in anyone's inbox yet (each once)."""
    sent: set[str] = set()
    for chunk in _chunks([m.key for m in messages]):
        sent.update(session.exec(select(Notification.key).where(col(Notification.key).in_(chunk))))
    fresh = []
    for message in messages:
        if message.key not in sent:
            sent.add(message.key)
            fresh.append(message)
    return fresh


def write(session: Session, messages: list[Message], now: datetime) -> Counter[str]:
    """Put the messages in their inboxes and queue their deliveries, in this transaction; a
    message already there (another server was quicker) is skipped."""
    written: Counter[str] = Counter()
    new: list[Message] = []
    for message in messages:
        if notify(
            session=session,
            user_id=message.user_id,
            kind=message.kind,
            key=message.key,
            params=message.params,
            link=message.link,
            at=now,
        ):
            written[message.kind] += 1
            new.append(message)
    written["deliveries"] = enqueue(session, new, now)  # to the chats, in this transaction
    return +written


def run_rules(session: Session, settings: Settings, now: datetime) -> Counter[str]:
    """Write the messages due at `now` that are not in the inbox yet, in one session; how
    many of each kind. (The worker reads first and writes in short transactions: run_once.)"""
    return write(session, unsent(session, due_messages(session, settings, now)), now)
