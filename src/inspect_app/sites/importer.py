"""CSV import of sites: every bad row is reported by line number, and nothing is imported then."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import or_
from sqlmodel import Session, select

from inspect_app.accounts.service import is_owner_of
from inspect_app.auth.service import CurrentUser
from inspect_app.errors import Forbidden
from inspect_app.i18n import gettext as _
from inspect_app.i18n import lazy
from inspect_app.models import Role, Site, SiteKind, SiteOwner, Subdistrict, Team, User
from inspect_app.sites.schemas import SiteFields
from inspect_app.sites.service import clean_site_fields

COLUMNS = (
    "subdistrict",
    "kind",
    "name_zh",
    "name_en",
    "address",
    "latitude",
    "longitude",
    "parent",
    "team",
    "contact_name",
    "contact_phone",
    "credit_code",
    "owners",
    "active",
)
REQUIRED_COLUMNS = ("kind", "name_zh")
MAX_ROWS = 20000


@dataclass
class ImportResult:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 as saved by Chinese Excel."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")  # import_sites refuses what did not decode


_NOT_CSV = lazy(
    "This line is not valid CSV: a cell longer than 128 KB, or a quote that is never closed."
)


def _rows(reader: csv.DictReader, result: ImportResult):
    """The reader's rows; a line the csv module refuses ends the file as an error, not a 500."""
    try:
        yield from reader
    except csv.Error:
        result.errors.append((reader.line_num, _(_NOT_CSV)))


def import_sites(
    *, session: Session, user: CurrentUser, text: str, subdistrict_code: str | None = None
) -> ImportResult:
    """Validate every row first; create all sites only when no row is bad."""
    if user.role != Role.admin:
        raise Forbidden(_("Only an administrator may import sites."))
    result = ImportResult()
    if "\ufffd" in text:
        result.errors.append(
            (0, _("The file could not be read: save it as CSV in UTF-8 or GB18030."))
        )
        return result
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error:
        result.errors.append((1, _(_NOT_CSV)))
        return result
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        if missing:
            result.errors.append((1, _("Missing columns: %(c)s.", c=", ".join(missing))))
        if unknown:
            result.errors.append((1, _("Unknown columns: %(c)s.", c=", ".join(unknown))))
        return result
    reader.fieldnames = header
    planned: list[tuple[int, dict, list[int], str]] = []
    # (subdistrict, name, kind, parent): one company may sit in two buildings, not twice in one
    seen_names: set[tuple[int, str, str, str]] = set()
    seen_codes: set[str] = set()
    # (subdistrict, name) of the buildings above, kept as rows pass: rebuilding it from
    # seen_names for every row made a 20,000-row file quadratic (minutes of CPU).
    file_buildings: set[tuple[int, str]] = set()
    for row_count, row in enumerate(_rows(reader, result), start=1):
        line_no = reader.line_num  # the physical line, counting blank and multi-line rows
        if row_count > MAX_ROWS:
            result.errors.append((line_no, _("At most %(n)s rows per file.", n=MAX_ROWS)))
            break
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        problems, values, owner_ids, parent_name = _check_row(
            session=session,
            user=user,
            row=row,
            default_code=subdistrict_code,
            file_buildings=file_buildings,
        )
        code = values.get("credit_code")
        if code and code in seen_codes:
            problems.append(_("credit code %(c)s appears twice in the file.", c=code))
        key = (
            values.get("subdistrict_id", 0),
            values.get("name_zh", ""),
            str(values.get("kind", "")),
            parent_name or str(values.get("parent_id") or ""),
        )
        if key in seen_names:
            problems.append(_("%(n)s appears twice in the file.", n=values.get("name_zh", "")))
        for p in problems:
            result.errors.append((line_no, p))
        if not problems:
            seen_names.add(key)
            if key[2] in ("building", "compound"):
                file_buildings.add(key[:2])
            if code:
                seen_codes.add(code)
            planned.append((line_no, values, owner_ids, parent_name))
    if result.errors:
        return result
    _create_planned(session=session, planned=planned)
    result.created = len(planned)
    return result


