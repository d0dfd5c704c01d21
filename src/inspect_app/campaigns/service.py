"""Campaigns: plan them (scope, period, recurrence), their rounds, who goes where, and what
covers a site in a round (a submitted inspection, or an outcome recorded on the spot).

Supervisors and administrators plan the campaigns of their subdistrict; inspectors see only
their to do list (`campaigns.todo`); owners see nothing of campaigns."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from inspect_app.auth.service import OFFICE_ROLES, CurrentUser
from inspect_app.bounds import row_or_none
from inspect_app.campaigns import listing, visits
from inspect_app.campaigns.periods import MAX_PERIOD_DAYS, MAX_ROUNDS, round_periods
from inspect_app.campaigns.schemas import (
    CampaignIn,
    CampaignPatch,
    RoundIn,
    RoundStatus,
)
from inspect_app.checklists import service as checklists
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    Campaign,
    CampaignRound,
    CampaignSite,
    ChecklistTemplate,
    Repeat,
    ScopeKind,
    Site,
    SiteKind,
    Team,
    utcnow,
)
from inspect_app.timezone import add_days

PLAN_PAST_DAYS = 366  # a campaign may be recorded up to a year back (a round already done)
PLAN_AHEAD_DAYS = 366  # and planned up to a year ahead


# --- access --------------------------------------------------------------------------------


def _require_office(user: CurrentUser) -> None:
    if user.role not in OFFICE_ROLES:
        raise Forbidden(_("Only supervisors and administrators plan campaigns."))


def _visible(user: CurrentUser, subdistrict_id: int) -> bool:
    return user.role in OFFICE_ROLES and (user.city_wide or user.subdistrict_id == subdistrict_id)


def get_campaign(*, session: Session, user: CurrentUser, campaign_id: int) -> Campaign:
    """The campaign if this user plans campaigns in its subdistrict; 404 otherwise."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not _visible(user, campaign.subdistrict_id):
        raise NotFound(_("This campaign does not exist or is not visible to you."))
    return campaign


def get_round(
    *, session: Session, user: CurrentUser, round_id: int
) -> tuple[Campaign, CampaignRound]:
    """A round and its campaign, for the office of its subdistrict; 404 otherwise."""
    found = session.exec(
        select(CampaignRound, Campaign)
        .join(Campaign, Campaign.id == CampaignRound.campaign_id)
        .where(CampaignRound.id == round_id)
    ).first()
    if found is None or not _visible(user, found[1].subdistrict_id):
        raise NotFound(_("This round does not exist or is not visible to you."))
    return found[1], found[0]


def list_campaigns(*, session: Session, user: CurrentUser) -> list[Campaign]:
    _require_office(user)
    query = select(Campaign).order_by(col(Campaign.starts_on).desc(), col(Campaign.id).desc())
    if not user.city_wide:
        query = query.where(Campaign.subdistrict_id == user.subdistrict_id)
    return list(session.exec(query))


def rounds_of(*, session: Session, campaign: Campaign) -> list[CampaignRound]:
    return list(
        session.exec(
            select(CampaignRound)
            .where(CampaignRound.campaign_id == campaign.id)
            .order_by(CampaignRound.number)
        )
    )


def round_status(round_: CampaignRound, today: date) -> RoundStatus:
    if today < round_.starts_on:
        return RoundStatus.upcoming
    return RoundStatus.running if today <= round_.ends_on else RoundStatus.ended


def current_round(rounds: list[CampaignRound], today: date) -> CampaignRound | None:
    """The running round, else the last one that began, else the first."""
    begun = [r for r in rounds if r.starts_on <= today]
    return begun[-1] if begun else (rounds[0] if rounds else None)


# --- planning --------------------------------------------------------------------------------


def _subdistrict_for(user: CurrentUser, requested: int | None) -> int:
    if user.city_wide:
        if requested is None:
            raise Invalid(
                _("Choose the subdistrict this campaign is for."),
                fields={"subdistrict_id": _("Required for city-wide accounts.")},
            )
        return requested
    assert user.subdistrict_id is not None
    if requested is not None and requested != user.subdistrict_id:
        raise Invalid(
            _("You can plan campaigns only in your own subdistrict."),
            fields={"subdistrict_id": _("Not your subdistrict.")},
        )
    return user.subdistrict_id


def _template(session: Session, code: str) -> ChecklistTemplate:
    try:
        view = checklists.published(session=session, code=code)
    except NotFound:
        raise Invalid(
            _("Choose a published checklist."),
            fields={"template_code": _("No published checklist has this code.")},
        ) from None
    return view.template


