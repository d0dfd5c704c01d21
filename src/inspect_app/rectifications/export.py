"""CSV and XLSX of exactly the rows the list's current filter shows (all pages), in the
reader's language: what each item is, where, its deadline, the finding, the business's contact
and who changed it last."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

import xlsxwriter

from inspect_app import labels
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.rectifications import queries
from inspect_app.timezone import local

Value = str | int | date | datetime | None  # None: an empty cell


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


def _text(value: Value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


EXCEL_FIRST = date(1900, 1, 1)  # Excel's calendar starts here (and ends on 9999-12-31)

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
    writer.writerows([inert(_text(v)) for v in values] for values in rows(data, today, time_zone))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _in_excel(value: date) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return day >= EXCEL_FIRST


def to_xlsx(data: list[queries.Row], today: date, time_zone: str) -> bytes:
    """Every text cell is written as a string, never read as a formula or a link; dates are
    date cells (a spreadsheet sorts and filters them as dates)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(_("Rectification items")[:31])
    bold = book.add_format({"bold": True})
    formats = {
        date: book.add_format({"num_format": "yyyy-mm-dd"}),
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    for col, title in enumerate(header()):
        sheet.write_string(0, col, title, bold)
    for n, values in enumerate(rows(data, today, time_zone), start=1):
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, date) and _in_excel(value):
                sheet.write_datetime(n, col, value, formats[type(value)])
            elif isinstance(value, int):
                sheet.write_number(n, col, value)
            else:  # text, or a date before Excel's calendar starts
                sheet.write_string(n, col, _text(value))
    sheet.freeze_panes(1, 0)
    sheet.set_column(1, 1, 30)
    sheet.set_column(4, 4, 50)
    sheet.set_column(7, 7, 11)
    sheet.set_column(10, 10, 11)
    sheet.set_column(11, 11, 40)
    sheet.set_column(15, 15, 16)
    book.close()
    return buf.getvalue()
