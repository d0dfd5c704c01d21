"""The API docs page (vendored ReDoc from /static, no CDN) and the error shapes every API
operation documents."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from pydantic import BaseModel

REDOC_JS = "/static/vendor/redoc/redoc-2.5.4.standalone.js"


class ApiDocsPlugin(OpenAPIRenderPlugin):
    """Serves /schema (the docs page) and /schema/openapi.json; the page has no inline script."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/redoc"])

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = escape(openapi_schema["info"]["title"])
        spec = escape(self.get_openapi_json_route(request))
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title></head><body>"
            f"<redoc spec-url='{spec}' disable-search='false' hide-download-button='false'></redoc>"
            f"<script src='{REDOC_JS}'></script></body></html>"
        ).encode()


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorBody(BaseModel):
    """Every API error has this shape."""

    error: ErrorDetail


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description)


ERRORS = {
    400: _error("The request could not be read (malformed JSON, bad query parameter)"),
    401: _error("Not signed in, or the token is invalid or revoked"),
    403: _error("Signed in, but this role may not do this (or the CSRF header is missing)"),
    404: _error("The object does not exist or is not visible to you"),
    409: _error("Conflicts with what is stored (a replay with other content, an illegal change)"),
    413: _error("The upload is too large"),
    415: _error("Not an accepted kind of file or body"),
    422: _error("Some values are not valid; `fields` says which"),
    429: _error("Too many failed sign-ins; wait and try again"),
}
