"""What covers a site in a round: a submitted inspection with the campaign's checklist (linked
when started from the round, else matched by site, checklist and date), or an outcome recorded
on the spot. Closed down and told to close cover it; refused entry, no one present and closed
for the day leave it "unreachable": it needs another visit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inspect_app.auth.service import OFFICE_ROLES, CurrentUser
from inspect_app.campaigns.schemas import OutcomeIn
from inspect_app.campaigns.scope import round_sites
from inspect_app.db import attempt
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.inspections import service as inspections
from inspect_app.models import (
    Answer,
    Campaign,
    CampaignRound,
    ChecklistTemplate,
    CoverageState,
    Inspection,
    InspectionStatus,
    Outcome,
    Photo,
    Result,
    Role,
    RoundSite,
    Site,
    SiteOutcome,
    TemplateVersion,
    utcnow,
)
from inspect_app.photos.service import Slot
from inspect_app.sites.service import get_site
from inspect_app.timezone import check_client_time, local

NEEDS_NOTE = frozenset({Outcome.told_to_close, Outcome.closed_down})
NEEDS_PHOTO = frozenset({Outcome.told_to_close})


def office_day(moment: datetime, time_zone: str) -> date:
    return local(moment, time_zone).date()


def _window_utc(round_: CampaignRound, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(round_.starts_on, time.min, tzinfo=zone)
    end = datetime.combine(round_.ends_on + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _mark(session: Session, round_id: int, site_id: int, **values: object) -> RoundSite:
    """Write what the round did at a site (one row per round and site, made on first use)."""
    row = session.get(RoundSite, (round_id, site_id))
    if row is None:
        try:
            with attempt(session):
                row = RoundSite(round_id=round_id, site_id=site_id, **values)  # type: ignore[arg-type]
                session.add(row)
            return row
        except IntegrityError:  # PostgreSQL: another request made the row meanwhile
            row = session.get_one(RoundSite, (round_id, site_id))
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _cover_by_inspection(
    session: Session, round_: CampaignRound, inspection: Inspection, failing: bool, day: date
) -> None:
    assert round_.id is not None and inspection.id is not None
    _mark(
        session,
        round_.id,
        inspection.site_id,
        state=CoverageState.covered,
        outcome=None,
        inspection_id=inspection.id,
        failing=failing,
        covered_on=day,
    )


def _has_failures(session: Session, inspection_id: int) -> bool:
    return (
        session.exec(
            select(Answer.id).where(
                Answer.inspection_id == inspection_id, Answer.result == Result.failed
            )
        ).first()
        is not None
    )


def _rounds_for(
    session: Session, site: Site, template_id: int, day: date
) -> list[tuple[Campaign, CampaignRound]]:
    """Rounds running on `day` of campaigns of the site's subdistrict with this checklist."""
    return list(
        session.exec(
            select(Campaign, CampaignRound)
            .join(CampaignRound, CampaignRound.campaign_id == Campaign.id)
            .where(
                Campaign.subdistrict_id == site.subdistrict_id,
                Campaign.template_id == template_id,
                CampaignRound.starts_on <= day,
                CampaignRound.ends_on >= day,
            )
        )
    )


def in_round(
    session: Session, campaign: Campaign, round_: CampaignRound, site_id: int, time_zone: str
) -> bool:
    query = round_sites(campaign, round_, time_zone, Site.id).where(Site.id == site_id)
    return session.execute(query).first() is not None


@inspections.on_submitted
def cover_on_submit(
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    findings: list[inspections.Finding],
    time_zone: str,
) -> None:
    """A submitted inspection covers its site in the round it was started from (if begun within
    it) and in every running round of its checklist whose scope holds the site, but not in
    another round of that same campaign: a visit of round 1 sent late is not round 2's too."""
    assert inspection.submitted_at is not None
    site = session.get_one(Site, inspection.site_id)
    version = session.get_one(TemplateVersion, inspection.version_id)
    failing = bool(findings)
    submitted_day = office_day(inspection.submitted_at, time_zone)
    done: set[int] = set()
    linked_campaign: int | None = None
    if inspection.round_id is not None:
        round_ = session.get_one(CampaignRound, inspection.round_id)
        started_day = office_day(inspection.started_at, time_zone)
        if round_.starts_on <= started_day <= round_.ends_on:
            _cover_by_inspection(session, round_, inspection, failing, submitted_day)
            done.add(inspection.round_id)
            linked_campaign = round_.campaign_id
    for campaign, round_ in _rounds_for(session, site, version.template_id, submitted_day):
        assert round_.id is not None
        if round_.id in done or round_.campaign_id == linked_campaign:
            continue
        if in_round(session, campaign, round_, site.id, time_zone):  # type: ignore[arg-type]
            _cover_by_inspection(session, round_, inspection, failing, submitted_day)


