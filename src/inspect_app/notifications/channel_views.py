"""The administrators' channels page: the channels of the subdistrict, adding one, sending a
test, turning one off or on, and the delivery log (README "Channels")."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.accounts.service import list_teams
from inspect_app.auth.guards import admin_only
from inspect_app.bounds import Id, parse_whole
from inspect_app.deps import DbSession
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.models import DeliveryState
from inspect_app.notifications import channel_admin
from inspect_app.notifications.channel_admin import ChannelFields
from inspect_app.notifications.channel_schemas import masked_url
from inspect_app.web import done, render

LOG_ROWS = 50


class ChannelsPageController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/admin/channels"
    guards = [admin_only]

    def _page(self, request, db, values: dict, errors: dict, status=200, refused=None):
        actor = request.user
        channels = channel_admin.list_channels(session=db, actor=actor)
        teams = list_teams(session=db, actor=actor)  # the teams a channel may be for
        log, total = channel_admin.delivery_log(
            session=db, actor=actor, channel_id=None, state=None, limit=LOG_ROWS, offset=0
        )
        return render(
            request,
            "notifications/channels.html",
            channels=channels,
            names={c.id: c.name for c in channels},
            teams={t.id: t for t in teams},
            log=log,
            total=total,
            masked=masked_url,
            values=values,
            errors=errors,
            refused=refused or {},
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def channels(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db, values={"kind": "wecom"}, errors={})

    @post("/new", sync_to_thread=True)
    def create(
        self, request: Request, db: DbSession, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        fields = ChannelFields(
            kind=data.get("kind", ""),
            name=data.get("name", "")[:1000],
            url=data.get("url", "")[:2000],
            secret=data.get("secret", "")[:1000],
            subdistrict_id=None,
            team_id=parse_whole(data.get("team_id"), low=1),
            active=True,
        )
        try:
            channel = channel_admin.save_channel(session=db, actor=request.user, data=fields)
        except Invalid as exc:
            kept = {k: v for k, v in data.items() if k != "secret"}  # never echoed back
            return self._page(request, db, values=kept, errors=exc.fields, status=422)
        return done(request, "/admin/channels", _("Channel %(name)s added.", name=channel.name))

    @post("/{channel_id:int}/test", sync_to_thread=True, status_code=303)
    def test(self, request: Request, channel_id: FromPath[Id]) -> Template | Redirect:
        """Sent outside the request's transaction (a slow robot holds no lock): a refusal is
        shown at the channel, with what the robot answered."""
        app_db = request.app.state.db
        row = channel_admin.send_test(app_db, request.user, channel_id)
        if row.state == DeliveryState.sent:
            return done(request, "/admin/channels", _("Test message sent."))
        refused = {channel_id: _("The test message was not taken: %(error)s", error=row.last_error)}
        with app_db.session() as db:
            return self._page(request, db, values={"kind": "wecom"}, errors={}, refused=refused)

    @post("/{channel_id:int}/active", sync_to_thread=True, status_code=303)
    def toggle(self, request: Request, db: DbSession, channel_id: FromPath[Id]) -> Redirect:
        channel = channel_admin.toggle(session=db, actor=request.user, channel_id=channel_id)
        message = _("Channel turned on.") if channel.active else _("Channel turned off.")
        return done(request, "/admin/channels", message)
