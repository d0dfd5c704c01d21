"""The campaign pages' forms read into the services' inputs (`CampaignIn`, `CampaignPatch`,
`AssignmentIn`, `RoundIn`). The values stay as typed, for the page to show again when the form
is refused; a refusal names its field in the reader's language (a 422, never a 500). A list of
sites comes typed or pasted (one per line; from a spreadsheet, the first column) or as a CSV
file (its first column), by name or unified social credit code."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from litestar.datastructures import UploadFile
from pydantic import BaseModel, ValidationError

from inspect_app.bounds import MAX_OFFSET, parse_flag, parse_whole, unstorable
from inspect_app.campaigns import coverage
from inspect_app.campaigns.board import ListFilter
from inspect_app.campaigns.schemas import (
    MAX_LISTED_SITES,
    REF_MAX,
    AssignmentIn,
    CampaignIn,
    CampaignPatch,
    RoundIn,
)
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import Campaign, Repeat, ScopeKind
from inspect_app.sites.importer import decode_csv

M = TypeVar("M", bound=BaseModel)
MAX_FILE_BYTES = 2 * 1024 * 1024
# A first line that names its column is a header, not a site.
HEADER_WORDS = frozenset(
    {"name", "name_zh", "site", "credit_code", "code", "名称", "场所", "场所名称", "企业名称"}
    | {"单位名称", "统一社会信用代码", "信用代码"}
)
TEXT_FIELDS = (
    *("name_zh", "name_en", "template_code", "scope", "building_id", "team_id", "site_refs"),
    *("starts_on", "ends_on", "repeat", "repeat_every", "subdistrict_id"),
)


def many(data: Mapping[str, Any], name: str) -> list[str]:
    """Every value a form sent under `name` (ticked boxes send one each; commas also part)."""
    raw = data.get(name)
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [p.strip() for v in values if isinstance(v, str) for p in v.split(",") if p.strip()]


def campaign_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the campaign form sent, as the page shows it again."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = data.get(name)
        if isinstance(raw, list):  # sent twice: the last one, as a browser's form would
            raw = next((v for v in reversed(raw) if isinstance(v, str)), "")
        text = raw if isinstance(raw, str) else ""
        values[name] = text if name == "site_refs" else text.strip()
    values["scope_kinds"] = many(data, "scope_kinds")
    values["include_later"] = parse_flag(data.get("include_later"))
    return values


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return _("Required.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "too_long":
        return _("At most %(n)s entries.", n=ctx.get("max_length"))
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a date (YYYY-MM-DD).")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("At least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("At most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    if kind in ("enum", "literal_error"):
        return _("Choose one of the options.")
    return _("This value is not valid.")


def validated(model: type[M], raw: dict[str, Any]) -> M:
    """`model` from `raw`; its refusals as a 422 naming each field (the first error of each)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "form"
            fields.setdefault(name, _message(error))
        raise Invalid(_("Some fields need attention."), fields=fields) from None


