"""Locale negotiation and gettext for Jinja and Python, from Babel catalogs (.po, no build step)."""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
LOCALE_COOKIE = "locale"
CATALOG_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default="zh_CN")


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a locale, built in memory from its .po file once per process."""
    po = CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext(message: str, **variables) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def lazy(message: str) -> str:
    """Marks a string for extraction where it is defined; translate it with gettext() on use."""
    return message


def normalize(value: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en-GB' and the like onto a supported locale."""
    if not value:
        return None
    v = value.strip().replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_CN"
    if v.startswith("en"):
        return "en"
    return None


def negotiate(*, cookie: str | None, accept_language: str | None, default: str) -> str:
    """The user's choice, else the browser's preference, else the configured default."""
    chosen = normalize(cookie)
    if chosen:
        return chosen
    if accept_language:
        weighted = []
        for i, part in enumerate(accept_language.split(",")):
            lang, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            weighted.append((-weight, i, lang))
        for _w, _i, lang in sorted(weighted):
            found = normalize(lang)
            if found:
                return found
    return normalize(default) or "zh_CN"


def pick(zh: str | None, en: str | None) -> str:
    """The text in the current locale, falling back to the other language."""
    zh, en = zh or "", en or ""
    return (en or zh) if current_locale.get() == "en" else (zh or en)


def localized(obj, field: str) -> str:
    """`name_zh` / `name_en` by the current locale, falling back to the other language."""
    return pick(getattr(obj, f"{field}_zh", ""), getattr(obj, f"{field}_en", ""))
