"""Template engine, globals and filters, and the page-or-fragment renderer."""

from __future__ import annotations

import hashlib
import hmac
import uuid as uuidlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template import TemplateConfig

from inspect_app import i18n, labels, timezone
from inspect_app.bounds import parse_whole
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.settings import Settings

HTMX_FILE = "js/htmx-2.0.11.min.js"


def check_uuid(value: str) -> str:
    """A client-made id from a path, in its canonical form; 422 naming the field otherwise."""
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise Invalid(_("The id must be a UUID."), fields={"uuid": _("Not a UUID.")}) from None


def with_checkbox(data: dict[str, str], name: str) -> dict[str, str]:
    """Browsers leave an unticked box out of the form; to the service that means no."""
    return {**data, name: data.get(name, "")}


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after a form, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@cache
def static_url_for(static_dir: Path, path: str) -> str:
    """A /static URL with a content hash, so browsers may cache it for a year."""
    file = static_dir / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.exists() else "0"
    return f"/static/{path}?v={digest}"


def _static_url_factory(static_dir: Path):
    def static_url(path: str) -> str:
        return static_url_for(static_dir, path)

    return static_url


def _translate(message: str) -> str:
    return i18n.translations(i18n.current_locale.get()).gettext(message)


def _ntranslate(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.current_locale.get()).ngettext(singular, plural, n)


def make_environment(settings: Settings, page_globals: dict[str, Any] | None = None) -> Environment:
    """The pages' Jinja environment; `page_globals` are what the features give every page (the
    entry point wires them, so this floor imports no feature): e.g. the bell's unread count."""
    env = Environment(
        loader=FileSystemLoader(settings.templates_dir),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=_translate, ngettext=_ntranslate, newstyle=True
    )
    tz = ZoneInfo(settings.time_zone)

    def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "" if value is None else timezone.local(value, tz).strftime(fmt)

    env.globals.update(
        static=_static_url_factory(settings.static_dir),
        htmx_file=HTMX_FILE,
        localized=i18n.localized,
        labels=labels,
        locale=lambda: i18n.current_locale.get(),
        locales=i18n.LOCALES,
        locale_names=i18n.LOCALE_NAMES,
    )
    env.globals.update(page_globals or {})
    env.filters["local_time"] = local_time
    env.filters["device_label"] = device_label
    return env


BROWSERS = (
    ("MicroMessenger", "WeChat"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """'Chrome on Android' from a User-Agent header; '' when nothing is recognised."""
    browser = next((name for key, name in BROWSERS if key in user_agent), "")
    system = next((name for key, name in SYSTEMS if key in user_agent), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system or user_agent[:40]


def template_config(
    settings: Settings, page_globals: dict[str, Any] | None = None
) -> TemplateConfig:
    env = make_environment(settings, page_globals)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    page: str,
    /,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    **context,
) -> Template:
    """One URL, two renderings: the whole page, or just `fragment` when htmx asks for it.
    A whole page also shows (base.html) and clears the message a redirect left (`done`)."""
    name = fragment if fragment and is_htmx(request) else page
    cookies = []
    stored = request.cookies.get(FLASH_COOKIE)
    if stored is not None and name == page:
        message = _flash_message(request, stored)
        if message:
            context.setdefault("flash", message)
        cookies.append(Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/"))
    return Template(name, context=context, status_code=status_code, cookies=cookies)


FLASH_COOKIE = "flash"
FLASH_MAX_CHARS = 300


def _flash_mac(request: Request, message: str) -> str:
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, b"flash:" + message.encode(), hashlib.sha256).hexdigest()[:32]


def _flash_message(request: Request, stored: str) -> str:
    """The message `done` left, or "" when the cookie was not made by this app (a cookie
    planted from elsewhere cannot put words on the page)."""
    text, _dot, mac = unquote(stored).rpartition(".")
    text = text[:FLASH_MAX_CHARS]
    return text if mac and hmac.compare_digest(mac, _flash_mac(request, text)) else ""


def done(request: Request, path: str, message: str) -> Redirect:
    """A 303 to `path` whose page says `message` once ("Account created."): the message rides,
    signed, in a short-lived cookie, so a reload or a shared link does not repeat it."""
    text = message[:FLASH_MAX_CHARS]
    cookie = Cookie(
        key=FLASH_COOKIE,
        value=quote(f"{text}.{_flash_mac(request, text)}"),
        max_age=60,
        path="/",
        httponly=True,
        samesite="lax",
    )
    return Redirect(path, status_code=303, cookies=[cookie])


def form_site_id(data: dict[str, str]) -> int:
    """The site a 'start' form names; a missing or malformed one is a clear 422."""
    site_id = parse_whole(data.get("site_id"), low=1)
    if site_id is None:
        raise Invalid(_("Choose a site."), fields={"site_id": _("Choose a site.")})
    return site_id
