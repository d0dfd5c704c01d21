"""A site's hidden link account: the business acting through its notice link.

An owner of that one site (so every owner code path and access check applies unchanged:
`sites.site_scope`, `rectifications.service.report_fixed`, the photo upload flow), with an
unusable password, inactive, and marked `link_site_id`: it is never listed, never signs in and
never holds a session or an API token (auth.service refuses it), and item histories name it
"the business, via the notice link"."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser, load_current_user
from inspect_app.models import Role, Site, SiteOwner, User

UNUSABLE_PASSWORD = "!link-account"  # noqa: S105 (no argon2 hash verifies against this)


def username_for(site_id: int) -> str:
    """Outside what account usernames may be (accounts.USERNAME_RE): never typed, never taken."""
    return f"~link-{site_id}"


def link_account(*, session: Session, site: Site) -> User:
    """The site's link account, made the first time a link is issued for it."""
    assert site.id is not None
    user = session.exec(select(User).where(User.link_site_id == site.id)).first()
    if user is not None:
        return user
    user = User(
        username=username_for(site.id),
        password_hash=UNUSABLE_PASSWORD,
        role=Role.owner,
        subdistrict_id=site.subdistrict_id,
        active=False,
        link_site_id=site.id,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(SiteOwner(site_id=site.id, user_id=user.id))
    session.flush()
    return user


def acting_user(*, session: Session, user_id: int, today: date) -> CurrentUser:
    """Who the link's requests run as (read only: nothing is written)."""
    return load_current_user(
        session=session, user=session.get_one(User, user_id), office_today=today
    )
