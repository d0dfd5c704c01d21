"""Cheap revalidation: a GET whose answer carries the ETag the browser already holds is
answered 304 with no body. Responses that the browser must revalidate every time (photos are
"private, no-cache", so nothing outlives a sign-out) then cost a few hundred bytes, not the
file. The handler runs first, so the access check decides as always; only its body is dropped."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Headers that describe the body the 304 does not carry.
BODY_HEADERS = ("content-length", "content-type", "content-encoding", "content-disposition")
MAX_TAGS = 32  # a client's If-None-Match is bounded like any other input


def if_none_match(scope: Scope) -> set[str]:
    """The entity tags of the request's If-None-Match, weak prefixes dropped (RFC 9110 13.1.2)."""
    for key, value in scope.get("headers") or []:
        if key == b"if-none-match":
            tags = value.decode("latin-1").split(",")[:MAX_TAGS]
            return {t.strip().removeprefix("W/") for t in tags if t.strip()}
    return set()


class NotModifiedMiddleware(ASGIMiddleware):
    """Turn a 200 into a 304 when the request's If-None-Match names the response's ETag."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        tags = if_none_match(scope) if scope.get("method") in ("GET", "HEAD") else set()
        if not tags:
            await next_app(scope, receive, send)
            return
        dropping = False

        async def send_wrapper(message: Message) -> None:
            nonlocal dropping
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableScopeHeaders.from_message(message)
                etag = (headers.get("etag") or "").removeprefix("W/")
                if etag and (etag in tags or "*" in tags):
                    dropping = True
                    message["status"] = 304
                    for name in BODY_HEADERS:
                        del headers[name]
            elif message["type"] == "http.response.body" and dropping:
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await next_app(scope, receive, send_wrapper)
