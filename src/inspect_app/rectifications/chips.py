"""The list's active filters as chips: each names its filter in the reader's language (a team,
site or checklist item by its name, never its id or code) and links to the list without it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from inspect_app import labels
from inspect_app.auth.service import CurrentUser
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized, pick
from inspect_app.models import ChecklistTemplate, Site, Team, TemplateItem, TemplateVersion
from inspect_app.rectifications.queries import ItemFilter
from inspect_app.sites.service import site_scope


@dataclass(frozen=True)
class Chip:
    label: str
    query: str  # the list's query string without this filter


def checklists(*, session: Session) -> list[ChecklistTemplate]:
    """Every checklist (the filter's menu shows their titles; the code is only the value)."""
    return list(session.exec(select(ChecklistTemplate).order_by(ChecklistTemplate.code)))


def chips(
    *,
    session: Session,
    user: CurrentUser,
    f: ItemFilter,
    teams: list[Team],
    templates: list[ChecklistTemplate],
) -> list[Chip]:
    """One chip per active filter (the overdue range and a checklist item are one chip each)."""
    out: list[Chip] = []

    def add(label: str, *names: str) -> None:
        out.append(Chip(label, f.query_string(**dict.fromkeys(names))))

    if f.status:
        add(_("Status: %(v)s", v=labels.status(f.status)), "status")
    if f.overdue:
        add(_("Overdue only"), "overdue")
    if f.overdue_min is not None or f.overdue_max is not None:
        add(_days_late(f.overdue_min, f.overdue_max), "overdue_min", "overdue_max")
    if f.team_id is not None:
        name = next((localized(t, "name") for t in teams if t.id == f.team_id), _("unknown"))
        add(_("Team: %(v)s", v=name), "team_id")
    if f.site_id is not None:
        add(_("Site: %(v)s", v=_site_name(session, user, f.site_id)), "site_id")
    if f.site_kind:
        add(_("Kind: %(v)s", v=labels.kind(f.site_kind)), "site_kind")
    if f.item:
        add(
            _("Checklist item: %(v)s", v=_item_text(session, f.template, f.item)),
            "item",
            "template",
        )
    elif f.template:
        title = next((localized(t, "title") for t in templates if t.code == f.template), None)
        add(_("Checklist: %(v)s", v=title or _("unknown")), "template")
    if f.severity:
        add(_("Severity: %(v)s", v=labels.severity(f.severity)), "severity")
    if f.deadline_from:
        add(_("Deadline from %(d)s", d=f.deadline_from.isoformat()), "deadline_from")
    if f.deadline_to:
        add(_("Deadline until %(d)s", d=f.deadline_to.isoformat()), "deadline_to")
    return out


def _days_late(low: int | None, high: int | None) -> str:
    if high is None:
        return _("%(n)s or more days overdue", n=low)
    if low is None:
        return _("At most %(n)s days overdue", n=high)
    return _("%(low)s to %(high)s days overdue", low=low, high=high)


def _site_name(session: Session, user: CurrentUser, site_id: int) -> str:
    """The site's name if this user may see it (otherwise nothing is told about it)."""
    names = session.exec(
        select(Site.name_zh, Site.name_en).where(Site.id == site_id, *site_scope(user))
    ).first()
    return pick(*names) if names else _("unknown")


def _item_text(session: Session, template: str, code: str) -> str:
    """The newest published text of a checklist item; without a checklist, the item's text if
    only one checklist has that code (else the code, the one name it has)."""
    stmt = (
        select(TemplateItem.text_zh, TemplateItem.text_en, ChecklistTemplate.code)
        .join(TemplateVersion, TemplateVersion.id == TemplateItem.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .where(TemplateItem.code == code, TemplateVersion.published_at.is_not(None))
        .order_by(TemplateVersion.version.desc())
    )
    if template:
        stmt = stmt.where(ChecklistTemplate.code == template)
    found = session.exec(stmt.limit(50)).all()
    if not found or len({checklist for _zh, _en, checklist in found}) > 1:
        return code
    zh, en, _checklist = found[0]
    return pick(zh, en)