def _check_period(
    starts_on: date, ends_on: date, repeat: Repeat, every: int, today: date
) -> list[tuple[date, date]]:
    earliest, latest = add_days(today, -PLAN_PAST_DAYS), add_days(today, PLAN_AHEAD_DAYS)
    if not earliest <= starts_on <= latest:
        raise Invalid(
            _("The start date is outside the allowed range."),
            fields={"starts_on": _("Between %(a)s and %(b)s.") % {"a": earliest, "b": latest}},
        )
    if ends_on < starts_on:
        raise Invalid(
            _("The campaign ends before it starts."),
            fields={"ends_on": _("On or after the start date.")},
        )
    if (ends_on - starts_on).days > MAX_PERIOD_DAYS:
        raise Invalid(
            _("A campaign may run for at most three years."),
            fields={"ends_on": _("At most three years after the start.")},
        )
    periods = round_periods(starts_on, ends_on, repeat, every)
    if len(periods) > MAX_ROUNDS:
        raise Invalid(
            _("This recurrence makes too many rounds (at most %(n)d).") % {"n": MAX_ROUNDS},
            fields={"repeat_every": _("Repeat less often, or shorten the period.")},
        )
    return periods


def _scope_values(
    session: Session, subdistrict_id: int, data: CampaignIn
) -> tuple[dict[str, object], list[int]]:
    """The scope columns and, for an explicit list, its site ids (all checked)."""
    values: dict[str, object] = {"scope": data.scope}
    listed: list[int] = []
    if data.scope == ScopeKind.kinds:
        if not data.scope_kinds:
            raise Invalid(
                _("Choose at least one kind of site."), fields={"scope_kinds": _("Required.")}
            )
        values["scope_kinds"] = ",".join(sorted({k.value for k in data.scope_kinds}))
    elif data.scope == ScopeKind.building:
        building = row_or_none(session, Site, data.building_id)
        if (
            building is None
            or building.subdistrict_id != subdistrict_id
            or building.kind not in (SiteKind.building, SiteKind.compound)
        ):
            raise Invalid(
                _("Choose a building or compound of this subdistrict."),
                fields={"building_id": _("Not a building of this subdistrict.")},
            )
        values["scope_site_id"] = building.id
    elif data.scope == ScopeKind.team:
        team = row_or_none(session, Team, data.team_id)
        if team is None or team.subdistrict_id != subdistrict_id:
            raise Invalid(
                _("Choose a team of this subdistrict."),
                fields={"team_id": _("Not a team of this subdistrict.")},
            )
        values["scope_team_id"] = team.id
    elif data.scope == ScopeKind.sites:
        listed = listing.listed_sites(session, subdistrict_id, data.site_ids, data.site_refs)
    return values, listed


