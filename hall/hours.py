"""Opening hours as pure functions of the hours and an instant: when tickets are given,
why not now, and when that changes.

Kept apart from the queue engine so that a kiosk reads its hall's hours (its home screen
opens and closes on the second) without loading the database layer.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hall.errors import RefusalReason
from hall.spec import Hours

SEARCH_DAYS = 30           # how far ahead to look for the next opening (the Spring Festival is ~9 days)


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
