"""The inspector's to do page (every site of it; the home page shows the first) and the "could
not inspect" form. The form works without script; with it (static/js/todo.js) the outcome and
its photo go through the outbox instead, so they are kept on the phone without signal and sent
once under the form's client UUID, which this page makes."""

from __future__ import annotations

import uuid as uuidlib

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.auth.guards import require_login
from inspect_app.bounds import Id, column_length, unstorable
from inspect_app.campaigns import visits
from inspect_app.campaigns.schemas import MAX_OUTCOME_PHOTOS, OutcomeIn
from inspect_app.campaigns.todo_board import todo_board
from inspect_app.db import attempt
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Conflict, Invalid
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.labels import outcome as outcome_label
from inspect_app.models import Outcome, RoundSite, Site, SiteOutcome
from inspect_app.timezone import today_in
from inspect_app.web import check_uuid, done, render

NOTE_MAX = column_length(SiteOutcome, "note")
UUID_CHARS = 36


def _photo_ids(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",", MAX_OUTCOME_PHOTOS + 1) if p.strip()]


def read_outcome(data: dict[str, str], site_id: int) -> OutcomeIn:
    """The form as the API's body; each field refused says why at the field."""
    errors: dict[str, str] = {}
    try:
        outcome = Outcome(data.get("outcome", ""))
    except ValueError:
        errors["outcome"] = _("Choose what you found.")
    note = data.get("note", "")
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(n)s characters.", n=NOTE_MAX)
    elif unstorable(note):
        errors["note"] = _("This text has characters that cannot be stored.")
    photos = _photo_ids(data.get("photo_ids", ""))
    if len(photos) > MAX_OUTCOME_PHOTOS or any(len(p) > UUID_CHARS for p in photos):
        errors["photo_ids"] = _("At most %(n)s photos.", n=MAX_OUTCOME_PHOTOS)
    if errors:
        raise Invalid(_("Check the fields marked below."), fields=errors)
    return OutcomeIn(site_id=site_id, outcome=outcome, note=note, photo_ids=photos)


class TodoController(Controller):
    include_in_schema = False  # pages, not part of the API
    path = "/todo"
    guards = [require_login]

    @get("/", sync_to_thread=True)
    def page(self, request: Request, db: DbSession, settings: AppSettings) -> Template:
        """Every site of the inspector's to do (empty for other roles)."""
        board = todo_board(
            session=db,
            user=request.user,
            today=today_in(settings.time_zone),
            time_zone=settings.time_zone,
        )
        return render(request, "home/todo.html", todo=board)

    def _form(
        self, request, db, settings, round_id, site_id, *, values, errors=None, status=200
    ) -> Template:
        campaign, round_, site = visits.site_of_round(
            session=db,
            user=request.user,
            round_id=round_id,
            site_id=site_id,
            time_zone=settings.time_zone,
        )
        return render(
            request,
            "campaigns/outcome.html",
            campaign=campaign,
            round_=round_,
            site=site,
            where=db.get(RoundSite, (round_id, site_id)),
            outcomes=list(Outcome),
            values=values,
            errors=errors or {},
            status_code=status,
        )

    @get("/{round_id:int}/{site_id:int}/outcome", sync_to_thread=True)
    def outcome_form(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        site_id: FromPath[Id],
    ) -> Template:
        """Could not inspect: closed, closed down, told to close, refused entry, no one in."""
        values = {"uuid": str(uuidlib.uuid4())}
        return self._form(request, db, settings, round_id, site_id, values=values)

    @post("/{round_id:int}/{site_id:int}/outcome", sync_to_thread=True, status_code=303)
    def record(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        round_id: FromPath[Id],
        site_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        """Record the outcome once under the form's UUID (a second tap is a replay); a refusal
        shows the form again as typed, with the reasons at the fields."""
        values = {k: data.get(k, "") for k in ("uuid", "outcome", "note", "photo_ids")}
        try:
            key = check_uuid(values["uuid"])
            with attempt(db):
                visits.record_outcome(
                    session=db,
                    user=request.user,
                    round_id=round_id,
                    uuid=key,
                    data=read_outcome(data, site_id),
                    time_zone=settings.time_zone,
                )
        except (Invalid, Conflict) as exc:
            if isinstance(exc, Conflict) or "uuid" in exc.fields:
                values["uuid"] = str(uuidlib.uuid4())  # that id is spent, or was never one
            errors = {"form": exc.message, **exc.fields}
            return self._form(
                request,
                db,
                settings,
                round_id,
                site_id,
                values=values,
                errors=errors,
                status=exc.status_code,
            )
        message = _("Recorded: %(outcome)s, %(site)s.") % {
            "outcome": outcome_label(values["outcome"]),
            "site": localized(db.get_one(Site, site_id), "name"),
        }
        return done(request, "/#todo", message)
