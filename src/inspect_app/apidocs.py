"""The API docs page: vendored ReDoc from /static, no CDN, signed-in users only."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin

from inspect_app.auth.guards import require_login

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


def docs_router() -> Router:
    return Router(path="/schema", route_handlers=[], guards=[require_login])
