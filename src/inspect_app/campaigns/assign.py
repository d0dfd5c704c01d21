"""Who goes where in a round: the supervisor gives sites (named, or all of a building, kind or
current team) to another team or to a named inspector; the rest keep their own team."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import MAX_INT32, row_or_none
from inspect_app.campaigns.listing import chunks
from inspect_app.campaigns.schemas import AssignmentIn, RoundStatus
from inspect_app.campaigns.scope import effective_columns, round_sites
from inspect_app.campaigns.service import get_round, round_status
from inspect_app.errors import Conflict, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import CoverageState, Role, RoundSite, Site, Team, TeamMember, User, utcnow


def reassign(
    *,
    session: Session,
    user: CurrentUser,
    round_id: int,
    data: AssignmentIn,
    time_zone: str,
    today: date,
) -> int:
    """Give the round's sites named or matching the filter to a team, or to a named inspector
    (who must belong to each site's team). Returns how many sites were given."""
    campaign, round_ = get_round(session=session, user=user, round_id=round_id)
    if round_status(round_, today) == RoundStatus.ended:
        raise Conflict(_("This round has ended; its assignments can no longer change."))
    if (data.to_team_id is None) == (data.to_inspector_id is None):
        raise Invalid(
            _("Give the sites to a team or to an inspector."),
            fields={"to_team_id": _("Choose one: a team or an inspector.")},
        )
    values: dict[str, object]
    inspector_teams: set[int] | None = None
    if data.to_team_id is not None:
        team = row_or_none(session, Team, data.to_team_id)
        if team is None or team.subdistrict_id != campaign.subdistrict_id or not team.active:
            raise Invalid(
                _("Choose a team of this subdistrict."),
                fields={"to_team_id": _("Not a team of this subdistrict.")},
            )
        values = {"team_id": team.id, "inspector_id": None}
    else:
        inspector = row_or_none(session, User, data.to_inspector_id)
        if (
            inspector is None
            or inspector.role != Role.inspector
            or not inspector.active
            or inspector.subdistrict_id != campaign.subdistrict_id
        ):
            raise Invalid(
                _("Choose an inspector of this subdistrict."),
                fields={"to_inspector_id": _("Not an inspector of this subdistrict.")},
            )
        inspector_teams = set(
            session.exec(select(TeamMember.team_id).where(TeamMember.user_id == inspector.id))
        )
        values = {"inspector_id": inspector.id}
    cols = effective_columns()
    query = round_sites(campaign, round_, time_zone, Site.id, cols.team_id)
    named = sorted(set(data.site_ids))
    if any(site_id > MAX_INT32 for site_id in named):
        raise Invalid(
            _("Some of the sites named do not exist."), fields={"site_ids": _("Unknown site.")}
        )
    if named:
        query = query.where(col(Site.id).in_(named))
    if data.building_id is not None:
        query = query.where(cols.building_id == data.building_id)
    if data.kind is not None:
        query = query.where(Site.kind == data.kind)
    if data.team_id is not None:
        query = query.where(cols.team_id == data.team_id)
    rows = session.execute(query).all()
    if named and len(rows) != len(named):
        raise Invalid(
            _("%(n)d of the sites named are not in this round.") % {"n": len(named) - len(rows)},
            fields={"site_ids": _("Name sites of this round only.")},
        )
    if inspector_teams is not None:
        others = sum(1 for _site, team_id in rows if team_id not in inspector_teams)
        if others:
            raise Invalid(
                _("%(n)d of these sites belong to teams this inspector is not in.") % {"n": others},
                fields={"to_inspector_id": _("Give those sites to the inspector's team first.")},
            )
    site_ids = [site_id for site_id, _team in rows]
    for chunk in chunks(site_ids):
        existing = set(
            session.exec(
                select(RoundSite.site_id).where(
                    RoundSite.round_id == round_.id, col(RoundSite.site_id).in_(chunk)
                )
            )
        )
        if existing:
            session.execute(
                update(RoundSite)
                .where(
                    col(RoundSite.round_id) == round_.id,
                    col(RoundSite.site_id).in_(sorted(existing)),
                )
                .values(**values, updated_at=utcnow())
            )
        fresh = [s for s in chunk if s not in existing]
        if fresh:
            session.execute(
                insert(RoundSite),
                [
                    {
                        "round_id": round_.id,
                        "site_id": s,
                        "state": CoverageState.pending,
                        "failing": False,
                        "updated_at": utcnow(),
                        **values,
                    }
                    for s in fresh
                ],
            )
    session.flush()
    return len(site_ids)
