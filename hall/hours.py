"""The hall's calendar: opening hours and working days, pure functions of its hours."""
from __future__ import annotations

from datetime import date, timedelta

from hall.spec import Hours


def add_working_days(hours: Hours, day: date, n: int) -> date:
    """The day `n` working days after `day` (which does not count itself; n = 0 gives `day`).
    Holidays are skipped and make-up working days (调休) counted, as Hours.working_day says."""
    if n < 0:
        raise ValueError(f"{n} working days: count forward, from 0")
    while n:
        day += timedelta(days=1)
        if hours.working_day(day):
            n -= 1
    return day
