"""The coverage board's two drawings, as small server-rendered SVG (no script, no map tiles, so
they work offline and print): the sites covered day by day against an even pace, and the sites
plotted by their coordinates. Styles are classes in app.css (the CSP allows no inline style);
shapes, not colours alone, tell the states apart. Only numbers and escaped text go in."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from inspect_app.i18n import gettext as _
from inspect_app.models import CoverageState

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 360, 190, 34, 22, 10, 10

# The plot's states, drawn in this order (the ones that need attention on top).
STATES = (CoverageState.covered.value, CoverageState.pending.value, "unreachable", "failing")
MAX_POINTS = 1500  # more sites than this are binned into a grid (the SVG stays small)
MAP_SIZE = 360
CELL = 6  # a grid cell, in the drawing's units: 60 x 60 cells at most
SHARE_STEPS = 5  # grid cells are shaded by the share of their sites covered: 5 steps
FAILING_SHARE = 10  # a cell is crossed when 1 in FAILING_SHARE of its covered sites fails


def _svg(label: str, width: int, height: int, body: Iterable[str], css: str) -> Markup:
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" class="chart {css}" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def progress_svg(
    series: list[tuple[date, int, float]], *, starts_on: date, ends_on: date, total: int
) -> Markup:
    """Sites covered so far, day by day up to today (solid), against the even pace from none
    on the first morning to all on the last evening (dashed), over the whole round."""
    if not series:
        return Markup("")
    days = (ends_on - starts_on).days + 1
    top = max(1, total, *(covered for _d, covered, _p in series))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    base = TOP + inner_h

    def x(day_index: float) -> float:  # the end of a day: day 0 ends at 1/days of the width
        return LEFT + inner_w * day_index / days

    def y(value: float) -> float:
        return TOP + inner_h - inner_h * value / top

    covered = [f"{x(0):.1f},{y(0):.1f}"] + [
        f"{x((d - starts_on).days + 1):.1f},{y(n):.1f}" for d, n, _p in series
    ]
    last_day, last_covered, last_pace = series[-1]
    label = _(
        "Sites covered day by day: %(covered)s of %(total)s by %(day)s; at an even pace it "
        "would be %(pace)s.",
        covered=last_covered,
        total=total,
        day=last_day.isoformat(),
        pace=int(last_pace),
    )
    today_x = x((last_day - starts_on).days + 1)
    body = [
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{y(total):.1f}" x2="{WIDTH - RIGHT}" y2="{y(total):.1f}" '
        'class="grid"/>',
        f'<text x="{LEFT - 4}" y="{y(top) + 8:.1f}" class="tick" text-anchor="end">{top}</text>',
        f'<text x="{LEFT - 4}" y="{base}" class="tick" text-anchor="end">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 6}" class="tick">{starts_on:%m-%d}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" class="tick" '
        f'text-anchor="end">{ends_on:%m-%d}</text>',
        f'<line x1="{LEFT}" y1="{base}" x2="{x(days):.1f}" y2="{y(total):.1f}" class="line-pace"/>',
    ]
    if last_day < ends_on:
        body.append(
            f'<line x1="{today_x:.1f}" y1="{TOP}" x2="{today_x:.1f}" y2="{base}" class="today"/>'
        )
    body += [
        f'<polyline points="{" ".join(covered)}" class="line-covered"/>',
        f'<circle cx="{today_x:.1f}" cy="{y(last_covered):.1f}" r="3.5" class="dot-covered"/>',
    ]
    return _svg(label, WIDTH, HEIGHT, body, "progress-chart")


# --- the sites by their coordinates -------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Latitude and longitude to drawing units: north up, east right, a degree of longitude
    shortened by the cosine of the latitude, the whole set fitted inside MAP_SIZE."""

    lat_max: float
    lon_min: float
    x_scale: float
    scale: float
    width: int
    height: int
    pad: int

    @classmethod
    def fit(cls, points: list[tuple[float, float, str]], pad: int = 8) -> Frame:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        x_scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * x_scale, 1e-4)  # one place: a small square
        span_y = max(max(lats) - min(lats), 1e-4)
        scale = (MAP_SIZE - 2 * pad) / max(span_x, span_y)
        width = math.ceil(span_x * scale) + 2 * pad
        height = math.ceil(span_y * scale) + 2 * pad
        lat_max = (min(lats) + max(lats)) / 2 + span_y / 2  # the sites centred in the frame
        lon_min = (min(lons) + max(lons)) / 2 - span_x / x_scale / 2
        return cls(lat_max, lon_min, x_scale, scale, width, height, pad)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            self.pad + (lon - self.lon_min) * self.x_scale * self.scale,
            self.pad + (self.lat_max - lat) * self.scale,
        )


