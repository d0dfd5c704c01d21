"""JSON campaign API: plan campaigns and rounds (office), coverage and the round's sites,
bulk reassignment, outcomes recorded on the spot (idempotent under a client UUID), and the
inspector's to do list."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlmodel import Session

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import office_only, require_login
from inspect_app.bounds import Id, Offset, OptionalId
from inspect_app.campaigns import assign, coverage, present, service, visits
from inspect_app.campaigns.schemas import (
    LIMIT_MAX,
    AssignmentIn,
    AssignmentOut,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CoverageOut,
    OutcomeIn,
    OutcomeOut,
    RoundIn,
    RoundOut,
    RoundSitePage,
    TodoPage,
)
from inspect_app.campaigns.todo import done_today, todo
from inspect_app.db import ends_in_worker_thread
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import SiteOutcome
from inspect_app.photos.intake import UPLOAD, receive_photo
from inspect_app.photos.schemas import PhotoOut
from inspect_app.settings import Settings
from inspect_app.timezone import today_in
from inspect_app.web import check_uuid


def _campaign(db: Session, settings: Settings, campaign_id: int, request: Request) -> CampaignOut:
    campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
    return present.campaign_out(
        session=db,
        campaign=campaign,
        today=today_in(settings.time_zone),
        time_zone=settings.time_zone,
    )


class CampaignsApiController(Controller):
    path = "/api/v1/campaigns"
    guards = [office_only]
    tags = ["campaigns"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_campaigns(
        self, request: Request, db: DbSession, settings: AppSettings
    ) -> CampaignPage:
        """The campaigns of your subdistrict, newest first, each with its current round."""
        today = today_in(settings.time_zone)
        found = service.list_campaigns(session=db, user=request.user)
        items = [
            present.campaign_out(session=db, campaign=c, today=today, time_zone=settings.time_zone)
            for c in found
        ]
        return CampaignPage(items=items, total=len(items))

    @post("/", responses=ERRORS, sync_to_thread=True, status_code=201)
    @ends_in_worker_thread
    def create_campaign(
        self, request: Request, db: DbSession, settings: AppSettings, data: JSONBody[CampaignIn]
    ) -> CampaignOut:
        """Plan a campaign: its rounds are made at once (one, or one per period)."""
        campaign = service.create_campaign(
            session=db,
            user=request.user,
            data=data,
            today=today_in(settings.time_zone),
            time_zone=settings.time_zone,
        )
        assert campaign.id is not None
        return _campaign(db, settings, campaign.id, request)

    @get("/{campaign_id:int}", responses=ERRORS, sync_to_thread=True)
    def get_campaign(
        self, request: Request, db: DbSession, settings: AppSettings, campaign_id: FromPath[Id]
    ) -> CampaignOut:
        return _campaign(db, settings, campaign_id, request)

    @patch("/{campaign_id:int}", responses=ERRORS, sync_to_thread=True)
    @ends_in_worker_thread
    def update_campaign(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        campaign_id: FromPath[Id],
        data: JSONBody[CampaignPatch],
    ) -> CampaignOut:
        """Rename, change the end, include late sites; the checklist, start and recurrence only
        until the first round begins (409 after)."""
        service.update_campaign(
            session=db,
            user=request.user,
            campaign_id=campaign_id,
            data=data,
            today=today_in(settings.time_zone),
        )
        return _campaign(db, settings, campaign_id, request)

    @get("/{campaign_id:int}/rounds", responses=ERRORS, sync_to_thread=True)
    def list_rounds(
        self, request: Request, db: DbSession, settings: AppSettings, campaign_id: FromPath[Id]
    ) -> list[RoundOut]:
        """Every round, with its coverage; an ended round's uncovered sites are `missed`."""
        campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
        today = today_in(settings.time_zone)
        return [
            present.round_out(
                session=db, campaign=campaign, round_=r, today=today, time_zone=settings.time_zone
            )
            for r in service.rounds_of(session=db, campaign=campaign)
        ]

    @post("/{campaign_id:int}/rounds", responses=ERRORS, sync_to_thread=True, status_code=201)
    @ends_in_worker_thread
    def add_round(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        campaign_id: FromPath[Id],
        data: JSONBody[RoundIn],
    ) -> RoundOut:
        """Another round of a one-off campaign over the same scope ("round 2")."""
        today = today_in(settings.time_zone)
        round_ = service.add_round(
            session=db,
            user=request.user,
            campaign_id=campaign_id,
            data=data,
            today=today,
            time_zone=settings.time_zone,
        )
        campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
        return present.round_out(
            session=db, campaign=campaign, round_=round_, today=today, time_zone=settings.time_zone
        )


