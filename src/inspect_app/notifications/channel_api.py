"""Administrators' JSON API for channels (WeCom, DingTalk, webhooks) and the delivery log."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import FromQuery, JSONBody, QueryParameter

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import admin_only
from inspect_app.bounds import Id, Offset
from inspect_app.deps import DbSession
from inspect_app.models import DeliveryState
from inspect_app.notifications import channel_admin
from inspect_app.notifications.channel_schemas import (
    ChannelIn,
    ChannelList,
    ChannelOut,
    DeliveryOut,
    DeliveryPage,
)


class ChannelsApiController(Controller):
    path = "/api/v1/admin"
    guards = [admin_only]
    tags = ["channels"]

    @get("/channels", responses=ERRORS, sync_to_thread=True)
    def list_channels(self, request: Request, db: DbSession) -> ChannelList:
        """The channels of your subdistrict (every one for a city-wide administrator)."""
        rows = channel_admin.list_channels(session=db, actor=request.user)
        return ChannelList(items=[ChannelOut.of(c) for c in rows])

    @post("/channels", responses=ERRORS, sync_to_thread=True, status_code=201)
    def create_channel(
        self, request: Request, db: DbSession, data: JSONBody[ChannelIn]
    ) -> ChannelOut:
        """Add a channel: a WeCom or DingTalk group robot, or a signed JSON webhook."""
        channel = channel_admin.save_channel(session=db, actor=request.user, data=data.fields())
        return ChannelOut.of(channel)

    @get("/channels/{channel_id:int}", responses=ERRORS, sync_to_thread=True)
    def get_channel(self, request: Request, db: DbSession, channel_id: Id) -> ChannelOut:
        channel = channel_admin.get_channel(session=db, actor=request.user, channel_id=channel_id)
        return ChannelOut.of(channel)

    @put("/channels/{channel_id:int}", responses=ERRORS, sync_to_thread=True)
    def update_channel(
        self, request: Request, db: DbSession, channel_id: Id, data: JSONBody[ChannelIn]
    ) -> ChannelOut:
        """Change a channel's name, address, secret (omit it to keep it), team or `active`;
        its kind and subdistrict stay."""
        channel = channel_admin.save_channel(
            session=db, actor=request.user, data=data.fields(), channel_id=channel_id
        )
        return ChannelOut.of(channel)

    @post("/channels/{channel_id:int}/test", responses=ERRORS, sync_to_thread=True, status_code=200)
    def test_channel(self, request: Request, channel_id: Id) -> DeliveryOut:
        """Send a test message now; the answer (and the log) says whether the channel took it."""
        row = channel_admin.send_test(request.app.state.db, request.user, channel_id)
        return DeliveryOut.of(row)

    @get("/deliveries", responses=ERRORS, sync_to_thread=True)
    def list_deliveries(
        self,
        request: Request,
        db: DbSession,
        channel_id: FromQuery[Id | None] = None,
        state_filter: Annotated[DeliveryState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=channel_admin.LOG_MAX_LIMIT)] = 50,
        offset: FromQuery[Offset] = 0,
    ) -> DeliveryPage:
        """The delivery log, newest first: state, attempts and the last error of each."""
        rows, total = channel_admin.delivery_log(
            session=db,
            actor=request.user,
            channel_id=channel_id,
            state=state_filter,
            limit=limit,
            offset=offset,
        )
        return DeliveryPage(
            items=[DeliveryOut.of(r) for r in rows], total=total, limit=limit, offset=offset
        )
