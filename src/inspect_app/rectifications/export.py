"""CSV and XLSX of exactly the rows the list's current filter shows (all pages)."""

from __future__ import annotations

import csv
import io
from datetime import date

import xlsxwriter

from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.rectifications import queries, service
from inspect_app.timezone import local


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
    ]


def rows(data: list[queries.Row], today: date, time_zone: str) -> list[list]:
    out = []
    for row in data:
        item = row.item
        out.append(
            [
                item.id,
                localized(row.site, "name"),
                localized(row.team, "name") if row.team else "",
                row.template_code,
                f"{item.item_code} {localized(row, 'text')}",
                item.severity.value,
                service.status_label(item.status),
                item.deadline.isoformat(),
                service.days_left(item, today),
                _("Yes") if service.is_overdue(item, today) else _("No"),
                local(item.created_at, time_zone).date().isoformat(),
            ]
        )
    return out


# OWASP, CSV injection: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """Text a spreadsheet shows as text: a leading quote before a formula's first character
    (numbers stay numbers; the quote is all that changes, so the text stays readable)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(data: list[queries.Row], today: date, time_zone: str) -> bytes:
    """UTF-8 with a BOM, so Excel on a Chinese Windows opens it with the right characters."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header())
    writer.writerows([inert(v) for v in values] for values in rows(data, today, time_zone))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(data: list[queries.Row], today: date, time_zone: str) -> bytes:
    """Every text cell is written as a string, never read as a formula or a link."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(_("Rectification items")[:31])
    bold = book.add_format({"bold": True})
    for col, title in enumerate(header()):
        sheet.write_string(0, col, title, bold)
    for n, values in enumerate(rows(data, today, time_zone), start=1):
        for col, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(n, col, value)
            else:
                sheet.write_number(n, col, value)
    sheet.freeze_panes(1, 0)
    sheet.set_column(1, 1, 30)
    sheet.set_column(4, 4, 50)
    book.close()
    return buf.getvalue()