class RoundsApiController(Controller):
    path = "/api/v1/rounds"
    guards = [require_login]
    tags = ["campaigns"]

    @get("/{round_id:int}/coverage", guards=[office_only], responses=ERRORS, sync_to_thread=True)
    def get_coverage(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> CoverageOut:
        """Covered / total, by team, building and kind (furthest behind first), outcome counts."""
        campaign, round_ = service.get_round(session=db, user=request.user, round_id=round_id)
        tz = settings.time_zone
        today = today_in(tz)
        found = coverage.coverage(session=db, campaign=campaign, round_=round_, time_zone=tz)
        header = present.round_out(
            session=db,
            campaign=campaign,
            round_=round_,
            today=today,
            time_zone=tz,
            totals=found.whole,
        )
        return present.coverage_out(header, found)

    @get("/{round_id:int}/sites", guards=[office_only], responses=ERRORS, sync_to_thread=True)
    def list_sites(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        status: FromQuery[str] = "all",
        team_id: FromQuery[OptionalId] = None,
        building_id: FromQuery[OptionalId] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=LIMIT_MAX)] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> RoundSitePage:
        """The round's sites by building; `status`: uncovered, covered, unreachable, pending
        or all."""
        if status not in coverage.STATUS_FILTERS:
            raise Invalid(
                _("Unknown status filter."),
                fields={"status": ", ".join(coverage.STATUS_FILTERS)},
            )
        campaign, round_ = service.get_round(session=db, user=request.user, round_id=round_id)
        rows, total = coverage.site_rows(
            session=db,
            campaign=campaign,
            round_=round_,
            time_zone=settings.time_zone,
            status=status,
            team_id=team_id,
            building_id=building_id,
            limit=limit,
            offset=offset,
        )
        today = today_in(settings.time_zone)
        return RoundSitePage(
            items=[present.round_site_out(r, round_, today) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @put("/{round_id:int}/assignments", guards=[office_only], responses=ERRORS, sync_to_thread=True)
    @ends_in_worker_thread
    def reassign(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        data: JSONBody[AssignmentIn],
    ) -> AssignmentOut:
        """Give sites (named, or matching building / kind / team) to a team or an inspector."""
        changed = assign.reassign(
            session=db,
            user=request.user,
            round_id=round_id,
            data=data,
            time_zone=settings.time_zone,
            today=today_in(settings.time_zone),
        )
        return AssignmentOut(changed=changed)

    @put("/{round_id:int}/outcomes/{uuid:str}", responses=ERRORS, sync_to_thread=True)
    @ends_in_worker_thread
    def put_outcome(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        uuid: FromPath[str],
        data: JSONBody[OutcomeIn],
    ) -> OutcomeOut:
        """Record that a site could not be inspected (closed, told to close, refused, no one
        present); a replay of the same UUID returns what is stored. Told to close needs a note
        and a photo (sent first to /rounds/{id}/sites/{site_id}/photos/{photo_id})."""
        outcome = visits.record_outcome(
            session=db,
            user=request.user,
            round_id=round_id,
            uuid=check_uuid(uuid),
            data=data,
            time_zone=settings.time_zone,
        )
        return _outcome_out(db, outcome)

    @put("/{round_id:int}/sites/{site_id:int}/photos/{photo_uuid:str}", responses=ERRORS, **UPLOAD)
    async def upload_site_photo(
        self,
        request: Request,
        round_id: FromPath[Id],
        site_id: FromPath[Id],
        photo_uuid: FromPath[str],
    ) -> PhotoOut:
        """A photo of a site for an outcome (multipart `file`); name it in the outcome's
        `photo_ids`."""
        settings: Settings = request.app.state.settings
        target = visits.SitePhotos(request.user, round_id, site_id, settings.time_zone)
        return await receive_photo(request, photo_uuid, target)


def _outcome_out(db: Session, outcome: SiteOutcome) -> OutcomeOut:
    assert outcome.id is not None
    return OutcomeOut(
        uuid=outcome.uuid,
        round_id=outcome.round_id,
        site_id=outcome.site_id,
        outcome=outcome.outcome,
        covers=outcome.outcome.covers,
        note=outcome.note,
        photo_ids=sorted(visits.outcome_photos(db, outcome.id)),
        recorded_at=outcome.recorded_at,
    )


class TodoApiController(Controller):
    path = "/api/v1/me/todo"
    guards = [require_login]
    tags = ["campaigns"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def my_todo(self, request: Request, db: DbSession, settings: AppSettings) -> TodoPage:
        """An inspector's sites of running rounds not yet covered (refused or absent ones too:
        they need another visit), by round end, then building, and how many were covered
        today. Empty for other roles."""
        today = today_in(settings.time_zone)
        rows = todo(session=db, user=request.user, today=today, time_zone=settings.time_zone)
        done = done_today(session=db, user=request.user, today=today, time_zone=settings.time_zone)
        return TodoPage(
            items=[present.todo_out(r, today) for r in rows], total=len(rows), done_today=done
        )
