"""The rectification list at 390 px, as a supervisor arriving from the board: the filters in
use are chips on the first screen, a chip removes its filter, and every sort choice can be
read whole (it used to share a row and read "Deadline, earl...")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.browser import SMALL_TARGETS_JS

pytestmark = pytest.mark.browser

# Width the text of each option needs, against the width the closed select has for text
# (its content box less the drop-down arrow).
SORT_FITS_JS = """() => {
  const select = document.querySelector('#r-sort');
  const style = getComputedStyle(select);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = select.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight) - 24;
  return [...select.options].filter(o => ctx.measureText(o.text).width > room).map(o => o.text);
}"""


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_board_filters_are_chips_on_the_first_screen_and_sort_reads_whole(new_phone, login, locale):
    page = new_phone(locale=locale)
    login(page, "supervisor")
    page.goto("/rectifications")
    team = page.locator("#r-team_id option").nth(1)
    team_id, team_name = team.get_attribute("value"), team.inner_text().strip()
    page.goto(f"/rectifications?overdue=true&status=active&team_id={team_id}")

    assert page.evaluate(SORT_FITS_JS) == []
    chips = page.locator("#active-filters a.chip:not(.clear)")
    assert chips.count() == 3
    chip = chips.filter(has_text=team_name)
    box = chip.bounding_box()
    assert box and box["y"] + box["height"] < 844 - 72  # above the bottom bar, unscrolled
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS_JS) == []  # each chip is a thumb-sized target

    chip.click()
    page.wait_for_url(lambda url: "team_id" not in url)
    assert parse_qs(urlsplit(page.url).query) == {"status": ["active"], "overdue": ["true"]}
    assert page.locator("#active-filters a.chip:not(.clear)").count() == 2
    assert page.locator("#r-team_id").input_value() == ""