def list_filter(params: Mapping[str, str], page_size: int | None) -> ListFilter:
    """The site list's filters from a query string; anything unknown means the default."""
    status = params.get("status") or "uncovered"
    return ListFilter(
        status=status if status in coverage.STATUS_FILTERS else "uncovered",
        team_id=parse_whole(params.get("team_id"), low=1),
        building_id=parse_whole(params.get("building_id"), low=1),
        page=parse_whole(params.get("page"), low=1, high=MAX_OFFSET // (page_size or 1)) or 1,
        page_size=page_size,
    )


LIST_PARAMS = ("status", "team_id", "building_id", "page")


def back_query(data: Mapping[str, Any]) -> str:
    """The list's filters a form came from (only those, re-encoded), to show it again."""
    sent = parse_qs(str(data.get("next") or "").removeprefix("?")[:300])
    kept = {k: v[0] for k, v in sent.items() if k in LIST_PARAMS and v[0].isascii()}
    return f"?{urlencode(kept)}" if kept else ""


def _optional(value: str) -> str | None:
    return value or None


# --- a list of sites ------------------------------------------------------------------------


def refs_from_text(text: str) -> list[str]:
    """One site per line; a line pasted from a spreadsheet keeps its first cell only."""
    return [line.split("\t", 1)[0].strip() for line in text.splitlines() if line.strip()]


def refs_from_upload(upload: object) -> list[str]:
    """The first column of an uploaded CSV (UTF-8 or GB18030), without a header line."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return []
    raw = upload.file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        message = _("The file is larger than 2 MB.")
        raise Invalid(message, fields={"site_file": message})
    try:
        rows = list(csv.reader(io.StringIO(decode_csv(raw))))
    except csv.Error:
        message = _("This file is not a CSV file that can be read.")
        raise Invalid(message, fields={"site_file": message}) from None
    refs = [row[0].strip() for row in rows if row and row[0].strip()]
    if refs and refs[0].lower() in HEADER_WORDS:
        refs = refs[1:]
    if not refs:
        message = _("The file lists no sites: put one name or credit code per line.")
        raise Invalid(message, fields={"site_file": message})
    return refs


def check_refs(refs: list[str]) -> list[str]:
    """The names and codes as the service may look them up: bounded, storable, no repeats."""
    if len(refs) > MAX_LISTED_SITES:
        message = _("At most %(n)s sites in a list.", n=MAX_LISTED_SITES)
        raise Invalid(message, fields={"site_refs": message})
    long = [r for r in refs if len(r) > REF_MAX or unstorable(r)]
    if long:
        message = _("Not a site's name or credit code: %(ref)s", ref=long[0][:40] + "…")
        raise Invalid(message, fields={"site_refs": message})
    return list(dict.fromkeys(refs))


# --- the services' inputs -------------------------------------------------------------------


def campaign_in(values: dict[str, Any], refs: list[str], *, city_wide: bool) -> CampaignIn:
    scope = values["scope"]
    raw: dict[str, Any] = {
        "name_zh": values["name_zh"],
        "name_en": values["name_en"],
        "template_code": values["template_code"],
        "scope": scope,
        "include_later": values["include_later"],
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"],
        "repeat": values["repeat"] or Repeat.once.value,
        "repeat_every": values["repeat_every"] or "1",
    }
    if scope == ScopeKind.kinds.value:
        raw["scope_kinds"] = values["scope_kinds"]
    elif scope == ScopeKind.building.value:
        raw["building_id"] = _optional(values["building_id"])
        if raw["building_id"] is None:
            raise Invalid(_("Choose a building."), fields={"building_id": _("Required.")})
    elif scope == ScopeKind.team.value:
        raw["team_id"] = _optional(values["team_id"])
        if raw["team_id"] is None:
            raise Invalid(_("Choose a team."), fields={"team_id": _("Required.")})
    elif scope == ScopeKind.sites.value:
        raw["site_refs"] = check_refs(refs)
        if not raw["site_refs"]:
            message = _("List at least one site, or upload a CSV file.")
            raise Invalid(message, fields={"site_refs": message})
    if city_wide:
        raw["subdistrict_id"] = _optional(values["subdistrict_id"])
    if raw["repeat"] == Repeat.once.value:
        raw["repeat_every"] = "1"
    return validated(CampaignIn, raw)


def edit_values(campaign: Campaign, template_code: str) -> dict[str, Any]:
    """The edit form's values from what is stored."""
    return {
        "name_zh": campaign.name_zh,
        "name_en": campaign.name_en,
        "template_code": template_code,
        "include_later": campaign.include_later,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "repeat": campaign.repeat.value,
        "repeat_every": str(campaign.repeat_every),
    }


def campaign_patch(values: dict[str, Any], *, started: bool) -> CampaignPatch:
    """Only what may still change: the checklist, start and recurrence are left out (kept as
    they are) once the first round has begun."""
    raw: dict[str, Any] = {
        "name_zh": values["name_zh"],
        "name_en": values["name_en"],
        "include_later": values["include_later"],
        "ends_on": values["ends_on"] or None,
    }
    if not started:
        raw |= {
            "template_code": values["template_code"] or None,
            "starts_on": values["starts_on"] or None,
            "repeat": values["repeat"] or None,
            "repeat_every": values["repeat_every"] or None,
        }
        if raw["repeat"] == Repeat.once.value:
            raw["repeat_every"] = "1"
    if raw["ends_on"] is None:
        raise Invalid(_("Enter a date."), fields={"ends_on": _("Required.")})
    return validated(CampaignPatch, raw)


def round_in(data: Mapping[str, Any]) -> RoundIn:
    dates = {k: str(data.get(k) or "").strip() for k in ("starts_on", "ends_on")}
    return validated(RoundIn, {k: v for k, v in dates.items() if v})  # empty: "Required."


def assignment_in(data: Mapping[str, Any]) -> AssignmentIn:
    """Which sites (ticked in the list, or all matching a building, kind or current team) go
    to whom (`to`: "team:ID" or "inspector:ID")."""
    target = str(data.get("to") or "")
    kind, _sep, raw_id = target.partition(":")
    to_id = parse_whole(raw_id, low=1)
    if kind not in ("team", "inspector") or to_id is None:
        message = _("Choose a team or an inspector.")
        raise Invalid(message, fields={"to": message})
    raw: dict[str, Any] = {f"to_{kind}_id": to_id}
    if data.get("pick") == "matching":
        filters = {k: str(data.get(k) or "").strip() for k in ("building_id", "kind", "team_id")}
        if not any(filters.values()):
            message = _("Choose a building, a kind or a team.")
            raise Invalid(message, fields={"match": message})
        raw |= {k: v for k, v in filters.items() if v}
    else:
        ids = many(data, "site_ids")
        if not ids:
            message = _(
                "Tick at least one site in the list, or choose sites by building, kind or team."
            )
            raise Invalid(message, fields={"site_ids": message})
        raw["site_ids"] = ids
    return validated(AssignmentIn, raw)
