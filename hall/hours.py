"""The hall's calendar: when tickets are given, and counting working days.

Pure functions of the hall's hours (hall.spec.Hours: opening periods per weekday, holidays
and make-up working days) and an instant or a day; no database. Issuing asks whether and
until when it may give tickets; deadlines counted in working days are counted here too.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hall.errors import RefusalReason
from hall.spec import Hours

SEARCH_DAYS = 30  # how far ahead to look for the next opening (the Spring Festival is ~9 days)
WEEKEND = (5, 6)  # Saturday, Sunday: date.weekday()


def issuing_windows(hours: Hours, zone: ZoneInfo, day: date) -> list[tuple[datetime, datetime]]:
    """The periods of `day` in which tickets are given: each opening period, cut short by
    stop_issuing_minutes so that the last ticket can still be served before closing."""
    stop = timedelta(minutes=hours.stop_issuing_minutes)
    windows = []
    for period in hours.periods_on(day):
        start = datetime.combine(day, period.start, tzinfo=zone)
        last = datetime.combine(day, period.end, tzinfo=zone) - stop
        if last > start:
            windows.append((start, last))
    return windows


def next_opening(hours: Hours, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first moment after `after` when tickets are given, or None if the hall stays
    closed for the next SEARCH_DAYS days."""
    local = after.astimezone(zone)
    for offset in range(SEARCH_DAYS + 1):
        for start, _ in issuing_windows(hours, zone, local.date() + timedelta(days=offset)):
            if start > local:
                return start
    return None


def opening_after(hours: Hours, zone: ZoneInfo, day: date) -> datetime | None:
    """The first moment tickets are given after `day` ends: when a quota used up today
    gives tickets again."""
    return next_opening(hours, zone, datetime.combine(day, time.max, tzinfo=zone))


def next_issuing_change(hours: Hours, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first moment after `after` when tickets start or stop being given (a window's
    start or end), or None if nothing changes in the next SEARCH_DAYS days."""
    local = after.astimezone(zone)
    for offset in range(SEARCH_DAYS + 1):
        for window in issuing_windows(hours, zone, local.date() + timedelta(days=offset)):
            for moment in window:
                if moment > local:
                    return moment
    return None


def issuing_refusal(hours: Hours, zone: ZoneInfo,
                    now: datetime) -> tuple[RefusalReason | None, datetime | None]:
    """Why no ticket can be issued at `now` and when that changes; (None, None) when open."""
    local = now.astimezone(zone)
    windows = issuing_windows(hours, zone, local.date())
    if not windows:
        return RefusalReason.CLOSED_TODAY, next_opening(hours, zone, local)
    if local < windows[0][0]:
        return RefusalReason.NOT_YET_OPEN, windows[0][0]
    if any(start <= local < end for start, end in windows):
        return None, None
    later = [start for start, _ in windows if start > local]
    if later:
        return RefusalReason.BREAK, later[0]
    return RefusalReason.CLOSED_FOR_TODAY, next_opening(hours, zone, local)


def open_now(hours: Hours, zone: ZoneInfo, now: datetime) -> bool:
    """Whether `now` lies in an opening period (the last minutes, when walk-in tickets have
    stopped, included: a booked citizen's place is kept)."""
    local = now.astimezone(zone)
    return any(datetime.combine(local.date(), p.start, tzinfo=zone) <= local
               < datetime.combine(local.date(), p.end, tzinfo=zone) for p in hours.periods_on(local.date()))


def is_working_day(hours: Hours, day: date) -> bool:
    """A working day (工作日) of the national calendar as the hall lists it: Monday to Friday
    unless a holiday, and the weekend days worked in their place (调休). Whether the hall
    opens does not enter: a deadline in working days counts the same in a hall that also
    opens on Saturday mornings."""
    if day in hours.holidays:
        return False
    return day.weekday() not in WEEKEND or day in hours.workdays


def add_working_days(hours: Hours, start: date, days: int) -> date:
    """The day `days` working days after `start`, which itself does not count (a matter
    accepted on a Friday with 1 working day is due on Monday); 0 gives `start` itself."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"{days!r} is not a number of working days (0 or more)")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(hours, day):
            days -= 1
    return day
