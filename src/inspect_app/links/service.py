"""Business links: issue (with each notice, or by staff), revoke, look up what was presented,
and whether a link still works (expired a set number of days after the site's last item
closed; never while an item is active)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, update
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.db import settings_of
from inspect_app.errors import Conflict, Forbidden, Gone, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.links import accounts, tokens
from inspect_app.models import ACTIVE_STATUSES, BusinessLink, Rectification, Site, utcnow
from inspect_app.sites.service import get_site
from inspect_app.timezone import add_days, local


@dataclass(frozen=True)
class LinkState:
    """A link as staff and the business see it. state: active, expired, revoked or replaced;
    expires_on: None while the site has active items (then it does not expire)."""

    link: BusinessLink
    state: str
    expires_on: date | None

    @property
    def works(self) -> bool:
        return self.state == "active"


def current(*, session: Session, site_id: int) -> BusinessLink | None:
    """The site's link that is not revoked (at most one)."""
    return session.exec(
        select(BusinessLink)
        .where(BusinessLink.site_id == site_id, BusinessLink.revoked_at.is_(None))
        .order_by(BusinessLink.id.desc())
    ).first()


def _revoke_current(session: Session, site_id: int, by: int) -> None:
    session.exec(
        update(BusinessLink)
        .where(BusinessLink.site_id == site_id, BusinessLink.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=by)
    )


def _issue(session: Session, site: Site, by: int, notice_id: int | None) -> BusinessLink:
    assert site.id is not None
    # One issuer per site at a time (PostgreSQL: the site row's FOR NO KEY UPDATE lock until
    # the transaction ends; SQLite's writers take turns anyway), so a site keeps one current
    # link and its link account is made once. NO KEY UPDATE does not wait for the key-share
    # locks that inserting the submission's items took on the site: a full FOR UPDATE there
    # deadlocked with concurrent submissions waiting for the notice counter.
    session.exec(select(Site.id).where(Site.id == site.id).with_for_update(key_share=True)).one()
    _revoke_current(session, site.id, by)
    account = accounts.link_account(session=session, site=site)
    assert account.id is not None
    nonce = tokens.new_nonce()
    link = BusinessLink(
        site_id=site.id,
        user_id=account.id,
        nonce=nonce,
        token_hash=tokens.digest(tokens.derive(settings_of(session).secret_key, nonce)),
        notice_id=notice_id,
        created_by=by,
    )
    session.add(link)
    session.flush()
    return link


def replace_for_notice(*, session: Session, site: Site, notice_id: int, by: int) -> BusinessLink:
    """A new notice for the site gives it a new link; the old one stops working."""
    return _issue(session, site, by, notice_id)


def _staff_site(session: Session, user: CurrentUser, site_id: int) -> Site:
    site = get_site(session=session, user=user, site_id=site_id)
    if not user.is_staff:
        raise Forbidden(_("Only inspection staff manage the business's link."))
    return site


def issue_new(*, session: Session, user: CurrentUser, site_id: int) -> BusinessLink:
    """Staff issue a new link (the site's current one, if any, stops working)."""
    site = _staff_site(session, user, site_id)
    return _issue(session, site, user.id, None)


def revoke(*, session: Session, user: CurrentUser, site_id: int) -> BusinessLink:
    """Staff revoke the site's link; the business then has to ask the office for a new one."""
    _staff_site(session, user, site_id)
    link = current(session=session, site_id=site_id)
    if link is None:
        raise Conflict(_("This site has no link to revoke."))
    _revoke_current(session, site_id, user.id)
    session.refresh(link)
    return link


def for_staff(*, session: Session, user: CurrentUser, site_id: int) -> BusinessLink | None:
    """The site's newest link (revoked or not) for staff who see the site."""
    _staff_site(session, user, site_id)
    return session.exec(
        select(BusinessLink).where(BusinessLink.site_id == site_id).order_by(BusinessLink.id.desc())
    ).first()


def state_of(
    *, session: Session, link: BusinessLink, today: date, days: int, time_zone: str
) -> LinkState:
    if link.revoked_at is not None:
        newer = session.exec(
            select(BusinessLink.id).where(
                BusinessLink.site_id == link.site_id, BusinessLink.id > (link.id or 0)
            )
        ).first()
        return LinkState(link, "replaced" if newer else "revoked", None)
    active = session.exec(
        select(Rectification.id).where(
            Rectification.site_id == link.site_id, Rectification.status.in_(ACTIVE_STATUSES)
        )
    ).first()
    if active is not None:
        return LinkState(link, "active", None)
    last_closed = session.exec(
        select(func.max(Rectification.resolved_at)).where(Rectification.site_id == link.site_id)
    ).one()
    start = local(link.created_at, time_zone).date()
    if last_closed is not None:
        start = max(start, local(last_closed, time_zone).date())
    expires_on = add_days(start, days)
    return LinkState(link, "active" if today <= expires_on else "expired", expires_on)


def open_link(
    *, session: Session, token: str, today: date, days: int, time_zone: str
) -> tuple[LinkState, CurrentUser]:
    """The link presented and who its requests run as; 404 unknown, 410 expired or revoked.
    Looked up by the SHA-256 of what was presented (one indexed equality: no timing leak)."""
    link = None
    if tokens.well_formed(token):
        link = session.exec(
            select(BusinessLink).where(BusinessLink.token_hash == tokens.digest(token))
        ).first()
    if link is None:
        raise NotFound(
            _("This link is not known. Please contact the subdistrict office for a new one.")
        )
    state = state_of(session=session, link=link, today=today, days=days, time_zone=time_zone)
    if not state.works:
        raise Gone(gone_message(state.state))
    return state, accounts.acting_user(session=session, user_id=link.user_id, today=today)


def gone_message(state: str) -> str:
    if state == "replaced":
        return _(
            "This link was replaced by the one on a newer notice. Use the QR code on your "
            "latest notice, or contact the subdistrict office."
        )
    if state == "revoked":
        return _("This link was withdrawn by the office. Please contact the subdistrict office.")
    return _(
        "This link has expired: every item was closed some time ago. Please contact the "
        "subdistrict office if you need anything."
    )


def token_of(link: BusinessLink, secret: str) -> str:
    return tokens.derive(secret, link.nonce)
