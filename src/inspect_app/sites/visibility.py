"""Who may see an inspection beyond its site: drafts belong to their inspector and the office;
everyone who sees the site sees submitted inspections. `get_inspection` and `get_photo` apply
it in their queries, so someone else's draft is 404, exactly as if it did not exist."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from inspect_app.auth.service import CurrentUser
from inspect_app.models import Inspection, InspectionStatus


def readable_clause(user: CurrentUser) -> ColumnElement[bool]:
    """The SQL condition: submitted, or this user's own draft, or any for the office."""
    if user.sees_whole_subdistrict:
        return true()
    return or_(Inspection.status == InspectionStatus.submitted, Inspection.inspector_id == user.id)
