"""The words for stored values (status, severity, site kind, role, event, campaign words) in the
reader's language: one place for Python (chips, exports, API labels) and the pages (`labels` in
Jinja). Each is a table of marked strings, translated when it is used; an unknown value is shown
as is."""

from __future__ import annotations

from collections.abc import Callable

from inspect_app.i18n import gettext, lazy
from inspect_app.models import (
    CoverageState,
    EventKind,
    Outcome,
    RectificationStatus,
    Repeat,
    Role,
    ScopeKind,
    Severity,
    SiteKind,
)


def _words(table: dict[str, str]) -> Callable[[str], str]:
    def word(value: str) -> str:
        return gettext(table[value]) if value in table else value

    return word


# A status, or "active" (the list's "not closed" choice).
status = _words(
    {
        "active": lazy("Not closed"),
        RectificationStatus.open: lazy("Open"),
        RectificationStatus.fix_reported: lazy("Fix reported"),
        RectificationStatus.closed: lazy("Closed"),
        RectificationStatus.cancelled: lazy("Cancelled"),
    }
)
# A status inside a sentence ("This item is closed; ...").
status_in_sentence = _words(
    {
        RectificationStatus.open: lazy("open"),
        RectificationStatus.fix_reported: lazy("reported fixed"),
        RectificationStatus.closed: lazy("closed"),
        RectificationStatus.cancelled: lazy("cancelled"),
    }
)
severity = _words(
    {Severity.low: lazy("Low"), Severity.medium: lazy("Medium"), Severity.high: lazy("High")}
)
kind = _words(
    {
        SiteKind.building: lazy("Building / park"),
        SiteKind.enterprise: lazy("Enterprise"),
        SiteKind.shop: lazy("Shop"),
        SiteKind.compound: lazy("Residential compound"),
    }
)
role = _words(
    {
        Role.admin: lazy("Administrator"),
        Role.supervisor: lazy("Supervisor"),
        Role.inspector: lazy("Inspector"),
        Role.owner: lazy("Business owner"),
    }
)
# What an event of an item's history did.
event = _words(
    {
        EventKind.created: lazy("Found on inspection"),
        EventKind.fix_reported: lazy("Reported fixed"),
        EventKind.verified_closed: lazy("Verified fixed and closed"),
        EventKind.verified_not_fixed: lazy("Verified not fixed"),
        EventKind.extended: lazy("Deadline extended"),
        EventKind.cancelled: lazy("Cancelled"),
    }
)
# Campaigns: what was found at a site that could not be inspected, where a site stands in a
# round, how a campaign repeats and what it covers.
outcome = _words(
    {
        Outcome.closed_today: lazy("Closed for the day"),
        Outcome.closed_down: lazy("Closed down"),
        Outcome.told_to_close: lazy("Told to close"),
        Outcome.refused: lazy("Refused entry"),
        Outcome.absent: lazy("No one present"),
    }
)
coverage = _words(
    {
        CoverageState.pending: lazy("Not yet visited"),
        CoverageState.covered: lazy("Covered"),
        CoverageState.unreachable: lazy("Visit again"),
        "failing": lazy("Covered, failing"),
    }
)
repeat = _words(
    {
        Repeat.once: lazy("Once"),
        Repeat.days: lazy("Every few days"),
        Repeat.weeks: lazy("Weekly"),
        Repeat.months: lazy("Monthly"),
    }
)
scope = _words(
    {
        ScopeKind.everything: lazy("Every site"),
        ScopeKind.kinds: lazy("Sites of some kinds"),
        ScopeKind.building: lazy("A building and its tenants"),
        ScopeKind.team: lazy("The sites of a team"),
        ScopeKind.sites: lazy("A list of sites"),
    }
)
round_status = _words(
    {"upcoming": lazy("Upcoming"), "running": lazy("Running"), "ended": lazy("Ended")}
)
