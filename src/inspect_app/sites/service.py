"""Sites: the role-scoped query every listing uses, the access-checking loader, and edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, false, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from inspect_app.accounts.service import owner_accounts
from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import parse_whole
from inspect_app.errors import Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    CampaignRound,
    Role,
    RoundSite,
    Site,
    SiteKind,
    SiteOwner,
    Subdistrict,
    Team,
    User,
    utcnow,
)
from inspect_app.sites import credit_code
from inspect_app.sites.schemas import SiteFields

MAX_LIMIT = 200


def site_scope(user: CurrentUser) -> list[ColumnElement[bool]]:
    """WHERE clauses limiting sites to what this user may see (README, "Who sees what"): an
    inspector sees their teams' sites, and the sites a campaign round running today gave to
    them or to their team (a supervisor moved work from a team that is behind)."""
    if user.sees_whole_subdistrict:
        return [] if user.city_wide else [Site.subdistrict_id == user.subdistrict_id]
    if user.role == Role.inspector:
        own = Site.team_id.in_(user.team_ids)
        if user.office_today is None:
            return [own]
        return [or_(own, Site.id.in_(_given_in_rounds(user, user.office_today)))]
    return [Site.id.in_(user.site_ids)]


def _given_in_rounds(user: CurrentUser, today: date) -> SelectOfScalar[int]:
    """Sites given to this inspector, or to one of their teams, in a round running today."""
    return (
        select(RoundSite.site_id)
        .join(CampaignRound, CampaignRound.id == RoundSite.round_id)
        .where(
            or_(RoundSite.inspector_id == user.id, col(RoundSite.team_id).in_(user.team_ids)),
            CampaignRound.starts_on <= today,
            CampaignRound.ends_on >= today,
        )
    )


def scope_key(user: CurrentUser) -> tuple[object, ...]:
    """Equal for users whom `site_scope` gives the same sites (a key for shared results)."""
    if user.sees_whole_subdistrict:
        return ("all",) if user.city_wide else ("subdistrict", user.subdistrict_id)
    if user.role == Role.inspector:  # their teams' sites, and what rounds gave them today
        return ("inspector", user.id, user.team_ids, user.office_today)
    return ("sites", user.site_ids)


def team_scope(user: CurrentUser) -> list[ColumnElement[bool]]:
    """WHERE clauses limiting teams to the user's subdistrict (or their own teams)."""
    if user.sees_whole_subdistrict:
        return [] if user.city_wide else [Team.subdistrict_id == user.subdistrict_id]
    return [Team.id.in_(user.team_ids)]


@dataclass(frozen=True)
class SiteQuery:
    q: str = ""
    kind: SiteKind | None = None
    team_id: int | None = None
    parent_id: int | None = None
    include_inactive: bool = False
    only_inactive: bool = False
    limit: int = 50
    offset: int = 0


def search_sites(
    *, session: Session, user: CurrentUser, query: SiteQuery
) -> tuple[list[Site], int]:
    """A page of visible sites matching the query, and how many match in all (one scan: the
    total comes with the page as a window count)."""
    where = site_scope(user)
    text = query.q.strip()
    if text:
        where.append(_matching(session, text))
    if query.kind:
        where.append(Site.kind == query.kind)
    if query.team_id is not None:
        where.append(Site.team_id == query.team_id)
    if query.parent_id is not None:
        where.append(Site.parent_id == query.parent_id)
    if query.only_inactive:
        where.append(Site.active.is_(False))
    elif not query.include_inactive:
        where.append(Site.active.is_(True))
    limit, offset = max(1, min(query.limit, MAX_LIMIT)), max(0, query.offset)
    found = session.exec(
        select(Site, func.count().over())
        .where(*where)
        .order_by(Site.name_zh, Site.id)
        .limit(limit)
        .offset(offset)
    ).all()
    if found:
        return [site for site, _total in found], found[0][1]
    if offset == 0:
        return [], 0
    return [], session.exec(select(func.count()).select_from(Site).where(*where)).one()