# One shape per state, so the plot reads without colour. The shapes take their colours from
# the group around them (a shape cloned by <use> inherits; selectors do not reach into it).
SHAPES = {
    "covered": '<circle r="3.5"/>',
    "pending": '<circle r="3"/>',
    "unreachable": '<path d="M0-4L3.8 2.8H-3.8Z"/>',
    "failing": '<path d="M-3.5-3.5L3.5 3.5M3.5-3.5L-3.5 3.5"/>',
}


def symbol(state: str) -> Markup:
    """A state's shape alone, for the legend beside the plot."""
    if state not in SHAPES:
        raise ValueError(state)
    return Markup(  # noqa: S704  # nosec B704
        f'<svg viewBox="-5 -5 10 10" class="chart key-shape" aria-hidden="true">'
        f'<g class="u-{state}">{SHAPES[state]}</g></svg>'
    )


def map_svg(points: list[tuple[float, float, str]]) -> Markup:
    """Each site at its place, shaped by its state; a grid of shaded cells when there are more
    than MAX_POINTS (see `grid_body`)."""
    if not points:
        return Markup("")
    frame = Frame.fit(points)
    counts = Counter(state for _lat, _lon, state in points)
    label = _(
        "The round's sites by their position: %(covered)s covered, %(failing)s failing, "
        "%(pending)s not yet, %(again)s to visit again.",
        covered=counts["covered"],
        failing=counts["failing"],
        pending=counts["pending"],
        again=counts["unreachable"],
    )
    if len(points) > MAX_POINTS:
        return _svg(label, frame.width, frame.height, grid_body(points, frame), "site-map grid")
    body = [f'<rect width="{frame.width}" height="{frame.height}" class="map-bg"/>', "<defs>"]
    body += [f'<g id="map-{state}">{SHAPES[state]}</g>' for state in STATES]
    body.append("</defs>")
    for state in STATES:  # a group per state: its class colours every shape it holds
        body.append(f'<g class="u-{state}">')
        for lat, lon, _s in (p for p in points if p[2] == state):
            px, py = frame.xy(lat, lon)
            body.append(f'<use href="#map-{state}" x="{px:.1f}" y="{py:.1f}"/>')
        body.append("</g>")
    return _svg(label, frame.width, frame.height, body, "site-map")


def share_step(covered: int, total: int) -> int:
    """0 (under a quarter covered) .. 4 (all covered)."""
    if covered >= total:
        return SHARE_STEPS - 1
    return min(SHARE_STEPS - 2, 4 * covered // total)


def grid_body(points: list[tuple[float, float, str]], frame: Frame) -> list[str]:
    """One square per occupied cell, shaded by the share of its sites covered (one path per
    shade), and a cross over each cell where a tenth or more of its covered sites fail (at a
    district's scale nearly every cell has one failing site: that would say nothing)."""
    cells: dict[tuple[int, int], list[int]] = {}  # cell -> [total, covered, failing]
    for lat, lon, state in points:
        px, py = frame.xy(lat, lon)
        cell = cells.setdefault((int(px // CELL), int(py // CELL)), [0, 0, 0])
        cell[0] += 1
        if state in ("covered", "failing"):
            cell[1] += 1
        if state == "failing":
            cell[2] += 1
    shades: list[list[str]] = [[] for _ in range(SHARE_STEPS)]
    crosses: list[str] = []
    for (cx, cy), (total, covered, failing) in sorted(cells.items()):
        x, y = cx * CELL, cy * CELL
        shades[share_step(covered, total)].append(f"M{x} {y}h{CELL}v{CELL}h-{CELL}z")
        if failing and failing * FAILING_SHARE >= covered:
            crosses.append(f"M{x + 1} {y + 1}l4 4m0-4l-4 4")
    body = [f'<rect width="{frame.width}" height="{frame.height}" class="map-bg"/>']
    body += [f'<path d="{"".join(d)}" class="share-{n}"/>' for n, d in enumerate(shades) if d]
    if crosses:
        body.append(f'<path d="{"".join(crosses)}" class="u-failing cell-fail"/>')
    return body


def share_key(step: int) -> Markup:
    """A shaded square of the grid's legend."""
    return Markup(  # noqa: S704  # nosec B704
        f'<svg viewBox="0 0 10 10" class="chart key-shape" aria-hidden="true">'
        f'<rect width="10" height="10" class="share-{int(step)}"/></svg>'
    )
