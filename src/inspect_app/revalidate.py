"""Cheap revalidation: a GET whose If-None-Match names the ETag of what it would get back is
answered 304 with no body, before the file is opened. Photos are "private, no-cache" (nothing
outlives a sign-out), so a browser asks each time and an unchanged photo costs a few hundred
bytes, not the file. Callers check access first: a 304 is only for who may see the photo."""

from __future__ import annotations

from litestar import Request, Response

MAX_TAGS = 32  # a client's If-None-Match is bounded like any other input


def if_none_match(request: Request) -> set[str]:
    """The entity tags of the request's If-None-Match, weak prefixes dropped (RFC 9110 13.1.2)."""
    raw = request.headers.get("if-none-match") or ""
    tags = raw.split(",", MAX_TAGS)[:MAX_TAGS]
    return {t.strip().removeprefix("W/") for t in tags if t.strip()}


def not_modified(request: Request, etag: str, headers: dict[str, str]) -> Response | None:
    """A 304 (with `headers`) when the browser already holds `etag`, else None."""
    if request.method not in ("GET", "HEAD"):
        return None
    tags = if_none_match(request)
    if etag in tags or "*" in tags:
        return Response(content=b"", status_code=304, headers=headers)
    return None
