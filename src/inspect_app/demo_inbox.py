"""Demo inboxes: the last few days of messages the reminders would have sent (issue 15), drawn
from the demo history's items that are still open, so each message leads to a real item, on the
day its rule fires: two days before a deadline (the team's inspectors and the site's owners),
the day after it (the team), a week after it (the supervisor), the day a fix was reported (the
team), and the supervisor's daily summary. Messages older
than a day are read; the newer ones wait under the bell."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from inspect_app.models import (
    ACTIVE_STATUSES,
    Inspection,
    Notification,
    Rectification,
    RectificationStatus,
    Role,
    Site,
    SiteOwner,
    Team,
    TeamMember,
    TemplateItem,
    User,
)
from inspect_app.notifications.service import notify
from inspect_app.settings import Settings
from inspect_app.timezone import today_in

DAYS_BACK = 4  # the inbox shows what came in these last days
PER_PERSON = 12  # at most this many messages each: a few days' worth, not a flood


def _at(day: date, zone: ZoneInfo, hour: int = 8, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


def load_inbox(*, session: Session, settings: Settings) -> None:
    """Write the demo's messages (after the history: they name its items)."""
    zone = ZoneInfo(settings.time_zone)
    today = today_in(settings.time_zone)
    since = today - timedelta(days=DAYS_BACK)
    rows = session.exec(
        select(Rectification, Site, TemplateItem)
        .join(Site, Site.id == Rectification.site_id)
        .join(Inspection, Inspection.id == Rectification.inspection_id)
        .join(
            TemplateItem,
            (TemplateItem.version_id == Inspection.version_id)
            & (TemplateItem.code == Rectification.item_code),
        )
        .where(Rectification.status.in_(ACTIVE_STATUSES))
        .order_by(Rectification.deadline, Rectification.id)
    ).all()
    team_members: dict[int, list[int]] = {}
    for team_id, user_id in session.exec(select(TeamMember.team_id, TeamMember.user_id)):
        team_members.setdefault(team_id, []).append(user_id)
    owners: dict[int, list[int]] = {}
    for site_id, user_id in session.exec(select(SiteOwner.site_id, SiteOwner.user_id)):
        owners.setdefault(site_id, []).append(user_id)
    supervisors = {
        s.subdistrict_id: s.id
        for s in session.exec(select(User).where(User.role == Role.supervisor))
    }
    team_names = {t.id: {"zh": t.name_zh, "en": t.name_en} for t in session.exec(select(Team))}
    sent: Counter[int] = Counter()

    def send(user_id: int, kind: str, key: str, item: Rectification, day: date, **params) -> None:
        if sent[user_id] >= PER_PERSON or day < since or day > today:
            return
        sent[user_id] += notify(
            session=session,
            user_id=user_id,
            kind=kind,
            key=f"demo:{kind}:{key}:{user_id}",
            params=params,
            link=f"/rectifications/{item.id}",
            at=_at(day, zone),
        )

    for item, site, measure in rows:
        names = {
            "site": {"zh": site.name_zh, "en": site.name_en or site.name_zh},
            "measure": {"zh": measure.text_zh, "en": measure.text_en},
            "deadline": item.deadline.isoformat(),
        }
        team = team_members.get(site.team_id or 0, [])
        if item.status == RectificationStatus.fix_reported:
            reported = item.updated_at.astimezone(zone).date()
            for user_id in team:
                send(user_id, "fix_reported", str(item.id), item, reported,
                     due=(reported + timedelta(days=3)).isoformat(), **names)  # fmt: skip
        for user_id in team + owners.get(site.id or 0, []):
            send(user_id, "deadline_soon", str(item.id), item,
                 item.deadline - timedelta(days=2), **names)  # fmt: skip
        for user_id in team:
            send(user_id, "overdue", str(item.id), item, item.deadline + timedelta(days=1),
                 **names)  # fmt: skip
        supervisor = supervisors.get(site.subdistrict_id)
        if supervisor is not None:
            send(supervisor, "overdue_escalated", str(item.id), item,
                 item.deadline + timedelta(days=8), days=7,
                 team=team_names.get(site.team_id or 0, "–"), **names)  # fmt: skip
    _digests(session, supervisors.values(), today, zone)
    _read_the_older(session, today, zone)


def _digests(session: Session, supervisors, today: date, zone: ZoneInfo) -> None:
    """The daily summary of the last days (the figures are the demo's own, roughly)."""
    for user_id in supervisors:
        for back in range(DAYS_BACK):
            day = today - timedelta(days=back)
            notify(
                session=session,
                user_id=user_id,
                kind="digest",
                key=f"demo:digest:{day.isoformat()}:{user_id}",
                params={"new": 6 + back, "closed": 4 + back % 3, "overdue": 20 - back},
                link="/dashboard",
                at=_at(day, zone),
            )


def _read_the_older(session: Session, today: date, zone: ZoneInfo) -> None:
    cutoff = _at(today - timedelta(days=1), zone, 0, 0)
    for message in session.exec(select(Notification).where(Notification.created_at < cutoff)):
        message.read_at = message.created_at + timedelta(hours=2)
        session.add(message)
    session.flush()
