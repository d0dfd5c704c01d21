"""The rounds a campaign's recurrence makes over its period: pure date arithmetic, in office dates
(a round runs from its first day's start to the end of its last day in the office's zone)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from inspect_app.models import Repeat

MAX_ROUNDS = 400  # e.g. a weekly patrol for over seven years; bounds the rows one request makes
MAX_PERIOD_DAYS = 3 * 366  # a campaign's whole period
MAX_EVERY = 366  # "every N days / weeks / months"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, held at the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _next_start(starts_on: date, repeat: Repeat, every: int, n: int) -> date:
    if repeat == Repeat.days:
        return starts_on + timedelta(days=every * n)
    if repeat == Repeat.weeks:
        return starts_on + timedelta(weeks=every * n)
    return add_months(starts_on, every * n)


def round_periods(
    starts_on: date, ends_on: date, repeat: Repeat, every: int
) -> list[tuple[date, date]]:
    """(first day, last day) of each round: one for `once`, else one per period from
    `starts_on`, the last one cut at `ends_on`. At most MAX_ROUNDS (callers refuse more)."""
    if repeat == Repeat.once:
        return [(starts_on, ends_on)]
    periods: list[tuple[date, date]] = []
    n = 0
    start = starts_on
    while start <= ends_on and len(periods) < MAX_ROUNDS + 1:
        following = _next_start(starts_on, repeat, every, n + 1)
        periods.append((start, min(following - timedelta(days=1), ends_on)))
        n += 1
        start = following
    return periods
