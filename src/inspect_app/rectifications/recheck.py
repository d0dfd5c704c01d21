"""Re-check applications (复查申请): once a business has fixed things it asks for the follow-up
visit, which is then due a set number of working days later on the office's calendar. The site
shows on its inspectors' follow-up list with that date until a follow-up visit is made there or
every item of the site is closed. One open application per site at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length
from inspect_app.errors import Conflict, Forbidden, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import RecheckRequest, RecheckState, Role, Site, utcnow
from inspect_app.sites.service import get_site
from inspect_app.timezone import add_working_days, local

NAME_MAX = column_length(RecheckRequest, "contact_name")
PHONE_MAX = column_length(RecheckRequest, "contact_phone")


@dataclass(frozen=True)
class Contact:
    """Whom the office may call about the re-check (both optional)."""

    name: str = ""
    phone: str = ""


def open_request(*, session: Session, site_id: int) -> RecheckRequest | None:
    return session.exec(
        select(RecheckRequest).where(
            RecheckRequest.site_id == site_id, RecheckRequest.state == RecheckState.open
        )
    ).first()


def _check(contact: Contact) -> Contact:
    name, phone = contact.name.strip(), contact.phone.strip()
    errors = {}
    if len(name) > NAME_MAX or "\0" in name:
        errors["contact_name"] = _("At most %(n)s characters.", n=NAME_MAX)
    if len(phone) > PHONE_MAX or "\0" in phone:
        errors["contact_phone"] = _("At most %(n)s characters.", n=PHONE_MAX)
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    return Contact(name, phone)


def apply(
    *,
    session: Session,
    user: CurrentUser,
    site_id: int,
    contact: Contact,
    today: date,
    working_days: int,
    time_zone: str,
    via_link: bool = False,
) -> RecheckRequest:
    """The business (an owner account, or the site's link) asks for the re-check."""
    site: Site = get_site(session=session, user=user, site_id=site_id)
    assert site.id is not None
    if user.role != Role.owner:
        raise Forbidden(_("Only the business applies for a re-check."))
    contact = _check(contact)
    pending = open_request(session=session, site_id=site.id)
    if pending is not None:
        raise Conflict(already_message(pending, time_zone))
    request = RecheckRequest(
        site_id=site.id,
        requested_by=user.id,
        via_link=via_link,
        due_on=add_working_days(today, working_days),
        contact_name=contact.name,
        contact_phone=contact.phone,
    )
    session.add(request)
    session.flush()
    return request


def already_message(pending: RecheckRequest, time_zone: str) -> str:
    """When the open application was made and when it is due (the office's dates)."""
    return _(
        "A re-check was already applied for on %(made)s; it is due by %(due)s.",
        made=local(pending.requested_at, time_zone).strftime("%Y-%m-%d"),
        due=pending.due_on.isoformat(),
    )


def settle(*, session: Session, site_id: int) -> None:
    """The site's open application is done (a follow-up visit was made, or all is closed)."""
    pending = open_request(session=session, site_id=site_id)
    if pending is not None:
        pending.state = RecheckState.done
        pending.done_at = utcnow()
        session.add(pending)
        session.flush()
