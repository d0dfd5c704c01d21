"""Who is asking: a bearer token or the session cookie becomes `request.user` (or None)."""

from __future__ import annotations

import json
import secrets
from datetime import date

import anyio
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from inspect_app import i18n
from inspect_app.auth import service
from inspect_app.db import WRITE_METHODS, Database
from inspect_app.middleware import _cookie_value
from inspect_app.timezone import today_in

SESSION_COOKIE = "sid"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = b"x-csrftoken"


class AuthMiddleware(ASGIMiddleware):
    """Sets scope['user'] to a CurrentUser or None; login is enforced later by guards. The
    lookups (and the occasional last-seen write) run in a worker thread: a query on the event
    loop would stall every request of this worker, or wait for a lock that one of them holds."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = dict(scope.get("headers") or [])
        scope["user"] = None
        scope["auth"] = None
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        cookies = headers.get(b"cookie", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            user = await anyio.to_thread.run_sync(self._from_token, authorization[7:].strip())
            if user is None or user is EXPIRED:
                refusal = _token_expired() if user is EXPIRED else _invalid_token()
                await refusal(scope, receive, send)
                return
            scope["user"], scope["auth"] = user, "token"
        else:
            raw = _cookie_value(cookies, SESSION_COOKIE)
            if raw:
                scope["user"] = await anyio.to_thread.run_sync(self._from_session, raw)
                scope["auth"] = "session" if scope["user"] else None
        if (
            scope["auth"] == "session"
            and scope.get("path", "").startswith("/api/")
            and scope.get("method") in WRITE_METHODS
            and not _csrf_header_ok(headers, cookies)
        ):
            await _api_error(403, "csrf_failed", _msg_csrf())(scope, receive, send)
            return
        await next_app(scope, receive, send)

    def _today(self) -> date:
        return today_in(self.db.settings.time_zone)

    def _from_token(self, raw: str) -> service.CurrentUser | object | None:
        """The token's user, None for an unknown or revoked token, EXPIRED for an expired one."""
        with self.db.session() as s:
            try:
                found = service.resolve_api_token(session=s, raw=raw)
            except service.TokenExpired:
                return EXPIRED
            if found is None:
                return None
            token, user = found
            assert token.id is not None
            current = service.load_current_user(
                session=s, user=user, token_id=token.id, office_today=self._today()
            )
            stale = service.token_needs_touch(token)
        if stale:
            with self.db.session(write=True) as s:
                service.touch_token(session=s, token_id=token.id)
        return current

    def _from_session(self, raw: str) -> service.CurrentUser | None:
        with self.db.session() as s:
            found = service.resolve_session(session=s, settings=self.db.settings, raw=raw)
            if found is None:
                return None
            auth, user = found
            assert auth.id is not None
            current = service.load_current_user(
                session=s, user=user, session_id=auth.id, office_today=self._today()
            )
            stale = service.session_needs_touch(auth)
        if stale:
            with self.db.session(write=True) as s:
                service.touch_session(session=s, session_id=auth.id)
        return current


def _csrf_header_ok(headers: dict[bytes, bytes], cookies: str) -> bool:
    """Cookie-authenticated API writes must echo the CSRF cookie in X-CSRFToken."""
    cookie = _cookie_value(cookies, CSRF_COOKIE) or ""
    header = headers.get(CSRF_HEADER, b"").decode("latin-1")
    return bool(cookie) and secrets.compare_digest(cookie, header)


EXPIRED = object()


def _invalid_token() -> ASGIApp:
    return _api_error(
        401, "invalid_token", i18n.gettext("The API token is invalid, expired or revoked.")
    )


def _token_expired() -> ASGIApp:
    return _api_error(
        401,
        "token_expired",
        i18n.gettext(
            "The API token has expired. Create a new one on your account page or with "
            "POST /api/v1/auth/token."
        ),
    )


def _msg_csrf() -> str:
    return i18n.gettext("The security token is missing or wrong. Reload the page and try again.")


def _api_error(status: int, code: str, message: str) -> ASGIApp:
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return ASGIResponse(
        body=json.dumps(body).encode(), status_code=status, media_type="application/json"
    )