SEARCHED = (Site.name_zh, Site.name_en, Site.address, Site.credit_code)
# A longer query matches nothing: answered at once, before LIKE spends its length on each row.
LONGEST_SEARCHED = max(column.type.length for column in SEARCHED)


def _matching(session: Session, text: str) -> ColumnElement[bool]:
    """Sites whose names, address or credit code contain `text`, ignoring case. SQLite's LIKE
    already ignores (ASCII) case, as its lower() does, so there it runs without lower()."""
    if len(text) > LONGEST_SEARCHED:
        return false()
    if session.get_bind().dialect.name != "sqlite":
        return or_(*(column.icontains(text, autoescape=True) for column in SEARCHED))
    pattern = "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    return or_(*(column.like(pattern, escape="/") for column in SEARCHED))


def get_site(*, session: Session, user: CurrentUser, site_id: int) -> Site:
    """The site if this user may see it; otherwise 404, exactly as if it did not exist."""
    site = session.exec(select(Site).where(Site.id == site_id, *site_scope(user))).first()
    if site is None:
        raise NotFound(_("This site does not exist or is not visible to you."))
    return site


def visible_teams(*, session: Session, user: CurrentUser) -> list[Team]:
    return list(session.exec(select(Team).where(*team_scope(user)).order_by(Team.id)))


def site_owners(*, session: Session, site_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(SiteOwner, SiteOwner.user_id == User.id)
            .where(SiteOwner.site_id == site_id, User.link_site_id.is_(None))
        )
    )


def require_site_editor(user: CurrentUser, site: Site | None = None) -> None:
    if user.role != Role.admin:
        raise Forbidden(_("Only an administrator may change sites."))
    if site is not None and not user.city_wide and site.subdistrict_id != user.subdistrict_id:
        raise NotFound(_("This site does not exist or is not visible to you."))


# --- validation shared by the edit form and the CSV import --------------------------------


