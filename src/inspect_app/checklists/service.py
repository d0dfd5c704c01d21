"""Checklist templates: published versions never change; admins edit a draft and publish it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import parse_whole
from inspect_app.checklists.defaults import DEFAULT_TEMPLATES
from inspect_app.checklists.schemas import ItemFields
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    ChecklistTemplate,
    Role,
    Severity,
    TemplateItem,
    TemplateVersion,
    VersionStatus,
    utcnow,
)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
ITEM_FIELDS = (
    "code",
    "text_zh",
    "text_en",
    "guidance_zh",
    "guidance_en",
    "severity",
    "period_days",
    "photo_required",
)


@dataclass(frozen=True)
class TemplateView:
    """A template with one of its versions and that version's items, in order."""

    template: ChecklistTemplate
    version: TemplateVersion
    items: list[TemplateItem]


def _require_admin(user: CurrentUser) -> None:
    if user.role != Role.admin:
        raise Forbidden(_("Only an administrator may edit checklists."))


def get_template(*, session: Session, code: str) -> ChecklistTemplate:
    template = session.exec(select(ChecklistTemplate).where(ChecklistTemplate.code == code)).first()
    if template is None:
        raise NotFound(_("There is no checklist with this code."))
    return template


def _version(session: Session, template_id: int, status: VersionStatus) -> TemplateVersion | None:
    return session.exec(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template_id, TemplateVersion.status == status)
        .order_by(TemplateVersion.version.desc())
    ).first()


def version_items(
    *, session: Session, version_id: int, include_retired: bool = False
) -> list[TemplateItem]:
    stmt = select(TemplateItem).where(TemplateItem.version_id == version_id)
    if not include_retired:
        stmt = stmt.where(TemplateItem.retired.is_(False))
    return list(session.exec(stmt.order_by(TemplateItem.position, TemplateItem.id)))


def published(*, session: Session, code: str, version: int | None = None) -> TemplateView:
    """The current published version (or a given published/superseded one) with its items."""
    template = get_template(session=session, code=code)
    assert template.id is not None
    if version is None:
        found = _version(session, template.id, VersionStatus.published)
    else:
        found = session.exec(
            select(TemplateVersion).where(
                TemplateVersion.template_id == template.id,
                TemplateVersion.version == version,
                TemplateVersion.status != VersionStatus.draft,
            )
        ).first()
    if found is None:
        raise NotFound(_("This checklist has no published version."))
    assert found.id is not None
    return TemplateView(template, found, version_items(session=session, version_id=found.id))


def version_view(*, session: Session, version_id: int) -> TemplateView:
    version = session.get(TemplateVersion, version_id)
    assert version is not None
    template = session.get(ChecklistTemplate, version.template_id)
    assert template is not None
    return TemplateView(template, version, version_items(session=session, version_id=version_id))


def list_published(*, session: Session) -> list[TemplateView]:
    views = []
    for template in session.exec(select(ChecklistTemplate).order_by(ChecklistTemplate.id)):
        assert template.id is not None
        version = _version(session, template.id, VersionStatus.published)
        if version is not None:
            assert version.id is not None
            views.append(
                TemplateView(
                    template, version, version_items(session=session, version_id=version.id)
                )
            )
    return views


def startable(*, session: Session, user: CurrentUser) -> list[TemplateView]:
    """Published checklists this user may start at a site (inspectors only)."""
    if user.role != Role.inspector:
        return []
    return list_published(session=session)


def draft(*, session: Session, code: str) -> TemplateView | None:
    template = get_template(session=session, code=code)
    assert template.id is not None
    version = _version(session, template.id, VersionStatus.draft)
    if version is None:
        return None
    assert version.id is not None
    items = version_items(session=session, version_id=version.id, include_retired=True)
    return TemplateView(template, version, items)


def _next_version_number(session: Session, template_id: int) -> int:
    latest = session.exec(
        select(func.max(TemplateVersion.version)).where(TemplateVersion.template_id == template_id)
    ).one()
    return (latest or 0) + 1


