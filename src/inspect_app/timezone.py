"""The office's calendar: deadlines are dates there, timestamps are UTC everywhere else."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """Today's date in the office's time zone (the day that decides 'overdue')."""
    moment = now or datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(time_zone)).date()