def clean_site_fields(
    *, session: Session, subdistrict_id: int, data: SiteFields, site_id: int | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn what was typed into column values; returns (values, errors by field)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    kind = data.kind
    if kind not in SiteKind.__members__:
        errors["kind"] = _("Choose a kind: building, enterprise, shop or compound.")
    else:
        values["kind"] = SiteKind(kind)
    for name, limit in (
        ("name_zh", 200),
        ("name_en", 200),
        ("address", 300),
        ("contact_name", 100),
    ):
        values[name] = getattr(data, name)
        if len(values[name]) > limit:
            errors[name] = _("At most %(n)s characters.", n=limit)
    if not values["name_zh"] and not values["name_en"]:
        errors["name_zh"] = _("Give the site a name in Chinese or English.")
    elif not values["name_zh"]:
        values["name_zh"] = values["name_en"]
    values.update(_clean_position(data, errors))
    phone = data.contact_phone
    if phone and not _looks_like_phone(phone):
        errors["contact_phone"] = _("A phone number has 5 to 20 digits, spaces, + or -.")
    values["contact_phone"] = phone
    code = credit_code.normalize(data.credit_code)
    if code and not credit_code.is_valid(code):
        errors["credit_code"] = _(
            "This is not a valid unified social credit code (18 characters, check digit)."
        )
    elif code:
        clash = session.exec(
            select(Site.id).where(Site.credit_code == code, Site.id != (site_id or 0))
        ).first()
        if clash:
            errors["credit_code"] = _("Another site already has this credit code.")
    values["credit_code"] = code or None
    values["active"] = data.active
    values.update(
        _clean_links(
            session=session,
            subdistrict_id=subdistrict_id,
            data=data,
            site_id=site_id,
            errors=errors,
        )
    )
    return values, errors


def _looks_like_phone(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return 5 <= digits <= 20 and all(c.isdigit() or c in "+- ()" for c in value)


def _clean_position(data: SiteFields, errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, bound in (("latitude", 90), ("longitude", 180)):
        raw = getattr(data, name)
        if not raw:
            out[name] = None
            continue
        try:
            number = float(raw)
        except ValueError:
            number = None
        if number is None or not -bound <= number <= bound:
            errors[name] = _("Enter a number between -%(b)s and %(b)s.", b=bound)
        out[name] = number
    if (out.get("latitude") is None) != (out.get("longitude") is None) and "latitude" not in errors:
        errors["latitude"] = _("Give both latitude and longitude, or neither.")
    return out


def _clean_links(
    *,
    session: Session,
    subdistrict_id: int,
    data: SiteFields,
    site_id: int | None,
    errors: dict[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"parent_id": None, "team_id": None}
    parent_raw = data.parent_id
    if parent_raw:
        parent_id = parse_whole(parent_raw, low=1)
        parent = session.get(Site, parent_id) if parent_id else None
        if (
            parent is None
            or parent.subdistrict_id != subdistrict_id
            or parent.kind not in (SiteKind.building, SiteKind.compound)
        ):
            errors["parent_id"] = _(
                "The parent must be a building or compound in the same subdistrict."
            )
        elif site_id is not None and parent.id == site_id:
            errors["parent_id"] = _("A site cannot be its own parent.")
        else:
            out["parent_id"] = parent.id
    team_raw = data.team_id
    if team_raw:
        team_id = parse_whole(team_raw, low=1)
        team = session.get(Team, team_id) if team_id else None
        if team is None or team.subdistrict_id != subdistrict_id:
            errors["team_id"] = _("Choose a team of the same subdistrict.")
        else:
            out["team_id"] = team.id
    elif out["parent_id"]:
        out["team_id"] = session.get_one(
            Site, out["parent_id"]
        ).team_id  # tenants follow their building
    return out


def create_site(
    *, session: Session, user: CurrentUser, subdistrict_id: int, data: SiteFields
) -> Site:
    require_site_editor(user)
    if not user.city_wide and subdistrict_id != user.subdistrict_id:
        raise Forbidden(_("You may only add sites to your own subdistrict."))
    values, errors = clean_site_fields(session=session, subdistrict_id=subdistrict_id, data=data)
    if session.get(Subdistrict, subdistrict_id) is None:
        errors["subdistrict_id"] = _("Choose a subdistrict.")
    owners = _owners_from_form(
        session=session, data=data, subdistrict_id=subdistrict_id, errors=errors
    )
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    site = Site(subdistrict_id=subdistrict_id, **values)
    session.add(site)
    session.flush()
    if owners is not None:
        replace_site_owners(session=session, site=site, users=owners)
    return site


def update_site(*, session: Session, user: CurrentUser, site_id: int, data: SiteFields) -> Site:
    site = get_site(session=session, user=user, site_id=site_id)
    require_site_editor(user, site)
    values, errors = clean_site_fields(
        session=session, subdistrict_id=site.subdistrict_id, data=data, site_id=site.id
    )
    owners = _owners_from_form(
        session=session, data=data, subdistrict_id=site.subdistrict_id, errors=errors
    )
    if errors:
        raise Invalid(_("Some fields need attention."), fields=errors)
    for key, value in values.items():
        setattr(site, key, value)
    site.updated_at = utcnow()
    session.add(site)
    session.flush()
    if owners is not None:
        replace_site_owners(session=session, site=site, users=owners)
    return site


def _owners_from_form(
    *, session: Session, data: SiteFields, subdistrict_id: int, errors: dict[str, str]
) -> list[User] | None:
    """Owner members from a comma-separated list of usernames; None when the form has no list."""
    if data.owners is None:
        return None
    users, error = owner_accounts(
        session=session,
        usernames=data.owners.replace(";", ",").split(","),
        subdistrict_id=subdistrict_id,
    )
    if error:
        errors["owners"] = error
    return users


def replace_site_owners(*, session: Session, site: Site, users: list[User]) -> None:
    """The owner accounts that may see this site (sites owns who belongs to a site)."""
    assert site.id is not None
    # The site's hidden link account (links.accounts) stays a member: it is not an owner's.
    link_accounts = select(User.id).where(User.link_site_id.is_not(None))
    session.exec(
        delete(SiteOwner).where(
            SiteOwner.site_id == site.id, SiteOwner.user_id.not_in(link_accounts)
        )
    )
    for user in users:
        assert user.id is not None
        session.add(SiteOwner(site_id=site.id, user_id=user.id))
    session.flush()
