"""Request ids and access logs, security headers, Secure cookies under HTTPS, and the locale."""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from inspect_app import i18n
from inspect_app.bounds import bounded, column_length
from inspect_app.models import AuthSession, LoginAttempt
from inspect_app.settings import Settings

log = logging.getLogger("inspect_app.access")

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The vendored API docs (ReDoc) style themselves inline and use blob workers.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


# Stylesheets, scripts and raster images under /static get only nosniff: the other headers act
# on documents and workers, so on a subresource they would just be ~450 bytes more per file.
SUBRESOURCE_TYPES = ("text/css", "text/javascript", "application/javascript", "image/png")
# Pages and API replies carry the user's data: no cache keeps them, not even the browser's (a
# shared phone's disk cache would outlive sign-out where Clear-Site-Data is ignored: plain HTTP).
PRIVATE = "private, no-store"
# Where an address is stored: failed logins and sessions.
ADDRESS_MAX = min(column_length(LoginAttempt, "ip"), column_length(AuthSession, "ip"))


def _is_https(scope: Scope) -> bool:
    return scope.get("scheme") == "https"


def client_ip(scope: Scope) -> str:
    """The caller's address as it may be stored. Behind a proxy it comes from X-Forwarded-For,
    which the caller writes: anything but an IP address is cut to its column, without NULs."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return bounded(host, ADDRESS_MAX)


class RequestLogMiddleware(ASGIMiddleware):
    """One line per request: id, method, path, status, user and milliseconds. No secrets."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        finally:
            user = scope.get("user")
            log.info(
                "%s %s %s %s user=%s %.1fms",
                request_id,
                scope.get("method"),
                scope.get("path"),
                status,
                user.username if user else "-",
                (time.perf_counter() - started) * 1000,
            )


class SecurityHeaders:
    """CSP without inline script, nosniff, no framing, strict referrer; Secure cookies on HTTPS;
    pages and API replies are private to the user's browser.

    A `before_send` hook, not a middleware: Litestar answers 404, 405 and a refused Host before
    any middleware runs, and those replies need the headers as much as any other."""

    def __init__(self, settings: Settings) -> None:
        self.cookie_secure = settings.cookie_secure

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
            return
        secure = self.cookie_secure == "true" or (self.cookie_secure == "auto" and _is_https(scope))
        path = scope.get("path", "")
        docs = path.startswith("/schema")
        static = path.startswith("/static/")
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        if not (static and headers.get("content-type", "").startswith(SUBRESOURCE_TYPES)):
            headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else APP_CSP)
            headers["X-Frame-Options"] = "DENY"
            headers["Referrer-Policy"] = "same-origin"
            headers["Permissions-Policy"] = "camera=(self), geolocation=(self), microphone=()"
        if not static:
            headers.setdefault("Cache-Control", PRIVATE)
        if _is_https(scope):
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if secure:
            _mark_cookies_secure(message)


def _mark_cookies_secure(message: HTTPResponseStartEvent) -> None:
    raw = message.get("headers") or []
    message["headers"] = [
        (k, v + b"; Secure")
        if k.lower() == b"set-cookie" and b"secure" not in v.lower()
        else (k, v)
        for k, v in raw
    ]


class LocaleMiddleware(ASGIMiddleware):
    """Pick the locale for this request: the user's cookie, Accept-Language, then the default."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.default = settings.default_locale

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = dict(scope.get("headers") or [])
        cookie = _cookie_value(headers.get(b"cookie", b"").decode("latin-1"), i18n.LOCALE_COOKIE)
        locale = i18n.negotiate(
            cookie=cookie,
            accept_language=headers.get(b"accept-language", b"").decode("latin-1"),
            default=self.default,
        )
        scope.setdefault("state", {})["locale"] = locale
        token = i18n.current_locale.set(locale)
        try:
            await next_app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)


def _cookie_value(cookie_header: str, name: str) -> str | None:
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
