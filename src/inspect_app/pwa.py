"""The installable app: the web manifest, the service worker at the site root, the offline page.

The service worker's source is static/sw.js; this module fills in the list of files to precache
(with the same content-hashed URLs the pages use) and a version made from the hash of all of
them, so every deploy that changes a file gives a new worker and a new cache name."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from litestar import Request, Response, get
from litestar.response import Template

from inspect_app.deps import AppSettings
from inspect_app.i18n import gettext as _
from inspect_app.models import Outcome
from inspect_app.web import HTMX_FILE, render, static_url_for

THEME_COLOUR = "#0b5cad"
# The app shell: everything the offline page needs, fetched once when the worker installs.
SHELL_FILES = (
    "css/app.css",
    HTMX_FILE,
    "js/app.js",
    "js/outbox.js",
    "js/offline.js",
    "js/photo-shrink.js",
    "js/uploads.js",
    "js/walkthrough.js",
    "js/todo.js",
    "js/signature.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)
SHELL_PAGES = ("/offline",)
SHELL_TEMPLATES = (
    "base.html",
    "offline.html",
    "_nav.html",
    "_outbox.html",
    "home/_todo.html",
    "home/_todo_macros.html",
    "campaigns/_todo_outcome.html",
    "notices/_sign.html",
)
NO_CACHE = {"Cache-Control": "no-cache"}


@cache
def service_worker_source(static_dir: Path, templates_dir: Path) -> str:
    """static/sw.js with its precache list and a version that changes when any of them does."""
    source = (static_dir / "sw.js").read_text()
    digest = hashlib.sha256(source.encode())
    for name in SHELL_FILES:
        digest.update((static_dir / name).read_bytes())
    for name in SHELL_TEMPLATES:
        digest.update((templates_dir / name).read_bytes())
    urls = [static_url_for(static_dir, name) for name in SHELL_FILES] + list(SHELL_PAGES)
    return source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:12])).replace(
        '"__PRECACHE__"', json.dumps(urls)
    )


@get("/sw.js", include_in_schema=False, sync_to_thread=False)
def service_worker(settings: AppSettings) -> Response:
    """Served from the root so its scope is the whole site; never cached by HTTP."""
    body = service_worker_source(settings.static_dir, settings.templates_dir)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=NO_CACHE)


@get("/manifest.webmanifest", include_in_schema=False, sync_to_thread=False)
def manifest(settings: AppSettings) -> Response:
    """The web app manifest, in the language of the request."""

    def icon(name: str, size: int, purpose: str) -> dict[str, str]:
        url = static_url_for(settings.static_dir, f"icons/{name}-{size}.png")
        return {"src": url, "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}

    body = {
        "name": _("inspect-app: field inspections"),
        "short_name": _("Inspections"),
        "description": _("Site inspections, photos and rectification follow-up, also offline."),
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            icon("icon", 192, "any"),
            icon("icon", 512, "any"),
            icon("maskable", 192, "maskable"),
            icon("maskable", 512, "maskable"),
        ],
    }
    return Response(body, media_type="application/manifest+json", headers=NO_CACHE)


@get("/offline", include_in_schema=False, sync_to_thread=False)
def offline_page(request: Request) -> Template:
    """The offline inspection page: works from data kept on the phone (see static/js/offline.js).
    Open to anyone and rendered for nobody (templates/offline.html sets `public_page`): the
    service worker keeps it and shows it to whoever holds the phone, signed in or not."""
    return render(request, "offline.html", outcomes=list(Outcome))
