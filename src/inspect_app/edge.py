"""The edge: input the app could not parse safely or store is refused before any handler decodes
it, on every route, signed in or not.

- JSON bodies: at most JSON_MAX_BYTES, nested at most JSON_MAX_DEPTH deep (measured by a linear
  scan, since the decoder recurses once per level and 1,000 levels exhaust Python's stack);
- NUL characters, which PostgreSQL text cannot hold (SQLite keeps them, and a backup then cannot
  be restored into PostgreSQL), in the path, the query string, JSON and form fields.

Lengths and integer ranges are the schemas' job (see bounds.py); this is what no schema sees."""

from __future__ import annotations

import re
from array import array
from itertools import accumulate
from typing import Any

import anyio
import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from inspect_app.bounds import parse_whole, unstorable
from inspect_app.errors import AppError, TooLarge
from inspect_app.i18n import gettext as _

JSON_MAX_BYTES = 1024 * 1024  # a full checklist with long notes is well under 100 KB
SCAN_ON_LOOP_BYTES = 64 * 1024  # larger bodies are measured in a worker thread
JSON_MAX_DEPTH = 32  # our deepest body nests three levels
FORMS = (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)

# A JSON string from its opening quote to its closing one or the end of the input. Possessive
# loops and an always-matching escape make it linear: a match never fails, so never retries.
_STRING = re.compile(rb'"[^"\\]*+(?:\\(?:.|\Z)[^"\\]*+)*+(?:"|\Z)', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_NUL_QUERY = re.compile(rb"\x00|%00")


def json_depth(body: bytes) -> int:
    """How deep a JSON text nests arrays and objects, in linear time and without recursion:
    strings are dropped, then the running count of the remaining brackets peaks at the depth."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(array("b", brackets.translate(_STEPS))))


def _has_nul(value: Any) -> bool:
    """Any string in a decoded JSON value (its depth already bounded) that PostgreSQL refuses."""
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _unstorable_error(field: str | None = None) -> AppError:
    message = _(
        "The request contains an invisible control character that cannot be stored. Remove it "
        "(it often comes with pasted text) and try again."
    )
    return AppError(message, fields={field: message} if field else None)


def check_url(scope: Scope) -> None:
    """No NUL in the path or in the query string (raw or percent-encoded)."""
    if "\x00" in scope.get("path", "") or _NUL_QUERY.search(scope.get("query_string", b"")):
        raise _unstorable_error()


async def check_json(request: Request) -> None:
    """Size, depth and NULs of a JSON body, before the handler decodes it."""
    if _announced_length(request) > JSON_MAX_BYTES:
        raise _too_large()
    body = await request.body()  # kept on the scope: the handler reads it from there
    if len(body) > JSON_MAX_BYTES:
        raise _too_large()
    small = len(body) <= SCAN_ON_LOOP_BYTES
    depth = json_depth(body) if small else await anyio.to_thread.run_sync(json_depth, body)
    if depth > JSON_MAX_DEPTH:
        raise AppError(
            _(
                "The JSON in the request is nested too deeply (at most %(n)s levels).",
                n=JSON_MAX_DEPTH,
            ),
            fields={"body": _("Nested too deeply.")},
        )
    if b"\\u0000" in body:
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # the handler's decoder refuses it with its own message
        if _has_nul(decoded):
            raise _unstorable_error("body")


async def check_form(request: Request) -> None:
    """No NULs in a form's text fields (files are bytes, and may hold anything)."""
    form = await request.form()  # kept on the scope for the CSRF check and the handler
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile) and isinstance(value, str) and unstorable(value):
            raise _unstorable_error(name)


def _announced_length(request: Request) -> int:
    return parse_whole(request.headers.get("content-length")) or 0


def _too_large() -> TooLarge:
    return TooLarge(
        _("The request is too large (at most %(n)s MB of JSON).", n=JSON_MAX_BYTES // 2**20)
    )


def body_encoding(scope: Scope) -> RequestEncodingType | str | None:
    """How the matched handler decodes its body (`data`), or None when it takes none: streaming
    upload handlers read the raw stream themselves and are left alone."""
    handler = scope.get("route_handler")
    field = handler.parsed_fn_signature.parameters.get("data") if handler else None
    if field is None:
        return None
    return getattr(field.kwarg_definition, "media_type", None) or RequestEncodingType.JSON


class EdgeMiddleware(ASGIMiddleware):
    """Runs the checks above on every routed request, before guards and handlers."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_url(scope)
        encoding = body_encoding(scope)
        if encoding is not None:
            request: Request = Request(scope, receive)
            if encoding in FORMS:
                await check_form(request)
            else:
                await check_json(request)
        await next_app(scope, receive, send)
