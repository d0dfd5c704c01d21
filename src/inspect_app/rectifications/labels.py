"""Words for a rectification's values in the reader's language, for the text that Python writes
(filter chips, exports); the pages' badges say the same through their Jinja macros."""

from __future__ import annotations

from inspect_app.i18n import gettext as _
from inspect_app.models import EventKind, RectificationStatus, Role, Severity, SiteKind


def status(value: str) -> str:
    """A status, or "active" (the list's "not closed" choice)."""
    return {
        "active": _("Not closed"),
        RectificationStatus.open: _("Open"),
        RectificationStatus.fix_reported: _("Fix reported"),
        RectificationStatus.closed: _("Closed"),
        RectificationStatus.cancelled: _("Cancelled"),
    }.get(value, value)


def severity(value: str) -> str:
    return {Severity.low: _("Low"), Severity.medium: _("Medium"), Severity.high: _("High")}.get(
        value, value
    )


def kind(value: str) -> str:
    return {
        SiteKind.building: _("Building / park"),
        SiteKind.enterprise: _("Enterprise"),
        SiteKind.shop: _("Shop"),
        SiteKind.compound: _("Residential compound"),
    }.get(value, value)


def role(value: str) -> str:
    return {
        Role.admin: _("Administrator"),
        Role.supervisor: _("Supervisor"),
        Role.inspector: _("Inspector"),
        Role.owner: _("Business owner"),
    }.get(value, value)


def event(value: str) -> str:
    """What an event of an item's history did."""
    return {
        EventKind.created: _("Found on inspection"),
        EventKind.fix_reported: _("Reported fixed"),
        EventKind.verified_closed: _("Verified fixed and closed"),
        EventKind.verified_not_fixed: _("Verified not fixed"),
        EventKind.extended: _("Deadline extended"),
        EventKind.cancelled: _("Cancelled"),
    }.get(value, value)