@inspections.on_round_link
def check_round_link(
    session: Session,
    user: CurrentUser,
    site: Site,
    template_code: str,
    round_id: int,
    time_zone: str,
) -> None:
    """An inspection may name a round of its subdistrict, with its checklist, holding the site."""
    found = session.exec(
        select(Campaign, CampaignRound, ChecklistTemplate)
        .join(CampaignRound, CampaignRound.campaign_id == Campaign.id)
        .join(ChecklistTemplate, ChecklistTemplate.id == Campaign.template_id)
        .where(CampaignRound.id == round_id, Campaign.subdistrict_id == site.subdistrict_id)
    ).first()
    if found is None:
        raise Invalid(
            _("This campaign round does not exist."), fields={"round_id": _("Unknown round.")}
        )
    campaign, round_, template = found
    if template.code != template_code:
        raise Invalid(
            _("This round uses another checklist."),
            fields={"round_id": _("Start the round's checklist: %(c)s.") % {"c": template.code}},
        )
    if not in_round(session, campaign, round_, site.id, time_zone):  # type: ignore[arg-type]
        raise Invalid(
            _("This site is not part of that round."), fields={"round_id": _("Not in this round.")}
        )


def match_earlier_inspections(
    *, session: Session, campaign: Campaign, round_: CampaignRound, time_zone: str
) -> int:
    """Cover the sites of a round with inspections submitted in it before it was planned (or
    added, for a round 2), except visits started from another round of the same campaign."""
    start, end = _window_utc(round_, time_zone)
    members = round_sites(campaign, round_, time_zone, Site.id)
    siblings = select(CampaignRound.id).where(
        CampaignRound.campaign_id == campaign.id, CampaignRound.id != round_.id
    )
    found = session.exec(
        select(Inspection)
        .join(TemplateVersion, TemplateVersion.id == Inspection.version_id)
        .where(
            TemplateVersion.template_id == campaign.template_id,
            Inspection.status == InspectionStatus.submitted,
            col(Inspection.submitted_at) >= start,
            col(Inspection.submitted_at) < end,
            col(Inspection.site_id).in_(members),
            or_(col(Inspection.round_id).is_(None), col(Inspection.round_id).not_in(siblings)),
        )
        .order_by(col(Inspection.submitted_at), col(Inspection.id))
    )
    count = 0
    for inspection in found:
        assert inspection.id is not None and inspection.submitted_at is not None
        day = office_day(inspection.submitted_at, time_zone)
        _cover_by_inspection(
            session, round_, inspection, _has_failures(session, inspection.id), day
        )
        count += 1
    return count


# --- outcomes on the spot -------------------------------------------------------------------


def fieldwork_round(
    *, session: Session, user: CurrentUser, round_id: int
) -> tuple[Campaign, CampaignRound]:
    """A round an inspector (of its subdistrict) or the office may record work in; 404 else
    (owners: 403, whatever the round, so nothing leaks)."""
    if user.role == Role.owner:
        raise Forbidden(_("Only inspection staff record outcomes."))
    found = session.exec(
        select(Campaign, CampaignRound)
        .join(CampaignRound, CampaignRound.campaign_id == Campaign.id)
        .where(CampaignRound.id == round_id)
    ).first()
    if found is None or not _may_work_in(user, found[0].subdistrict_id):
        raise NotFound(_("This round does not exist or is not visible to you."))
    return found


def _may_work_in(user: CurrentUser, subdistrict_id: int) -> bool:
    if user.role in OFFICE_ROLES and user.city_wide:
        return True
    return user.role in (Role.inspector, *OFFICE_ROLES) and user.subdistrict_id == subdistrict_id


def site_of_round(
    *, session: Session, user: CurrentUser, round_id: int, site_id: int, time_zone: str
) -> tuple[Campaign, CampaignRound, Site]:
    """The round, and a site of it this user may see; 404 / 422 otherwise."""
    campaign, round_ = fieldwork_round(session=session, user=user, round_id=round_id)
    site = get_site(session=session, user=user, site_id=site_id)
    if not in_round(session, campaign, round_, site_id, time_zone):
        raise Invalid(
            _("This site is not part of that round."), fields={"site_id": _("Not in this round.")}
        )
    return campaign, round_, site


