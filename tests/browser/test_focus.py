"""Keyboard focus on a 390x844 phone: every control reached with Tab (and back with Shift+Tab)
shows a focus ring and is in view, not under the sticky top bar, the sites filters, the
walkthrough's progress and submit bars or the fixed bottom bar (WCAG 2.4.7 and 2.4.11)."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from tests.helpers.browser import answer, make_finding

pytestmark = pytest.mark.browser

# What the user sees for the focused element (a visually hidden file input shows as its
# label-button), whether the point at its centre hits it, and whether it has a visible ring.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.matches('input[type=file]')
    ? document.querySelector(`label[for="${el.id}"]`) : el;
  const r = shown.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 20);
  const hit = document.elementFromPoint(x, y);
  const style = getComputedStyle(shown);
  const name = (shown.innerText || shown.getAttribute('aria-label') || shown.name
                || shown.id || shown.tagName).trim().slice(0, 30);
  return {
    key: el.tagName + '#' + (el.id || '') + name + Math.round(r.top + scrollY),
    name: `${el.tagName.toLowerCase()} "${name}"`,
    hidden: !hit || !(hit === shown || shown.contains(hit)),
    ring: (style.outlineStyle !== 'none' && style.outlineWidth !== '0px')
          || style.boxShadow !== 'none',
  };
}"""


def focus_problems(page, key: str) -> list[str]:
    """Press `key` until focus leaves the page or comes round again; what was hidden or had no
    ring when focused."""
    problems, seen, order = [], set(), []
    for _ in range(300):
        page.keyboard.press(key)
        now = page.evaluate(FOCUSED_JS)
        order.append(now and now["name"])
        if now is None or now["key"] in seen:
            break
        seen.add(now["key"])
        if now["hidden"]:
            problems.append(f"{key}: {now['name']} is under a bar or out of view")
        if not now["ring"]:
            problems.append(f"{key}: {now['name']} shows no focus ring")
    assert len(seen) > 5, f"{key} reached hardly any control: {order}"
    return problems


def check(page) -> list[str]:
    """From the top of the page to its end with Tab, then back up with Shift+Tab."""
    page.locator(".brand").focus()
    return focus_problems(page, "Tab") + focus_problems(page, "Shift+Tab")


def test_focus_is_visible_on_lists_and_the_walkthrough(phone, login):
    login(phone, "inspector1")
    found = {"home": check(phone)}
    phone.goto("/sites?q=" + "梧桐路")
    found["sites"] = check(phone)
    phone.locator("#results .card a").first.tap()
    phone.wait_for_url(re.compile(r"/sites/\d+$"))
    phone.get_by_role("button", name="Fire-safety inspection").tap()
    phone.wait_for_url(re.compile(r"/inspections/[0-9a-f-]{36}$"))
    answer(phone, "F03", "Fail")  # a failed item: note, deadline and the photo button
    found["walkthrough"] = check(phone)
    assert {page: p for page, p in found.items() if p} == {}


def test_focus_is_visible_on_the_owners_item_page(new_phone, login, tmp_path):
    gap = tmp_path / "gap.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(gap, "JPEG")
    owner = new_phone()
    make_finding(owner.request, gap)
    login(owner, "owner1")
    owner.locator("#my-items a").first.tap()
    owner.wait_for_url(re.compile(r"/rectifications/\d+$"))
    assert check(owner) == []
