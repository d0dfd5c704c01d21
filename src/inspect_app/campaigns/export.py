"""A round's uncovered list and its per-team table as CSV and XLSX for the daily briefing, in
the reader's language (headers and stored values through `labels`), written by `sheets` (no
live formulas, dates as dates)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from inspect_app import labels, sheets
from inspect_app.campaigns import coverage
from inspect_app.campaigns.board import SitePage
from inspect_app.i18n import gettext as _
from inspect_app.i18n import pick
from inspect_app.models import CampaignRound, CoverageState


def sites_header() -> list[str]:
    return [
        _("Site"),
        _("Kind"),
        _("Building"),
        _("Address"),
        _("Team"),
        _("Inspector"),
        _("Coverage"),
        _("Outcome"),
        _("Covered on"),
        _("Days left"),
        _("Round ends"),
    ]


def site_rows(page: SitePage, round_: CampaignRound, today: date) -> Iterator[list[sheets.Value]]:
    for row in page.rows:
        covered = row.state == CoverageState.covered
        state = "failing" if covered and row.failing else row.state.value
        yield [
            pick(row.name_zh, row.name_en),
            labels.kind(row.kind.value),
            page.buildings.get(row.building_id, "") if row.building_id else "",
            row.address,
            page.teams.get(row.team_id, "") if row.team_id else _("No team"),
            page.people.get(row.inspector_id, "") if row.inspector_id else "",
            labels.coverage(state),
            labels.outcome(row.outcome.value) if row.outcome else "",
            row.covered_on,
            None if covered else (round_.ends_on - today).days,
            round_.ends_on,
        ]


def teams_header() -> list[str]:
    return [
        _("Team"),
        _("Number of sites"),
        _("Covered"),
        _("Visit again"),
        _("Not yet visited"),
        _("Covered (%)"),
    ]


def team_rows(found: coverage.Coverage) -> Iterator[list[sheets.Value]]:
    for t in found.by_team:
        yield [t.label or _("No team"), t.total, t.covered, t.unreachable, t.pending, t.percent]


def sites_file(fmt: str, page: SitePage, round_: CampaignRound, today: date) -> bytes:
    rows = site_rows(page, round_, today)
    if fmt == "csv":
        return sheets.to_csv(sites_header(), rows)
    widths = {0: 36, 2: 24, 3: 36, 4: 16, 6: 12, 7: 14, 8: 11, 10: 11}
    return sheets.to_xlsx(_("Sites not covered"), sites_header(), rows, widths)


def teams_file(fmt: str, found: coverage.Coverage) -> bytes:
    if fmt == "csv":
        return sheets.to_csv(teams_header(), team_rows(found))
    return sheets.to_xlsx(_("Coverage by team"), teams_header(), team_rows(found), {0: 24})
