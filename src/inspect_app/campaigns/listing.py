"""The sites an explicit list names (a campaign's scope `sites`): ids, names and unified social
credit codes of one subdistrict's sites, as typed, pasted or read from a CSV. Every unknown or
ambiguous entry is named in the refusal, so the list can be corrected in one go."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from inspect_app.bounds import MAX_INT32
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import Site


def listed_sites(
    session: Session, subdistrict_id: int, site_ids: list[int], refs: list[str]
) -> list[int]:
    """The ids of an explicit list: ids, names and credit codes of this subdistrict's sites."""
    wanted_ids = {i for i in site_ids if i <= MAX_INT32}
    too_large = [str(i) for i in site_ids if i > MAX_INT32]
    found: set[int] = set()
    for chunk in chunks(sorted(wanted_ids)):
        rows = session.exec(
            select(Site.id).where(Site.subdistrict_id == subdistrict_id, col(Site.id).in_(chunk))
        )
        found.update(i for i in rows if i is not None)
    unknown: list[str] = too_large + [str(i) for i in sorted(wanted_ids - found)]
    texts = sorted({r.strip() for r in refs if r.strip()})
    by_ref: dict[str, set[int]] = {}
    for chunk in chunks(texts):
        for site_id, name, code in session.exec(
            select(Site.id, Site.name_zh, Site.credit_code).where(
                Site.subdistrict_id == subdistrict_id,
                col(Site.name_zh).in_(chunk) | col(Site.credit_code).in_(chunk),
            )
        ):
            assert site_id is not None
            for ref in {name, code}:
                if ref is not None and ref in chunk:
                    by_ref.setdefault(ref, set()).add(site_id)
    unknown += [t for t in texts if t not in by_ref]
    if unknown:
        raise Invalid(
            _("%(n)d listed sites are not sites of this subdistrict: %(names)s")
            % {"n": len(unknown), "names": shown(unknown)},
            fields={"site_refs": _("Check these names or credit codes.")},
        )
    ambiguous = [ref for ref, ids in by_ref.items() if len(ids) > 1]
    if ambiguous:
        raise Invalid(
            _("%(n)d names belong to more than one site: %(names)s")
            % {"n": len(ambiguous), "names": shown(sorted(ambiguous))},
            fields={"site_refs": _("Use the credit code for these.")},
        )
    for ids in by_ref.values():
        found.update(ids)
    if not found:
        raise Invalid(_("List at least one site."), fields={"site_ids": _("Required.")})
    return sorted(found)


def shown(values: list[str]) -> str:
    return ", ".join(values[:5]) + (" …" if len(values) > 5 else "")


def chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
