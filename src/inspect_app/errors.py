"""One error shape: an HTML page (or fragment) for browsers, `{"error": {...}}` JSON under /api."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.types import Empty, ExceptionHandlersMap
from litestar.utils.scope.state import ScopeState
from sqlalchemy.exc import DataError, StatementError

from inspect_app import i18n
from inspect_app.i18n import gettext as _
from inspect_app.i18n import lazy

log = logging.getLogger("inspect_app.errors")


class AppError(Exception):
    """A refusal a person should understand; raised by services, rendered by the handlers below.

    `keeps_changes`: the work done before the refusal stands (the request's transaction is
    committed, see `db.end_transaction`), e.g. the answers saved when only a deadline is refused."""

    status_code = 400
    code = "bad_request"
    keeps_changes = False

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        keeps_changes: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}  # e.g. Retry-After on a 429 or 503
        if keeps_changes is not None:
            self.keeps_changes = keeps_changes


class NotFound(AppError):
    status_code, code = 404, "not_found"


class Forbidden(AppError):
    status_code, code = 403, "forbidden"


class Conflict(AppError):
    status_code, code = 409, "conflict"


class Gone(AppError):
    """It existed and no longer works (an expired or revoked business link)."""

    status_code, code = 410, "gone"


class Invalid(AppError):
    status_code, code = 422, "validation_failed"


class RateLimited(AppError):
    status_code, code = 429, "rate_limited"


class Busy(AppError):
    """Too much of one kind of work at once; nothing was done, try again shortly."""

    status_code, code = 503, "busy"


class TooLarge(AppError):
    status_code, code = 413, "payload_too_large"


STATUS_TEXT = {
    400: ("bad_request", lazy("The request could not be understood.")),
    401: ("unauthorized", lazy("Please sign in to continue.")),
    403: ("forbidden", lazy("You are not allowed to do this.")),
    404: ("not_found", lazy("We could not find what you asked for.")),
    405: ("method_not_allowed", lazy("This address does not accept that kind of request.")),
    409: ("conflict", lazy("This conflicts with what is already saved.")),
    410: ("gone", lazy("This is no longer available.")),
    413: ("payload_too_large", lazy("The upload is too large.")),
    415: ("unsupported_media_type", lazy("This kind of file is not accepted.")),
    422: ("validation_failed", lazy("Some fields need attention.")),
    429: ("rate_limited", lazy("Too many requests. Please wait and try again.")),
    500: ("server_error", lazy("Something went wrong on our side. Nothing was saved.")),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema/openapi")


def error_response(
    request: Request, status: int, message: str, *, code: str | None = None, fields=None
) -> Response:
    """Render an error the way the caller reads: JSON for the API, a page or fragment otherwise."""
    _ensure_locale(request)
    default_code, default_message = STATUS_TEXT.get(status, STATUS_TEXT[500])
    code = code or default_code
    message = message or _(default_message)
    if _wants_json(request):
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return Response(body, status_code=status)
    template = "_error.html" if request.headers.get("hx-request") else "error.html"
    return Template(
        template,
        context={"status": status, "message": message, "fields": fields or {}},
        status_code=status,
        headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        if request.headers.get("hx-request")
        else None,
    )


def _ensure_locale(request: Request) -> None:
    """Requests that match no route skip the middleware; pick their language here."""
    state = request.scope.setdefault("state", {})
    if "locale" not in state:
        state["locale"] = i18n.negotiate(
            cookie=request.cookies.get(i18n.LOCALE_COOKIE),
            accept_language=request.headers.get("accept-language"),
            default=request.app.state.settings.default_locale,
        )
        i18n.current_locale.set(state["locale"])
    request.scope.setdefault("user", None)


def handle_app_error(request: Request, exc: AppError) -> Response:
    response = error_response(
        request, exc.status_code, exc.message, code=exc.code, fields=exc.fields
    )
    response.headers.update(exc.headers)
    return response


def _close_parsed_uploads(request: Request) -> None:
    """Litestar closes a parsed form's files after the handler; a request refused before it
    (a guard, the CSRF check, which parsed the form to find its token) would leave them open."""
    form = ScopeState.from_scope(request.scope).form
    if form is Empty:
        return
    for value in form.values():
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, UploadFile):
                part.file.close()


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    _close_parsed_uploads(request)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response("", status_code=401, headers={"HX-Redirect": "/login"})
        return Redirect(f"/login?next={quote(target)}")
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_response(
            request,
            403,
            _("The security token is missing or wrong. Reload the page and try again."),
            code="csrf_failed",
        )
    if isinstance(exc, ValidationException):
        return error_response(
            request,
            400,
            _("Some values in the request are not valid."),
            fields=_validation_fields(exc),
        )
    if status >= 500:
        log.error("HTTP %s: %s", status, exc.detail)
    return error_response(request, status, "")


def _validation_fields(exc: ValidationException) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            fields[str(item.get("key") or item.get("source") or "body")] = str(
                item.get("message", "")
            )
    return fields


# PostgreSQL's refusals of a value sent with the statement: too long (22001), out of range
# (22003), and psycopg's own, raised before sending (a NUL byte), which has no SQLSTATE. A date
# overflowing in SQL arithmetic over stored rows (22008) is ours, and stays a 500.
VALUE_SQLSTATES = frozenset({None, "22001", "22003"})


def caused_by_a_value(exc: Exception) -> bool:
    """True when the database refused a value the request carried (see handle_database_value)."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OverflowError):
        return "SQLite" in str(orig)  # sqlite3 binding a Python int beyond 64 bits
    return isinstance(exc, DataError) and getattr(orig, "sqlstate", None) in VALUE_SQLSTATES


def handle_database_value(request: Request, exc: Exception) -> Response:
    """Defence in depth: a value the database cannot hold (SQLite's OverflowError, PostgreSQL's
    "out of range", "too long" or NUL errors) is the caller's mistake, not ours. The edge
    (bounds.py, edge.py) should have refused it first, so it is logged as a gap to close."""
    if not caused_by_a_value(exc):
        return handle_unexpected(request, exc)
    log.warning(
        "a value the database refused reached it on %s %s: %s",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", None) or exc).__name__,  # not the statement's parameters
    )
    return error_response(
        request, 400, _("A value in the request is out of range or cannot be stored.")
    )


def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Log the stack trace for us; the user sees a calm message and a request id."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: handle_app_error,
    HTTPException: handle_http_exception,
    OverflowError: handle_database_value,
    StatementError: handle_database_value,
    Exception: handle_unexpected,
}
