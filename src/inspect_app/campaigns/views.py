"""Campaign pages for the office (supervisors, administrators): the list, plan and edit a
campaign, its rounds, a round's coverage board with the uncovered list and bulk reassignment,
and the exports. They call the same services as the JSON API (`campaigns/api.py`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlmodel import Session, select

from inspect_app import sheets
from inspect_app.auth.guards import office_only
from inspect_app.bounds import Id
from inspect_app.campaigns import assign, board, charts, coverage, export, forms, present, service
from inspect_app.campaigns.schemas import RoundStatus
from inspect_app.checklists import service as checklists
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import AppError
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized, ngettext
from inspect_app.models import Campaign, Repeat, ScopeKind, SiteKind, Subdistrict
from inspect_app.settings import Settings
from inspect_app.timezone import add_days, today_in
from inspect_app.web import done, is_htmx, render

PAGE_SIZE = 30
GENERIC = "Some fields need attention."


def field_errors(exc: AppError) -> dict[str, str]:
    """A refusal shown at its field: the service's sentence (which names what is wrong, e.g.
    the unknown sites) and, on a line of its own, the field's words, when one field is named."""
    if not exc.fields:
        return {"form": exc.message}
    if len(exc.fields) == 1 and exc.message != _(GENERIC):
        (name, words), *_rest = exc.fields.items()
        return {name: words if words == exc.message else f"{exc.message}\n{words}"}
    return dict(exc.fields)


def _refused(exc: AppError) -> bool:
    return exc.status_code in (409, 422)


def _subdistrict(request: Request, campaign: Campaign | None = None) -> int | None:
    """Whose teams and buildings the forms offer (None: every one, for city-wide accounts)."""
    if campaign is not None:
        return campaign.subdistrict_id
    return None if request.user.city_wide else request.user.subdistrict_id