class SitePhotos:
    """A photo of a site for an outcome (e.g. the shop told to close), sent before the outcome."""

    def __init__(self, user: CurrentUser, round_id: int, site_id: int, time_zone: str) -> None:
        self.user, self.round_id, self.site_id, self.time_zone = user, round_id, site_id, time_zone

    def locate(self, session: Session) -> Slot:
        if self.user.role == Role.owner:
            raise Forbidden(_("Only inspection staff record outcomes."))
        site_of_round(
            session=session,
            user=self.user,
            round_id=self.round_id,
            site_id=self.site_id,
            time_zone=self.time_zone,
        )
        return Slot(item_code="", site_id=self.site_id)

    def admit(self, session: Session, item_code: str) -> Slot:
        return self.locate(session)


def _same_outcome(stored: SiteOutcome, round_id: int, data: OutcomeIn, photos: list[str]) -> bool:
    return (stored.round_id, stored.site_id, stored.outcome, stored.note) == (
        round_id,
        data.site_id,
        data.outcome,
        data.note.strip(),
    ) and sorted(photos) == sorted(data.photo_ids)


def outcome_photos(session: Session, outcome_id: int) -> list[str]:
    return list(session.exec(select(Photo.uuid).where(Photo.outcome_id == outcome_id)))


def record_outcome(
    *,
    session: Session,
    user: CurrentUser,
    round_id: int,
    uuid: str,
    data: OutcomeIn,
    time_zone: str,
) -> SiteOutcome:
    """Record that a site could not be inspected, once per client UUID (a replay returns what
    is stored; the same UUID with other content is 409)."""
    existing = session.exec(select(SiteOutcome).where(SiteOutcome.uuid == uuid)).first()
    if existing is not None:
        fieldwork_round(session=session, user=user, round_id=existing.round_id)
        assert existing.id is not None
        if existing.recorded_by == user.id and _same_outcome(
            existing, round_id, data, outcome_photos(session, existing.id)
        ):
            return existing
        raise Conflict(_("This outcome id is already used for another record."))
    if user.role == Role.owner:
        raise Forbidden(_("Only inspection staff record outcomes."))
    _campaign, round_, site = site_of_round(
        session=session, user=user, round_id=round_id, site_id=data.site_id, time_zone=time_zone
    )
    now = datetime.now(UTC)
    recorded_at = check_client_time(data.recorded_at, "recorded_at") if data.recorded_at else now
    day = office_day(recorded_at, time_zone)
    if not round_.starts_on <= day <= round_.ends_on:
        raise Invalid(
            _("This round runs from %(a)s to %(b)s.")
            % {"a": round_.starts_on, "b": round_.ends_on},
            fields={"recorded_at": _("Outside the round.")},
        )
    note = data.note.strip()
    if data.outcome in NEEDS_NOTE and not note:
        raise Invalid(_("Say what you told them."), fields={"note": _("Required.")})
    photos = _loose_photos(session, user, site, data.photo_ids)
    if data.outcome in NEEDS_PHOTO and not photos:
        raise Invalid(
            _("Add a photo of the closed premises."), fields={"photo_ids": _("Required.")}
        )
    outcome = SiteOutcome(
        uuid=uuid,
        round_id=round_id,
        site_id=data.site_id,
        outcome=data.outcome,
        note=note,
        recorded_by=user.id,
        recorded_at=recorded_at,
    )
    session.add(outcome)
    session.flush()
    for photo in photos:
        photo.outcome_id = outcome.id
        session.add(photo)
    current = session.get(RoundSite, (round_id, data.site_id))
    if data.outcome.covers:
        _mark(
            session,
            round_id,
            data.site_id,
            state=CoverageState.covered,
            outcome=data.outcome,
            inspection_id=None,
            failing=False,
            covered_on=day,
        )
    elif current is None or current.state != CoverageState.covered:
        _mark(
            session, round_id, data.site_id, state=CoverageState.unreachable, outcome=data.outcome
        )
    session.flush()
    return outcome


def _loose_photos(
    session: Session, user: CurrentUser, site: Site, photo_ids: list[str]
) -> list[Photo]:
    """Photos of this site sent for an outcome by this user and not yet attached to one."""
    wanted = sorted(set(photo_ids))
    if not wanted:
        return []
    found = list(
        session.exec(
            select(Photo).where(
                col(Photo.uuid).in_(wanted),
                Photo.site_id == site.id,
                Photo.uploaded_by == user.id,
                col(Photo.outcome_id).is_(None),
            )
        )
    )
    if len(found) != len(wanted):
        raise Invalid(
            _("Some photos have not arrived yet, or belong elsewhere."),
            fields={"photo_ids": _("Upload each photo of this site first.")},
        )
    return found
