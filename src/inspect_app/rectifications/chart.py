"""The board's 30-day chart: open and overdue items per day, counted and drawn as a small
server-rendered SVG (no JavaScript library)."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from inspect_app.i18n import gettext as _
from inspect_app.timezone import add_days

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 360, 180, 34, 22, 10

# An item's days in the office's calendar: created, resolved (None while active), deadline.
Span = tuple[date, date | None, date]


def daily_series(spans: list[Span], today: date, days: int) -> list[tuple[date, int, int]]:
    """For each of the last `days` days: items open at its end, and how many were overdue.

    An item counts as open on day d from its creation until it was closed or cancelled; it was
    overdue on d when its (current) deadline was before d. Each item adds 1 to a run of days
    (a difference array), so the cost is one step per item, not per item and day."""
    first = add_days(today, 1 - days)
    open_diff, late_diff = [0] * (days + 1), [0] * (days + 1)

    def add(diff: list[int], lo: date, hi: date) -> None:
        lo = max(lo, first)
        if lo <= hi:
            diff[(lo - first).days] += 1
            diff[(hi - first).days + 1] -= 1

    for created, resolved, deadline in spans:
        last = min(today, add_days(resolved, -1)) if resolved else today
        add(open_diff, created, last)
        add(late_diff, max(created, add_days(deadline, 1)), last)
    out, total, late = [], 0, 0
    for i in range(days):
        total += open_diff[i]
        late += late_diff[i]
        out.append((add_days(first, i), total, late))
    return out


def svg(series: list[tuple[date, int, int]]) -> Markup:
    """Two polylines (open, overdue) over the days of `series`, with a y axis and a legend."""
    if not series:
        return Markup("")
    top = max(1, max(o for _d, o, _od in series))
    inner_w, inner_h = WIDTH - PAD_LEFT - 6, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(series) - 1)

    def point(i: int, value: int) -> str:
        return f"{PAD_LEFT + i * step:.1f},{PAD_TOP + inner_h - inner_h * value / top:.1f}"

    open_pts = " ".join(point(i, o) for i, (_d, o, _od) in enumerate(series))
    late_pts = " ".join(point(i, od) for i, (_d, _o, od) in enumerate(series))
    first, last = series[0][0], series[-1][0]
    label = _(
        "Open and overdue items per day, %(first)s to %(last)s",
        first=first.isoformat(),
        last=last.isoformat(),
    )
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart" '
        f'aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" x2="{WIDTH - 6}" '
        f'y2="{PAD_TOP + inner_h}" class="axis"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" class="tick" text-anchor="end">{top}</text>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + inner_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}" class="tick">{first:%m-%d}</text>',
        f'<text x="{WIDTH - 6}" y="{HEIGHT - 4}" class="tick" '
        f'text-anchor="end">{last:%m-%d}</text>',
        f'<polyline points="{open_pts}" class="line-open"/>',
        f'<polyline points="{late_pts}" class="line-overdue"/>',
        "</svg>",
    ]
    # Only numbers and escaped text went into `parts`, so marking it safe is sound.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