class CampaignsController(Controller):
    include_in_schema = False  # pages, not part of the API
    path = "/campaigns"
    guards = [office_only]

    @get("/", sync_to_thread=True)
    def list_page(self, request: Request, db: DbSession, settings: AppSettings) -> Template:
        """Each campaign with its current round's coverage."""
        today = today_in(settings.time_zone)
        items = [
            present.campaign_out(session=db, campaign=c, today=today, time_zone=settings.time_zone)
            for c in service.list_campaigns(session=db, user=request.user)
        ]
        return render(request, "campaigns/list.html", campaigns=items, today=today)

    # --- plan and edit ------------------------------------------------------------------

    def _form(self, request, db, settings, *, campaign=None, values, errors=None, status=200):
        today = today_in(settings.time_zone)
        sub = _subdistrict(request, campaign)
        started = campaign is not None and campaign.starts_on <= today
        subdistricts = []
        if campaign is None and request.user.city_wide:
            subdistricts = list(db.exec(select(Subdistrict).order_by(Subdistrict.id)))
        return render(
            request,
            "campaigns/form.html",
            campaign=campaign,
            facts=board.facts(session=db, campaign=campaign) if campaign else None,
            started=started,
            values=values,
            errors=errors or {},
            templates=checklists.list_published(session=db),
            teams=board.teams(session=db, subdistrict_id=sub),
            buildings=board.buildings(session=db, subdistrict_id=sub),
            subdistricts=subdistricts,
            kinds=list(SiteKind),
            scopes=list(ScopeKind),
            repeats=list(Repeat),
            today=today,
            status_code=status,
        )

    @get("/new", sync_to_thread=True)
    def new_form(self, request: Request, db: DbSession, settings: AppSettings) -> Template:
        today = today_in(settings.time_zone)
        published = checklists.list_published(session=db)
        values = {
            "scope": ScopeKind.everything.value,
            "template_code": published[0].template.code if published else "",
            "starts_on": today.isoformat(),
            "ends_on": add_days(today, 13).isoformat(),
            "repeat": Repeat.once.value,
            "repeat_every": "1",
            "scope_kinds": [],
            "include_later": False,
        }
        return self._form(request, db, settings, values=values)

    @post("/new", sync_to_thread=True)
    def create(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: MultipartBody[dict[str, Any]],
    ) -> Template | Redirect:
        """A multipart form (a CSV of sites may come with it); a refusal shows the form again
        with everything typed, and the sites read from the file in the list box."""
        values = forms.campaign_values(data)
        file_refs: list[str] = []
        try:
            file_refs = forms.refs_from_upload(data.get("site_file"))
            refs = forms.refs_from_text(values["site_refs"]) + file_refs
            with attempt(db):
                campaign = service.create_campaign(
                    session=db,
                    user=request.user,
                    data=forms.campaign_in(values, refs, city_wide=request.user.city_wide),
                    today=today_in(settings.time_zone),
                    time_zone=settings.time_zone,
                )
        except AppError as exc:
            if not _refused(exc):
                raise
            if file_refs:
                typed = values["site_refs"].rstrip("\n")
                values["site_refs"] = "\n".join([typed, *file_refs] if typed else file_refs)
            errors = field_errors(exc)
            return self._form(request, db, settings, values=values, errors=errors, status=422)
        return done(
            request,
            f"/campaigns/{campaign.id}",
            _("Campaign %(name)s planned.", name=localized(campaign, "name")),
        )

    @get("/{campaign_id:int}/edit", sync_to_thread=True)
    def edit_form(
        self, request: Request, db: DbSession, settings: AppSettings, campaign_id: FromPath[Id]
    ) -> Template:
        campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
        values = forms.edit_values(campaign, board.template_code(session=db, campaign=campaign))
        return self._form(request, db, settings, campaign=campaign, values=values)

    @post("/{campaign_id:int}/edit", sync_to_thread=True)
    def update(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        campaign_id: FromPath[Id],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
        today = today_in(settings.time_zone)
        values = forms.campaign_values(data)
        try:
            with attempt(db):
                patch = forms.campaign_patch(values, started=campaign.starts_on <= today)
                service.update_campaign(
                    session=db, user=request.user, campaign_id=campaign_id, data=patch, today=today
                )
        except AppError as exc:
            if not _refused(exc):
                raise
            db.refresh(campaign)
            return self._form(
                request,
                db,
                settings,
                campaign=campaign,
                values=values,
                errors=field_errors(exc),
                status=exc.status_code,
            )
        return done(request, f"/campaigns/{campaign_id}", _("Campaign saved."))

    # --- a campaign and its rounds ------------------------------------------------------

    def _campaign(
        self, request, db, settings, campaign_id, *, errors=None, values=None, status=200
    ):
        campaign = service.get_campaign(session=db, user=request.user, campaign_id=campaign_id)
        today = today_in(settings.time_zone)
        out = present.campaign_out(
            session=db, campaign=campaign, today=today, time_zone=settings.time_zone
        )
        rounds = [
            present.round_out(
                session=db, campaign=campaign, round_=r, today=today, time_zone=settings.time_zone
            )
            for r in service.rounds_of(session=db, campaign=campaign)
        ]
        last = rounds[-1]
        length = (last.ends_on - last.starts_on).days
        next_start = max(add_days(last.ends_on, 1), today)
        return render(
            request,
            "campaigns/detail.html",
            campaign=out,
            facts=board.facts(session=db, campaign=campaign),
            rounds=rounds,
            today=today,
            errors=errors or {},
            values=values
            or {
                "starts_on": next_start.isoformat(),
                "ends_on": add_days(next_start, length).isoformat(),
            },
            status_code=status,
        )

    @get("/{campaign_id:int}", sync_to_thread=True)
    def detail(
        self, request: Request, db: DbSession, settings: AppSettings, campaign_id: FromPath[Id]
    ) -> Template:
        return self._campaign(request, db, settings, campaign_id)

    @post("/{campaign_id:int}/rounds", sync_to_thread=True)
    def add_round(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        campaign_id: FromPath[Id],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """Another round of a one-off campaign over the same sites ("round 2")."""
        try:
            with attempt(db):
                round_ = service.add_round(
                    session=db,
                    user=request.user,
                    campaign_id=campaign_id,
                    data=forms.round_in(data),
                    today=today_in(settings.time_zone),
                    time_zone=settings.time_zone,
                )
        except AppError as exc:
            if not _refused(exc):
                raise
            values = {k: str(data.get(k) or "") for k in ("starts_on", "ends_on")}
            return self._campaign(
                request,
                db,
                settings,
                campaign_id,
                errors=field_errors(exc),
                values=values,
                status=exc.status_code,
            )
        return done(
            request,
            f"/campaigns/{campaign_id}",
            _("Round %(n)s added.", n=round_.number),
        )

    # --- a round's coverage board ------------------------------------------------------

    def _board(self, request, db, settings, round_id, *, errors=None, values=None, status=200):
        campaign, round_ = service.get_round(session=db, user=request.user, round_id=round_id)
        today = today_in(settings.time_zone)
        f = forms.list_filter(request.query_params, PAGE_SIZE)
        page = board.site_page(
            session=db, campaign=campaign, round_=round_, time_zone=settings.time_zone, f=f
        )
        context: dict[str, Any] = {
            "campaign": campaign,
            "round_": round_,
            "today": today,
            "f": f,
            "sites": page,
            "pages": max(1, -(-page.total // PAGE_SIZE)),
            "ended": service.round_status(round_, today) == RoundStatus.ended,
            "errors": errors or {},
            "values": values or {"pick": "selected"},
        }
        if is_htmx(request) and not errors:
            return render(request, "campaigns/_sites.html", **context)
        found = board.board(
            session=db, campaign=campaign, round_=round_, today=today, time_zone=settings.time_zone
        )
        return render(
            request,
            "campaigns/board.html",
            **context,
            b=found,
            name=localized(campaign, "name"),
            progress=charts.progress_svg(
                found.series,
                starts_on=round_.starts_on,
                ends_on=round_.ends_on,
                total=found.found.whole.total,
            ),
            site_map=found.site_map,
            binned=len(found.points) > charts.MAX_POINTS,
            charts=charts,
            teams=board.teams(session=db, subdistrict_id=campaign.subdistrict_id, active_only=True),
            inspectors=board.inspectors(session=db, subdistrict_id=campaign.subdistrict_id),
            kinds=list(SiteKind),
            status_code=status,
        )

    @get("/rounds/{round_id:int}", sync_to_thread=True)
    def round_board(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> Template:
        """The whole board, or (for htmx) the uncovered list as its filters change."""
        return self._board(request, db, settings, round_id)

    @post("/rounds/{round_id:int}/assignments", sync_to_thread=True)
    def reassign(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        """Give the sites ticked in the list, or those of a building, kind or team, to a team
        or a named inspector; the board says how many."""
        try:
            with attempt(db):
                assignment = forms.assignment_in(data)
                changed = assign.reassign(
                    session=db,
                    user=request.user,
                    round_id=round_id,
                    data=assignment,
                    time_zone=settings.time_zone,
                    today=today_in(settings.time_zone),
                )
        except AppError as exc:
            if not _refused(exc):
                raise
            values = {k: v for k, v in data.items() if k != "_csrf_token"}
            values["site_ids"] = forms.many(data, "site_ids")
            return self._board(
                request,
                db,
                settings,
                round_id,
                errors=field_errors(exc),
                values=values,
                status=exc.status_code,
            )
        target = board.target_name(session=db, data=assignment)
        if changed:
            message = ngettext(
                "%(num)s site given to %(to)s.",
                "%(num)s sites given to %(to)s.",
                changed,
                to=target,
            )
        else:
            message = _("No site of this round matched; nothing changed.")
        back = forms.back_query(data)
        return done(request, f"/campaigns/rounds/{round_id}{back}#uncovered", message)

    # --- exports ----------------------------------------------------------------------------

    @get("/rounds/{round_id:int}/uncovered.csv", sync_to_thread=True)
    def uncovered_csv(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> Response:
        return _sites_export(request, db, settings, round_id, "csv")

    @get("/rounds/{round_id:int}/uncovered.xlsx", sync_to_thread=True)
    def uncovered_xlsx(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> Response:
        return _sites_export(request, db, settings, round_id, "xlsx")

    @get("/rounds/{round_id:int}/teams.csv", sync_to_thread=True)
    def teams_csv(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> Response:
        return _teams_export(request, db, settings, round_id, "csv")

    @get("/rounds/{round_id:int}/teams.xlsx", sync_to_thread=True)
    def teams_xlsx(
        self, request: Request, db: DbSession, settings: AppSettings, round_id: FromPath[Id]
    ) -> Response:
        return _teams_export(request, db, settings, round_id, "xlsx")


def _file(body: bytes, fmt: str, name: str) -> Response:
    media = sheets.CSV_TYPE if fmt == "csv" else sheets.XLSX_TYPE
    return Response(body, media_type=media, headers=sheets.attachment(f"{name}.{fmt}"))


def _sites_export(request: Request, db: Session, settings: Settings, round_id: int, fmt: str):
    """Every site the list's filters select (not one page), in the reader's language."""
    campaign, round_ = service.get_round(session=db, user=request.user, round_id=round_id)
    f = forms.list_filter(request.query_params, None)
    page = board.site_page(
        session=db, campaign=campaign, round_=round_, time_zone=settings.time_zone, f=f
    )
    today = today_in(settings.time_zone)
    body = export.sites_file(fmt, page, round_, today)
    return _file(body, fmt, f"round-{round_id}-{f.status}-{today.isoformat()}")


def _teams_export(request: Request, db: Session, settings: Settings, round_id: int, fmt: str):
    campaign, round_ = service.get_round(session=db, user=request.user, round_id=round_id)
    found = coverage.coverage(
        session=db, campaign=campaign, round_=round_, time_zone=settings.time_zone
    )
    today = today_in(settings.time_zone)
    return _file(export.teams_file(fmt, found), fmt, f"round-{round_id}-teams-{today.isoformat()}")
