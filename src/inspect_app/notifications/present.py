"""A message as the API and the inbox page show it (shared so views and api never meet)."""

from __future__ import annotations

from inspect_app.models import Notification
from inspect_app.notifications import kinds
from inspect_app.notifications.schemas import NotificationOut
from inspect_app.notifications.service import params_of


def notification_out(notification: Notification) -> NotificationOut:
    assert notification.id is not None
    params = params_of(notification)
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        text=kinds.sentence(notification.kind, params),
        params=params,
        link=notification.link,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )
