"""The office's calendar: deadlines are dates there, timestamps are UTC everywhere else.

Two jobs, both here so no page does them its own way:
- date sums and time-zone conversions that never overflow: a stored deadline of 9999-12-31 or
  a timestamp at datetime.max (old data, another client) shows as the end of the calendar
  instead of answering 500 (`add_days`, `local`);
- windows for every date a client sends: deadlines from the office's today to a configured
  horizon, client clocks from 2000 to a day ahead of ours, list filters within this century
  (`DateWindow`, `deadline_window`, `check_client_time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _

EARLIEST_CLIENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # no phone's record of ours is older
CLIENT_CLOCK_AHEAD = timedelta(days=1)  # a phone's clock may run this far ahead of ours


def _zone(time_zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone


def local(moment: datetime, time_zone: str | tzinfo) -> datetime:
    """`moment` on the office's clock (naive values are UTC). Near the ends of the calendar the
    conversion has no answer; the end itself (datetime.max or .min there) stands in for it."""
    tz = _zone(time_zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(tz)
    except OverflowError:
        return (datetime.max if moment.year > 5000 else datetime.min).replace(tzinfo=tz)


def today_in(time_zone: str | tzinfo, now: datetime | None = None) -> date:
    """Today's date in the office's time zone (the day that decides 'overdue')."""
    return local(now or datetime.now(UTC), time_zone).date()


def add_days(day: date, days: int) -> date:
    """`day` plus `days`, held at date.min / date.max instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def is_working_day(day: date) -> bool:
    """A day the office works: Monday to Friday (public holidays and the swapped weekend days
    of 调休 are not known yet; they belong here when they are)."""
    return day.weekday() < 5


def add_working_days(day: date, days: int) -> date:
    """The `days`-th working day after `day` (a re-check applied for on Friday, 3 working days:
    the next Wednesday)."""
    for _step in range(max(days, 0)):
        day = add_days(day, 1)
        while not is_working_day(day) and day < date.max:
            day = add_days(day, 1)
    return day


@dataclass(frozen=True)
class DateWindow:
    """The dates a client may send for one purpose, both ends included."""

    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    def message(self) -> str:
        return _(
            "Choose a date from %(first)s to %(last)s.",
            first=self.first.isoformat(),
            last=self.last.isoformat(),
        )

    def check(self, day: date, field: str) -> date:
        """`day` if it is inside; otherwise a 422 that names the field and the allowed range."""
        if day in self:
            return day
        raise Invalid(self.message(), fields={field: self.message()})

    def clamp(self, day: date) -> date:
        return min(max(day, self.first), self.last)


# Dates a list may be filtered by, and the most days late a filter may ask for.
FILTER_WINDOW = DateWindow(date(2000, 1, 1), date(2099, 12, 31))
MAX_DAYS_LATE = (FILTER_WINDOW.last - FILTER_WINDOW.first).days


def deadline_window(today: date, horizon_days: int) -> DateWindow:
    """Deadlines: from the office's today to `horizon_days` later (DEADLINE_HORIZON_DAYS)."""
    return DateWindow(today, add_days(today, horizon_days))


def check_client_time(moment: datetime, field: str, now: datetime | None = None) -> datetime:
    """A timestamp from a phone's clock, if it lies between 2000 and a day ahead of ours (naive
    values are UTC); otherwise a 422 that names the field and the allowed range."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    latest = (now or datetime.now(UTC)) + CLIENT_CLOCK_AHEAD
    if EARLIEST_CLIENT_TIME <= aware <= latest:
        return aware
    message = _(
        "Choose a time from %(first)s to %(last)s.",
        first=EARLIEST_CLIENT_TIME.strftime("%Y-%m-%d %H:%M UTC"),
        last=latest.strftime("%Y-%m-%d %H:%M UTC"),
    )
    raise Invalid(message, fields={field: message})
