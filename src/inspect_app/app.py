"""The application factory: create_app(settings) -> Litestar. Nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
from litestar import Litestar, Request, Router, get
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from sqlalchemy import text
from sqlmodel import Session

from inspect_app import __version__
from inspect_app.accounts.views import AdminTeamsController, AdminUsersController
from inspect_app.apidocs import ApiDocsPlugin
from inspect_app.auth.api import AuthApiController, MeApiController
from inspect_app.auth.guards import require_login
from inspect_app.auth.middleware import CSRF_COOKIE, AuthMiddleware
from inspect_app.auth.views import AccountController, LoginController, logout, set_locale
from inspect_app.campaigns.api import (
    CampaignsApiController,
    RoundsApiController,
    TodoApiController,
)
from inspect_app.campaigns.views import CampaignsController
from inspect_app.checklists.api import TemplatesApiController
from inspect_app.checklists.views import ChecklistsAdminController
from inspect_app.db import WRITE_METHODS, Database
from inspect_app.edge import EdgeMiddleware
from inspect_app.errors import EXCEPTION_HANDLERS
from inspect_app.inspections.api import InspectionsApiController, SiteInspectionsApiController
from inspect_app.inspections.views import InspectionsController
from inspect_app.links.api import BusinessLinkApiController
from inspect_app.links.limits import LinkLimits
from inspect_app.links.views import BusinessPageController, StaffLinkController
from inspect_app.middleware import LocaleMiddleware, RequestLogMiddleware, SecurityHeaders
from inspect_app.notices import pdf
from inspect_app.notices.api import NoticesApiController, SignaturesApiController
from inspect_app.notices.views import NoticePagesController
from inspect_app.notifications.api import NotificationsApiController
from inspect_app.notifications.channel_api import ChannelsApiController
from inspect_app.notifications.channel_views import ChannelsPageController
from inspect_app.notifications.ladder import reminder_ladder
from inspect_app.notifications.views import InboxController, bell_count
from inspect_app.notifications.worker import ReminderLoop
from inspect_app.overview.home import home
from inspect_app.overview.site_page import SitePageController
from inspect_app.overview.todo import TodoController
from inspect_app.photos.api import NO_COMPRESSION, PhotosApiController
from inspect_app.photos.storage import DirectoryStorage
from inspect_app.pwa import manifest, offline_page, service_worker
from inspect_app.rectifications.api import (
    OverdueBoardApiController,
    RectificationsApiController,
    VisitsApiController,
)
from inspect_app.rectifications.views import (
    OverdueBoardController,
    RecheckController,
    RectificationsController,
    VisitsController,
)
from inspect_app.settings import Settings
from inspect_app.sites.api import SitesApiController
from inspect_app.sites.views import SitesController
from inspect_app.web import template_config


async def provide_db_session(request: Request, state: State) -> AsyncIterator[Session]:
    """One session and one transaction per request; writes open with BEGIN IMMEDIATE on SQLite.
    The commit (or rollback) runs in a worker thread: on the event loop it would stall every
    request of this worker, and on SQLite keep the write lock while it waits for the loop."""
    db: Database = state.db
    transaction = db.session(write=request.method in WRITE_METHODS)
    session = transaction.__enter__()  # no I/O yet: the transaction begins at its first query
    try:
        yield session
    except BaseException as exc:
        await anyio.to_thread.run_sync(transaction.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await anyio.to_thread.run_sync(transaction.__exit__, None, None, None)


def provide_settings(state: State) -> Settings:
    return state.settings


@get("/healthz", sync_to_thread=True, include_in_schema=False, opt={"exclude_from_csrf": True})
def healthz(state: State) -> dict[str, str]:
    """For load balancers: no auth, one read, no writes."""
    with state.db.session() as session:
        session.exec(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    assert settings.photo_dir is not None  # set by Settings
    configure_logging(settings)
    db = Database(settings)
    reminders = ReminderLoop(db, settings.reminders_every_minutes)  # README "Reminders"
    return Litestar(
        route_handlers=[
            healthz,
            service_worker,
            manifest,
            offline_page,
            home,
            set_locale,
            logout,
            LoginController,
            AccountController,
            SitesController,
            SitePageController,
            TodoController,
            AdminUsersController,
            AdminTeamsController,
            ChecklistsAdminController,
            InspectionsController,
            RectificationsController,
            VisitsController,
            OverdueBoardController,
            RecheckController,
            CampaignsController,
            NoticePagesController,
            InboxController,
            ChannelsPageController,
            BusinessPageController,
            StaffLinkController,
            AuthApiController,
            MeApiController,
            SitesApiController,
            TemplatesApiController,
            InspectionsApiController,
            SiteInspectionsApiController,
            PhotosApiController,
            RectificationsApiController,
            VisitsApiController,
            OverdueBoardApiController,
            CampaignsApiController,
            NoticesApiController,
            NotificationsApiController,
            ChannelsApiController,
            SignaturesApiController,
            RoundsApiController,
            TodoApiController,
            BusinessLinkApiController,
            create_static_files_router(
                path="/static",
                directories=[settings.static_dir],
                cache_control=CacheControlHeader(max_age=31536000, public=True),
                include_in_schema=False,
                opt={"exclude_from_csrf": True},
            ),
        ],
        dependencies={
            "db": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        # WeasyPrint loads before any photo is processed
        on_startup=[pdf.load, reminders.start],
        state=State(
            {
                "db": db,
                "settings": settings,
                "storage": DirectoryStorage(settings.photo_dir),
                # business links: requests counted in this process (README "The business's link")
                "link_limits": LinkLimits(
                    settings.link_rate_per_token, settings.link_rate_per_address
                ),
            }
        ),
        middleware=[
            RequestLogMiddleware(),
            LocaleMiddleware(settings),
            EdgeMiddleware(),
            AuthMiddleware(db),
        ],
        # Every reply, errors raised before routing (404, 405, a refused Host) included.
        before_send=[SecurityHeaders(settings)],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_httponly=False,
            exclude=["/api/", "/static/", "/healthz"],
        ),
        # Brotli for browsers that ask for it, gzip otherwise; small bodies are left alone.
        compression_config=CompressionConfig(
            backend="brotli",
            brotli_gzip_fallback=True,
            gzip_compress_level=6,
            exclude_opt_key=NO_COMPRESSION,
        ),
        allowed_hosts=AllowedHostsConfig(allowed_hosts=list(settings.allowed_hosts)),
        template_config=template_config(
            settings, {"inbox_unread": bell_count, "reminder_ladder": reminder_ladder}
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="inspect-app API",
            version=__version__,
            path="/schema",
            render_plugins=[ApiDocsPlugin()],
            # the docs are for signed-in users only
            openapi_router=Router(path="/schema", route_handlers=[], guards=[require_login]),
        ),
        on_shutdown=[reminders.stop, db.dispose],
        request_max_body_size=10 * 1024 * 1024,
        debug=settings.debug,
    )