def create_campaign(
    *, session: Session, user: CurrentUser, data: CampaignIn, today: date, time_zone: str
) -> Campaign:
    """A campaign and all its rounds; inspections already submitted within a round that began
    before it was planned are matched to it at once."""
    _require_office(user)
    subdistrict_id = _subdistrict_for(user, data.subdistrict_id)
    template = _template(session, data.template_code)
    periods = _check_period(data.starts_on, data.ends_on, data.repeat, data.repeat_every, today)
    values, listed = _scope_values(session, subdistrict_id, data)
    campaign = Campaign(
        subdistrict_id=subdistrict_id,
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        template_id=template.id,  # type: ignore[arg-type]
        include_later=data.include_later,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        repeat=data.repeat,
        repeat_every=data.repeat_every if data.repeat != Repeat.once else 1,
        created_by=user.id,
        **values,  # type: ignore[arg-type]
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    for chunk in listing.chunks(listed):
        session.execute(
            insert(CampaignSite), [{"campaign_id": campaign.id, "site_id": s} for s in chunk]
        )
    for number, (starts, ends) in enumerate(periods, start=1):
        session.add(
            CampaignRound(campaign_id=campaign.id, number=number, starts_on=starts, ends_on=ends)
        )
    session.flush()
    for round_ in rounds_of(session=session, campaign=campaign):
        if round_.starts_on <= today:
            visits.match_earlier_inspections(
                session=session, campaign=campaign, round_=round_, time_zone=time_zone
            )
    return campaign


def update_campaign(
    *,
    session: Session,
    user: CurrentUser,
    campaign_id: int,
    data: CampaignPatch,
    today: date,
) -> Campaign:
    """Rename, include late sites or not, change the end (future rounds are remade); the
    checklist, start and recurrence only until the first round begins."""
    campaign = get_campaign(session=session, user=user, campaign_id=campaign_id)
    started = campaign.starts_on <= today
    fixed = {
        "template_code": data.template_code,
        "starts_on": data.starts_on,
        "repeat": data.repeat,
        "repeat_every": data.repeat_every,
    }
    if started and any(v is not None for v in fixed.values()):
        changed = [k for k, v in fixed.items() if v is not None]
        raise Conflict(
            _("This campaign has begun: its checklist, start and recurrence can no longer change."),
            fields={k: _("Fixed once the first round has begun.") for k in changed},
        )
    if data.name_zh is not None:
        campaign.name_zh = data.name_zh.strip()
    if data.name_en is not None:
        campaign.name_en = data.name_en.strip()
    if data.include_later is not None:
        campaign.include_later = data.include_later
    if data.template_code is not None:
        campaign.template_id = _template(session, data.template_code).id  # type: ignore[assignment]
    starts_on = data.starts_on or campaign.starts_on
    ends_on = data.ends_on or campaign.ends_on
    repeat = data.repeat or campaign.repeat
    every = data.repeat_every or campaign.repeat_every
    if (starts_on, ends_on, repeat, every) != (
        campaign.starts_on,
        campaign.ends_on,
        campaign.repeat,
        campaign.repeat_every,
    ):
        periods = _check_period(starts_on, ends_on, repeat, every, add_days(today, 0))
        if repeat == Repeat.once and campaign.repeat == Repeat.once:
            _reperiod_one_off(session, campaign, starts_on, ends_on, today)
        else:
            _remake_rounds(session, campaign, periods, today)
        campaign.starts_on, campaign.ends_on = starts_on, ends_on
        campaign.repeat, campaign.repeat_every = repeat, every if repeat != Repeat.once else 1
    campaign.updated_at = utcnow()
    session.add(campaign)
    session.flush()
    return campaign


def _reperiod_one_off(
    session: Session, campaign: Campaign, starts_on: date, ends_on: date, today: date
) -> None:
    """A one-off campaign runs from its first round's start to its last round's end: a new
    start moves round 1's, a new end the last round's (rounds added by hand stay between)."""
    rounds = rounds_of(session=session, campaign=campaign)
    first, last = rounds[0], rounds[-1]
    if first.starts_on != starts_on and first.starts_on <= today:
        raise Conflict(_("A round that has begun cannot move its start."))
    if ends_on < last.starts_on:
        raise Invalid(
            _("Round %(n)d begins after that day.") % {"n": last.number},
            fields={"ends_on": _("On or after %(d)s.") % {"d": last.starts_on}},
        )
    first.starts_on, last.ends_on = starts_on, ends_on
    if first.starts_on > first.ends_on:
        raise Invalid(
            _("Round 1 ends before that day."),
            fields={"starts_on": _("On or before %(d)s.") % {"d": first.ends_on}},
        )
    session.add_all([first, last])
    session.flush()


def _remake_rounds(
    session: Session, campaign: Campaign, periods: list[tuple[date, date]], today: date
) -> None:
    """Rounds that have begun keep their start; the rest follow the new periods. A one-off
    campaign's later rounds (added by hand) stay as they are."""
    assert campaign.id is not None
    rounds = {r.number: r for r in rounds_of(session=session, campaign=campaign)}
    managed = 1 if campaign.repeat == Repeat.once and len(periods) == 1 else len(rounds)
    for number, (starts, ends) in enumerate(periods, start=1):
        existing = rounds.get(number)
        if existing is None:
            session.add(
                CampaignRound(
                    campaign_id=campaign.id, number=number, starts_on=starts, ends_on=ends
                )
            )
            continue
        if existing.starts_on <= today and existing.starts_on != starts:
            raise Conflict(_("A round that has begun cannot move its start."))
        existing.starts_on, existing.ends_on = starts, ends
        session.add(existing)
    for number, existing in rounds.items():
        if len(periods) < number <= managed and campaign.repeat != Repeat.once:
            if existing.starts_on <= today:
                raise Conflict(
                    _("Round %(n)d has begun: the campaign cannot end before it.") % {"n": number},
                    fields={"ends_on": _("On or after %(d)s.") % {"d": existing.starts_on}},
                )
            session.delete(existing)
    session.flush()


def add_round(
    *,
    session: Session,
    user: CurrentUser,
    campaign_id: int,
    data: RoundIn,
    today: date,
    time_zone: str,
) -> CampaignRound:
    """Another round of a one-off campaign over the same scope ("round 2"), after the last.
    Like a new campaign's, a round that has already begun counts the inspections submitted in
    it so far."""
    campaign = get_campaign(session=session, user=user, campaign_id=campaign_id)
    if campaign.repeat != Repeat.once:
        raise Conflict(_("A recurring campaign makes its rounds itself."))
    rounds = rounds_of(session=session, campaign=campaign)
    last = rounds[-1]
    _check_period(data.starts_on, data.ends_on, Repeat.once, 1, today)
    if data.starts_on <= last.ends_on:
        raise Invalid(
            _("A new round starts after the last one ends."),
            fields={"starts_on": _("After %(d)s.") % {"d": last.ends_on}},
        )
    if len(rounds) >= MAX_ROUNDS:
        raise Conflict(_("This campaign has as many rounds as it may have."))
    round_ = CampaignRound(
        campaign_id=campaign.id,  # type: ignore[arg-type]
        number=last.number + 1,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    session.add(round_)
    campaign.ends_on = max(campaign.ends_on, data.ends_on)
    campaign.updated_at = utcnow()
    session.add(campaign)
    session.flush()
    if round_.starts_on <= today:
        visits.match_earlier_inspections(
            session=session, campaign=campaign, round_=round_, time_zone=time_zone
        )
    return round_


def listed_count(*, session: Session, campaign: Campaign) -> int:
    if campaign.scope != ScopeKind.sites:
        return 0
    return session.exec(select(func.count()).where(CampaignSite.campaign_id == campaign.id)).one()