def _check_row(
    *, session, user, row, default_code, file_buildings
) -> tuple[list[str], dict, list[int], str]:
    problems: list[str] = []
    subdistrict = _subdistrict_for(
        session=session, user=user, code=row.get("subdistrict") or default_code
    )
    if subdistrict is None:
        return (
            [
                _(
                    "Unknown or forbidden subdistrict %(c)s.",
                    c=row.get("subdistrict") or default_code or "-",
                )
            ],
            {},
            [],
            "",
        )
    assert subdistrict.id is not None
    data = {k: row.get(k, "") for k in COLUMNS}
    data["active"] = row.get("active") or "true"  # no column, or a blank cell: active
    parent_name = row.get("parent", "")
    parent_in_file = False
    if parent_name:
        parent = _find_building(session=session, subdistrict_id=subdistrict.id, name=parent_name)
        if parent is not None:
            data["parent_id"] = str(parent.id)
        elif (subdistrict.id, parent_name) in file_buildings:
            parent_in_file = True
        else:
            problems.append(_("parent: no building or compound named %(n)s.", n=parent_name))
    if row.get("team"):
        team = session.exec(
            select(Team).where(
                Team.subdistrict_id == subdistrict.id,
                or_(Team.name_zh == row["team"], Team.name_en == row["team"]),
            )
        ).first()
        if team is None:
            problems.append(_("team: no team named %(n)s in this subdistrict.", n=row["team"]))
        else:
            data["team_id"] = str(team.id)
    values, errors = clean_site_fields(
        session=session, subdistrict_id=subdistrict.id, data=SiteFields.from_form(data)
    )
    problems.extend(f"{name}: {message}" for name, message in errors.items())
    if (
        not errors
        and not parent_in_file
        and _exists(session=session, subdistrict_id=subdistrict.id, values=values)
    ):
        problems.append(_("%(n)s is already registered.", n=values["name_zh"]))
    owner_ids: list[int] = []
    for username in filter(
        None, (u.strip().lower() for u in row.get("owners", "").replace(",", ";").split(";"))
    ):
        owner = session.exec(select(User).where(User.username == username)).first()
        if owner is None or not is_owner_of(owner, subdistrict.id):
            problems.append(_("owners: %(u)s is not an owner account.", u=username))
        else:
            owner_ids.append(owner.id)
    values["subdistrict_id"] = subdistrict.id
    return problems, values, owner_ids, parent_name if parent_in_file else ""


def _subdistrict_for(
    *, session: Session, user: CurrentUser, code: str | None
) -> Subdistrict | None:
    if not code:
        return session.get(Subdistrict, user.subdistrict_id) if user.subdistrict_id else None
    found = session.exec(select(Subdistrict).where(Subdistrict.code == code)).first()
    if found is None or (not user.city_wide and found.id != user.subdistrict_id):
        return None
    return found


def _find_building(*, session: Session, subdistrict_id: int, name: str) -> Site | None:
    return session.exec(
        select(Site).where(
            Site.subdistrict_id == subdistrict_id,
            Site.kind.in_([SiteKind.building, SiteKind.compound]),
            or_(Site.name_zh == name, Site.name_en == name),
        )
    ).first()


def _exists(*, session: Session, subdistrict_id: int, values: dict) -> bool:
    return (
        session.exec(
            select(Site.id).where(
                Site.subdistrict_id == subdistrict_id,
                Site.name_zh == values["name_zh"],
                Site.kind == values["kind"],
                Site.parent_id == values["parent_id"]
                if values["parent_id"]
                else Site.parent_id.is_(None),
            )
        ).first()
        is not None
    )


def _create_planned(*, session: Session, planned: list[tuple[int, dict, list[int], str]]) -> None:
    """Buildings named as parents inside the file are created before their tenants."""
    created: dict[tuple[int, str], Site] = {}
    for _line, values, owner_ids, parent_name in sorted(planned, key=lambda p: bool(p[3])):
        if parent_name:
            parent = created[(values["subdistrict_id"], parent_name)]
            values["parent_id"] = parent.id
            values["team_id"] = values["team_id"] or parent.team_id
        site = Site(**values)
        session.add(site)
        session.flush()
        assert site.id is not None
        if site.kind in (SiteKind.building, SiteKind.compound):
            created[(site.subdistrict_id, site.name_zh)] = site
            if site.name_en:
                created.setdefault((site.subdistrict_id, site.name_en), site)
        for owner_id in owner_ids:
            session.add(SiteOwner(site_id=site.id, user_id=owner_id))
    session.flush()
