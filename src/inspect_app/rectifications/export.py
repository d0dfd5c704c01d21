"""CSV and XLSX of exactly the rows the list's current filter shows (all pages), in the
reader's language: what each item is, where, its deadline, the finding, the business's contact
and who changed it last. The files are written by `sheets` (no live formulas)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from inspect_app import labels, sheets
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.rectifications import queries
from inspect_app.timezone import local

Value = sheets.Value


def header() -> list[str]:
    return [
        _("Item id"),
        _("Site"),
        _("Team"),
        _("Checklist"),
        _("Item"),
        _("Severity"),
        _("Status"),
        _("Deadline"),
        _("Days left"),
        _("Overdue"),
        _("Created"),
        _("Finding note"),
        _("Contact person"),
        _("Contact phone"),
        _("Last change"),
        _("Last change on"),
        _("Last change by"),
        _("Role"),
    ]


def rows(data: list[queries.Row], today: date, time_zone: str) -> Iterator[list[Value]]:
    """One list of cell values per item; days left only while the item is still open."""
    for row in data:
        item, extra = row.item, row.extra
        last: queries.LastChange | None = extra.get("last")
        checklist = queries.Named(0, extra["checklist_zh"], extra["checklist_en"])
        yield [
            item.id,
            localized(row.site, "name"),
            localized(row.team, "name") if row.team else "",
            localized(checklist, "name"),
            f"{item.item_code} {localized(row, 'text')}",
            labels.severity(item.severity),
            labels.status(item.status),
            item.deadline,
            item.days_left(today),
            _("Yes") if item.is_overdue(today) else _("No"),
            local(item.created_at, time_zone).date(),
            extra["note"],
            extra["contact_name"],
            extra["contact_phone"],
            labels.event(last.kind) if last else "",
            _minute(local(last.at, time_zone)) if last else None,
            last.actor if last else "",
            labels.role(last.role) if last else "",
        ]


def _minute(moment: datetime) -> datetime:
    """On the office's clock, to the minute, without a zone (what a spreadsheet cell holds)."""
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def to_csv(data: list[queries.Row], today: date, time_zone: str) -> bytes:
    return sheets.to_csv(header(), rows(data, today, time_zone))


def to_xlsx(data: list[queries.Row], today: date, time_zone: str) -> bytes:
    return sheets.to_xlsx(
        _("Rectification items"),
        header(),
        rows(data, today, time_zone),
        widths={1: 30, 4: 50, 7: 11, 10: 11, 11: 40, 15: 16},
    )
