"""CSV and XLSX of exactly the rows the list's current filter shows (all pages)."""

from __future__ import annotations

import csv
import io
from datetime import date

import xlsxwriter

from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.rectifications import queries, service


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


def rows(data: list[queries.Row], today: date) -> list[list]:
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
                item.created_at.strftime("%Y-%m-%d"),
            ]
        )
    return out


def to_csv(data: list[queries.Row], today: date) -> bytes:
    """UTF-8 with a BOM, so Excel on a Chinese Windows opens it with the right characters."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header())
    writer.writerows(rows(data, today))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(data: list[queries.Row], today: date) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(_("Rectification items")[:31])
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header(), bold)
    for n, values in enumerate(rows(data, today), start=1):
        sheet.write_row(n, 0, values)
    sheet.freeze_panes(1, 0)
    sheet.set_column(1, 1, 30)
    sheet.set_column(4, 4, 50)
    book.close()
    return buf.getvalue()
