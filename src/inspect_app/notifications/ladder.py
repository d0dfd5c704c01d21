"""The escalation ladder an item's page shows its staff: who is told on which day if the item
stays open, and which of those messages have gone (notifications.rules writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from litestar import Request
from sqlmodel import Session, col, select

from inspect_app.i18n import gettext as _
from inspect_app.models import Notification, Rectification
from inspect_app.notifications.rules import ESCALATE_DAYS, SOON_DAYS
from inspect_app.timezone import add_days


@dataclass(frozen=True)
class Step:
    on: date
    who: str
    sent: bool


def steps_of(session: Session, item: Rectification) -> list[Step]:
    """The three rungs for the item's current deadline; a rung is `sent` once its message
    went to anyone (keys "kind:item:deadline:user", read by range on the unique key index)."""
    stem = f"{item.id}:{item.deadline.isoformat()}:"
    rungs = [
        ("deadline_soon", add_days(item.deadline, -SOON_DAYS),
         _("Reminder to the inspector and the business")),
        ("overdue", add_days(item.deadline, 1), _("Overdue: the inspector and their team")),
        ("overdue_escalated", add_days(item.deadline, ESCALATE_DAYS),
         _("Overdue a week: the supervisor")),
    ]  # fmt: skip
    steps = []
    for kind, on, who in rungs:
        low, high = f"{kind}:{stem}", f"{kind}:{stem[:-1]};"  # ";" sorts right after ":"
        found = session.exec(
            select(Notification.id)
            .where(col(Notification.key) >= low, col(Notification.key) < high)
            .limit(1)
        ).first()
        steps.append(Step(on, who, found is not None))
    return steps


def reminder_ladder(request: Request, item: Rectification) -> list[Step]:
    """A page global (wired by app.py): the ladder, in a short session of its own."""
    with request.app.state.db.session() as session:
        return steps_of(session, item)
