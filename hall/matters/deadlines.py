"""A case's deadline in the hall's working days (its calendar in hall.toml: holidays and
make-up days), counted by hall.hours, and its light.

A case is due `promised_days` working days after the day of its acceptance, which itself
does not count. While it waits for documents (补正) its clock stands still: the working days
after the day it was paused, up to and including the day the documents came, are added back.
"""
from __future__ import annotations

from datetime import date, timedelta

from hall.hours import add_working_days, is_working_day
from hall.matters.states import Light
from hall.spec import Hours


def working_days_after(hours: Hours, start: date, end: date) -> int:
    """The working days d with start < d <= end (0 when end is not after start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(hours, day)
    return count


def due_day(hours: Hours, *, accepted: date, promised_days: int, paused_days: int = 0) -> date:
    return add_working_days(hours, accepted, promised_days + paused_days)


def light_on(hours: Hours, *, due: date, today: date, yellow_days: int) -> Light:
    """Red once `today` is past `due`; yellow from `yellow_days` working days before it."""
    if today > due:
        return Light.RED
    if due <= add_working_days(hours, today, yellow_days):
        return Light.YELLOW
    return Light.GREEN
