"""Locale negotiation, the language switch, and complete catalogs in both languages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from inspect_app import i18n
from tests.helpers.app import post_form

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "zh_CN"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, zh;q=0.8", "zh_CN"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
        (None, "de-DE", "zh_CN"),
    ],
)
def test_negotiation_prefers_choice_then_browser_then_default(cookie, accept, expected):
    assert i18n.negotiate(cookie=cookie, accept_language=accept, default="zh_CN") == expected


def test_pages_follow_accept_language(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    english = client.get("/login", headers={"Accept-Language": "en-US"}).text
    assert "Sign in" in english and "登录" not in english.replace('lang="zh-CN"', "")


def test_language_switch_is_remembered_and_returns_to_the_page(login_as, world):
    c = login_as("admin")
    r = post_form(c, "/locale", {"locale": "en", "next": "/sites?kind=shop"})
    assert r.status_code == 303 and r.headers["location"] == "/sites?kind=shop"
    page = c.get("/sites?kind=shop", headers={"Accept-Language": "zh-CN"})
    assert "Sites" in page.text and "All kinds" in page.text
    building = world.sites()[0]
    detail = c.get(f"/sites/{building.id}")
    assert building.name_en in detail.text
    post_form(c, "/locale", {"locale": "zh_CN", "next": "/"})
    assert "场所" in c.get("/sites").text


def test_language_switch_refuses_foreign_redirects(client):
    r = post_form(client, "/locale", {"locale": "en", "next": "https://evil.example/"})
    assert r.headers["location"] == "/"


def _extracted_messages(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "lazy", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


def test_every_string_in_the_code_is_translated_to_chinese(tmp_path):
    with (i18n.CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string if isinstance(message.string, str) else message.string[0]
        translated[key] = text
    missing = sorted(m for m in _extracted_messages(tmp_path) if not translated.get(m))
    assert missing == [], f"untranslated (run `make messages` and translate): {missing}"


def test_translations_keep_their_placeholders():
    with (i18n.CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for text in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", text)) == wanted, message.id


def test_english_is_the_source_language_so_its_catalog_is_complete_by_construction():
    en = i18n.translations("en")
    assert en.gettext("Sign in") == "Sign in"
    zh = i18n.translations("zh_CN")
    assert zh.gettext("Sign in") != "Sign in"


def test_template_strings_format_in_both_languages():
    """Jinja's gettext (newstyle) formats every string, with or without variables: a lone "%"
    in a template's string, or in its translation, is a 500 on the page that shows it."""
    placeholder = re.compile(r"%%|%\(\w+\)[sd]")

    def lone(text: str) -> bool:
        return "%" in placeholder.sub("", text)

    literal = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*'((?:[^'\\]|\\.)*)'""")
    in_templates = {
        a or b
        for path in (ROOT / "templates").rglob("*.html")
        for a, b in literal.findall(path.read_text(encoding="utf-8"))
    }
    with (i18n.CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        chinese = {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id}
    bad = sorted(text for text in in_templates if lone(text) or lone(chinese.get(text) or ""))
    assert bad == [], f"write a literal % as %% in template strings: {bad}"
