"""Who may see an inspection beyond its site: drafts belong to their inspector and the office;
everyone who sees the site sees submitted inspections. One rule, in Python and in SQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from inspect_app.auth.service import CurrentUser
from inspect_app.errors import NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import Inspection, InspectionStatus, Role

OFFICE = (Role.admin, Role.supervisor)


def readable_clause(user: CurrentUser) -> ColumnElement[bool]:
    """The SQL condition: submitted, or this user's own draft, or any for the office."""
    if user.role in OFFICE:
        return true()
    return or_(Inspection.status == InspectionStatus.submitted, Inspection.inspector_id == user.id)


def require_readable(inspection: Inspection, user: CurrentUser) -> None:
    """404, exactly as if it did not exist, for someone else's draft."""
    if inspection.status == InspectionStatus.submitted:
        return
    if inspection.inspector_id == user.id or user.role in OFFICE:
        return
    raise NotFound(_("This inspection does not exist or is not visible to you."))