def start_draft(*, session: Session, user: CurrentUser, code: str) -> TemplateView:
    """The open draft, or a new one copied from the published version."""
    _require_admin(user)
    existing = draft(session=session, code=code)
    if existing is not None:
        return existing
    template = get_template(session=session, code=code)
    assert template.id is not None
    version = TemplateVersion(
        template_id=template.id, version=_next_version_number(session, template.id)
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    current = _version(session, template.id, VersionStatus.published)
    if current is not None:
        assert current.id is not None
        for item in version_items(session=session, version_id=current.id, include_retired=True):
            data = item.model_dump(exclude={"id", "version_id"})
            session.add(TemplateItem(version_id=version.id, **data))
    session.flush()
    started = draft(session=session, code=code)
    assert started is not None
    return started


def clean_item(data: ItemFields, *, taken_codes: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate an item's fields as submitted by the editor form or a JSON import."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    code = data.code
    if not CODE_RE.match(code):
        errors["code"] = _("1 to 40 letters, digits, dot, dash or underscore.")
    elif code in taken_codes:
        errors["code"] = _("Another item of this version has this code.")
    values["code"] = code
    for name, limit, required in (
        ("text_zh", 500, True),
        ("text_en", 500, True),
        ("guidance_zh", 2000, False),
        ("guidance_en", 2000, False),
    ):
        values[name] = getattr(data, name)
        if required and not values[name]:
            errors[name] = _("Required.")
        elif len(values[name]) > limit:
            errors[name] = _("At most %(n)s characters.", n=limit)
    severity = data.severity or "medium"
    if severity not in Severity.__members__:
        errors["severity"] = _("Choose low, medium or high.")
    else:
        values["severity"] = Severity(severity)
    period_days = parse_whole(data.period_days or "7", high=365)
    if period_days is None:
        errors["period_days"] = _("A whole number of days from 0 to 365.")
    else:
        values["period_days"] = period_days
    values["photo_required"] = data.photo_required
    return values, errors


def save_item(
    *,
    session: Session,
    user: CurrentUser,
    code: str,
    data: ItemFields,
    item_id: int | None = None,
) -> TemplateItem:
    """Add an item to the draft, or change one of its items."""
    view = start_draft(session=session, user=user, code=code)
    item = next((i for i in view.items if i.id == item_id), None) if item_id else None
    if item_id and item is None:
        raise NotFound(_("This item is not in the draft."))
    taken = {i.code for i in view.items if i is not item}
    values, errors = clean_item(data, taken_codes=taken)
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    if item is None:
        assert view.version.id is not None
        item = TemplateItem(version_id=view.version.id, position=len(view.items) + 1, **values)
    else:
        for key, value in values.items():
            setattr(item, key, value)
    session.add(item)
    session.flush()
    return item


def move_item(*, session: Session, user: CurrentUser, code: str, item_id: int, step: int) -> None:
    view = start_draft(session=session, user=user, code=code)
    items = list(view.items)
    index = next((i for i, it in enumerate(items) if it.id == item_id), None)
    if index is None:
        raise NotFound(_("This item is not in the draft."))
    target = max(0, min(len(items) - 1, index + step))
    items.insert(target, items.pop(index))
    for position, item in enumerate(items, start=1):
        item.position = position
        session.add(item)
    session.flush()


def set_retired(
    *, session: Session, user: CurrentUser, code: str, item_id: int, retired: bool
) -> None:
    view = start_draft(session=session, user=user, code=code)
    item = next((i for i in view.items if i.id == item_id), None)
    if item is None:
        raise NotFound(_("This item is not in the draft."))
    item.retired = retired
    session.add(item)
    session.flush()


def publish_draft(*, session: Session, user: CurrentUser, code: str) -> TemplateVersion:
    """The draft becomes the published version; the previous one is kept as superseded."""
    _require_admin(user)
    view = draft(session=session, code=code)
    if view is None:
        raise Conflict(_("There is no draft to publish."))
    if not any(not item.retired for item in view.items):
        raise Invalid(_("A checklist needs at least one item that is not retired."))
    assert view.template.id is not None
    current = _version(session, view.template.id, VersionStatus.published)
    if current is not None:
        current.status = VersionStatus.superseded
        session.add(current)
        session.flush()
    view.version.status = VersionStatus.published
    view.version.published_at = utcnow()
    session.add(view.version)
    session.flush()
    return view.version


def discard_draft(*, session: Session, user: CurrentUser, code: str) -> None:
    _require_admin(user)
    view = draft(session=session, code=code)
    if view is None:
        return
    for item in view.items:
        session.delete(item)
    session.flush()
    session.delete(view.version)
    session.flush()


# --- JSON export / import and the defaults ---------------------------------------------


def export_template(*, session: Session, code: str) -> dict[str, Any]:
    view = published(session=session, code=code)
    return {
        "code": view.template.code,
        "title_zh": view.template.title_zh,
        "title_en": view.template.title_en,
        "version": view.version.version,
        "items": [{name: getattr(item, name) for name in ITEM_FIELDS} for item in view.items],
    }


def import_template(*, session: Session, user: CurrentUser, data: dict[str, Any]) -> TemplateView:
    """A JSON export becomes the draft of its template (created when new); publish it after."""
    _require_admin(user)
    code = str(data.get("code") or "").strip() if isinstance(data, dict) else ""
    raw_items = data.get("items") if isinstance(data, dict) else None
    errors: dict[str, str] = {}
    if not CODE_RE.match(code):
        errors["code"] = _("The file needs a checklist code.")
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = _("The file needs a list of items.")
    cleaned: list[dict[str, Any]] = []
    taken: set[str] = set()
    for n, raw in enumerate(raw_items if isinstance(raw_items, list) else [], start=1):
        values, item_errors = clean_item(
            ItemFields.from_form(raw if isinstance(raw, dict) else {}), taken_codes=taken
        )
        for name, message in item_errors.items():
            errors[f"items[{n}].{name}"] = message
        taken.add(values["code"])
        cleaned.append(values)
    if errors:
        raise Invalid(_("The checklist file has problems; nothing was imported."), fields=errors)
    template = session.exec(select(ChecklistTemplate).where(ChecklistTemplate.code == code)).first()
    if template is None:
        template = ChecklistTemplate(
            code=code,
            title_zh=str(data.get("title_zh") or code),
            title_en=str(data.get("title_en") or code),
        )
        session.add(template)
        session.flush()
    assert template.id is not None
    discard_draft(session=session, user=user, code=code)
    version = TemplateVersion(
        template_id=template.id, version=_next_version_number(session, template.id)
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    for position, values in enumerate(cleaned, start=1):
        session.add(TemplateItem(version_id=version.id, position=position, **values))
    session.flush()
    imported = draft(session=session, code=code)
    assert imported is not None
    return imported


def ensure_default_templates(*, session: Session) -> int:
    """Install the default checklists that are missing; returns how many were added."""
    added = 0
    for code, (title_zh, title_en, rows) in DEFAULT_TEMPLATES.items():
        exists = session.exec(
            select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)
        ).first()
        if exists:
            continue
        template = ChecklistTemplate(code=code, title_zh=title_zh, title_en=title_en)
        session.add(template)
        session.flush()
        assert template.id is not None
        version = TemplateVersion(
            template_id=template.id,
            version=1,
            status=VersionStatus.published,
            published_at=utcnow(),
        )
        session.add(version)
        session.flush()
        assert version.id is not None
        for position, row in enumerate(rows, start=1):
            item_code, text_zh, text_en, guide_zh, guide_en, severity, period, photo = row
            session.add(
                TemplateItem(
                    version_id=version.id,
                    code=item_code,
                    position=position,
                    text_zh=text_zh,
                    text_en=text_en,
                    guidance_zh=guide_zh,
                    guidance_en=guide_en,
                    severity=Severity(severity),
                    period_days=period,
                    photo_required=photo,
                )
            )
        added += 1
    session.flush()
    return added
