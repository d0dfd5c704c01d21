"""Spreadsheets for people to open in Excel or WPS: CSV (UTF-8 with a BOM) and XLSX, from a
header and rows of plain values. Every export goes through here, so none carries a live formula
(OWASP, CSV injection) and dates are dates wherever a spreadsheet can hold them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import xlsxwriter

Value = str | int | float | date | datetime | None  # None: an empty cell

EXCEL_FIRST = date(1900, 1, 1)  # Excel's calendar starts here (and ends on 9999-12-31)

# OWASP, CSV injection: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """Text a spreadsheet shows as text: a leading quote before a formula's first character
    (numbers stay numbers; the quote is all that changes, so the text stays readable)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_text(value: Value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """UTF-8 with a BOM, so Excel on a Chinese Windows opens it with the right characters."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([inert(h) for h in header])
    writer.writerows([inert(as_text(v)) for v in values] for values in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _in_excel(value: date) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return day >= EXCEL_FIRST


def to_xlsx(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    widths: dict[int, int] | None = None,
) -> bytes:
    """One sheet named `title`. Every text cell is written as a string, never read as a formula
    or a link; dates are date cells (a spreadsheet sorts and filters them as dates). `widths`:
    column index -> width in characters."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    formats = {
        date: book.add_format({"num_format": "yyyy-mm-dd"}),
        datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    for col, text in enumerate(header):
        sheet.write_string(0, col, text, bold)
    for n, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, date) and _in_excel(value):
                sheet.write_datetime(n, col, value, formats[type(value)])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(n, col, value)
            else:  # text, or a date before Excel's calendar starts
                sheet.write_string(n, col, str(as_text(value)))
    sheet.freeze_panes(1, 0)
    for col, width in (widths or {}).items():
        sheet.set_column(col, col, width)
    book.close()
    return buf.getvalue()


def attachment(name: str) -> dict[str, str]:
    """The header that makes a browser save the body as `name` (ASCII names only)."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}


CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
