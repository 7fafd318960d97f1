"""Opening hours: when tickets are refused, why, and when the kiosk can say to come back.

The sample hall opens 08:30-12:00 and 13:30-17:30 on weekdays, 09:00-12:00 on Saturdays,
stops issuing 15 minutes before each closing, and follows the 2026 holiday calendar.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from hall.errors import RefusalReason, TicketRefused
from hall.hours import add_working_days, issuing_refusal, is_working_day, next_issuing_change
from hall.spec import Hours
from tests.conftest import SHANGHAI

OPEN = None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


CASES = [
    # (clock, reason, reopens_at)
    ("2026-11-25 08:00", RefusalReason.NOT_YET_OPEN, "2026-11-25 08:30"),
    ("2026-11-25 08:29:59", RefusalReason.NOT_YET_OPEN, "2026-11-25 08:30"),
    ("2026-11-25 08:30", OPEN, None),
    ("2026-11-25 11:44:59", OPEN, None),
    ("2026-11-25 11:45", RefusalReason.BREAK, "2026-11-25 13:30"),  # 15 minutes before noon
    ("2026-11-25 12:30", RefusalReason.BREAK, "2026-11-25 13:30"),
    ("2026-11-25 13:30", OPEN, None),
    ("2026-11-25 17:14", OPEN, None),
    ("2026-11-25 17:15", RefusalReason.CLOSED_FOR_TODAY, "2026-11-26 08:30"),
    ("2026-11-25 23:59", RefusalReason.CLOSED_FOR_TODAY, "2026-11-26 08:30"),
    # Friday evening: Saturday morning has hours.
    ("2026-11-27 18:00", RefusalReason.CLOSED_FOR_TODAY, "2026-11-28 09:00"),
    ("2026-11-28 10:00", OPEN, None),
    # Saturday after its only session: Sunday is closed, Monday opens.
    ("2026-11-28 11:45", RefusalReason.CLOSED_FOR_TODAY, "2026-11-30 08:30"),
    ("2026-11-28 14:00", RefusalReason.CLOSED_FOR_TODAY, "2026-11-30 08:30"),
    ("2026-11-29 10:00", RefusalReason.CLOSED_TODAY, "2026-11-30 08:30"),
    # Spring Festival: Sunday 15 February to Monday 23 February closed (Saturday 21st included).
    ("2026-02-15 10:00", RefusalReason.CLOSED_TODAY, "2026-02-24 08:30"),
    ("2026-02-18 10:00", RefusalReason.CLOSED_TODAY, "2026-02-24 08:30"),
    # Saturday 14 February is a make-up working day with Monday's hours, afternoon too.
    ("2026-02-14 08:45", OPEN, None),
    ("2026-02-14 12:10", RefusalReason.BREAK, "2026-02-14 13:30"),
    ("2026-02-14 14:00", OPEN, None),
    ("2026-02-13 17:20", RefusalReason.CLOSED_FOR_TODAY, "2026-02-14 08:30"),
    # New Year's Day, a Thursday holiday: Friday opens.
    ("2026-01-01 09:00", RefusalReason.CLOSED_TODAY, "2026-01-02 08:30"),
]


@pytest.mark.parametrize("clock_at, reason, reopens", CASES)
def test_issuing_hours(spec, clock_at, reason, reopens):
    got_reason, got_reopens = issuing_refusal(spec.hours, spec.zone, at(clock_at))
    assert got_reason is reason
    assert got_reopens == (at(reopens) if reopens else None)


@pytest.mark.parametrize("clock_at, change", [
    ("2026-11-25 08:00", "2026-11-25 08:30"),
    ("2026-11-25 08:30", "2026-11-25 11:45"),     # at a change, the next one
    ("2026-11-25 11:44:59", "2026-11-25 11:45"),  # issuing stops 15 minutes before noon
    ("2026-11-25 12:30", "2026-11-25 13:30"),
    ("2026-11-25 13:30", "2026-11-25 17:15"),
    ("2026-11-27 18:00", "2026-11-28 09:00"),
    ("2026-11-28 11:45", "2026-11-30 08:30"),     # over a closed Sunday
    ("2026-02-15 10:00", "2026-02-24 08:30"),     # over the Spring Festival
])
def test_the_next_change_of_the_hours_is_a_window_start_or_end(spec, clock_at, change):
    """What a kiosk's home screen waits for to open or close, on the second."""
    assert next_issuing_change(spec.hours, spec.zone, at(clock_at)) == at(change)
    moment = at(change)
    before, _ = issuing_refusal(spec.hours, spec.zone, moment - timedelta(microseconds=1))
    after, _ = issuing_refusal(spec.hours, spec.zone, moment)
    assert (before is None) != (after is None)  # open and closed swap at that very moment


def test_the_engine_refuses_with_reason_and_reopening(engine, clock, query):
    clock.now = at("2026-11-25 12:30")
    with pytest.raises(TicketRefused) as refused:
        engine.issue_ticket("household")
    assert refused.value.reason is RefusalReason.BREAK
    assert refused.value.reopens_at == at("2026-11-25 13:30")
    assert refused.value.reopens_at.tzinfo is not None
    assert "13:30" in str(refused.value)
    assert query("select count(*) from tickets") == [(0,)]
    assert query("select count(*) from ticket_sequences") == [(0,)]  # nothing consumed
    clock.now = at("2026-11-25 13:30")
    assert engine.issue_ticket("household").number == "C001"


def test_services_status_tells_every_service_why_it_is_closed(engine, clock):
    clock.now = at("2026-11-29 10:00")
    statuses = engine.services_status()
    assert {s.refusal for s in statuses} == {RefusalReason.CLOSED_TODAY}
    assert {s.reopens_at for s in statuses} == {at("2026-11-30 08:30")}
    clock.now = at("2026-11-30 08:30")
    assert {s.refusal for s in engine.services_status()} == {None}
    assert {s.reopens_at for s in engine.services_status()} == {None}


def test_a_hall_that_never_opens_has_no_reopening(spec):
    never = Hours()
    assert issuing_refusal(never, spec.zone, at("2026-11-25 09:00")) == (RefusalReason.CLOSED_TODAY, None)


def test_reopening_is_searched_about_a_month_ahead(spec):
    """Holidays a month long still find the next opening; beyond that the hall is taken
    as closed until further notice."""
    days = [f"2026-12-{d:02d}" for d in range(1, 32)]
    long_closed = Hours.model_validate({**spec.hours.model_dump(), "holidays": days[:28]})
    reason, reopens = issuing_refusal(long_closed, spec.zone, at("2026-12-01 09:00"))
    assert (reason, reopens) == (RefusalReason.CLOSED_TODAY, at("2026-12-29 08:30"))
    closed_longer = Hours.model_validate({**spec.hours.model_dump(), "holidays": days})
    assert issuing_refusal(closed_longer, spec.zone, at("2026-12-01 09:00")) == (
        RefusalReason.CLOSED_TODAY, None)


def test_no_stop_margin_means_tickets_until_closing(spec):
    hours = Hours.model_validate({**spec.hours.model_dump(), "stop_issuing_minutes": 0})
    assert issuing_refusal(hours, spec.zone, at("2026-11-25 17:29:59")) == (None, None)
    assert issuing_refusal(hours, spec.zone, at("2026-11-25 17:30"))[0] is RefusalReason.CLOSED_FOR_TODAY


def test_a_period_no_longer_than_the_stop_margin_is_refused(spec):
    """It would never issue a ticket; with every period so, the hall would never open."""
    with pytest.raises(ValidationError, match="stop_issuing_minutes = 30 leaves no time to issue tickets "
                                              r"in wednesday 08:30-08:50 \(20 minutes\)"):
        Hours.model_validate({**spec.hours.model_dump(), "stop_issuing_minutes": 30,
                              "wednesday": ["08:30-08:50", "13:30-17:30"]})


WORKING_DAYS = [
    # (start, working days, due)
    ("2026-11-25", 0, "2026-11-25"),
    ("2026-11-25", 5, "2026-12-02"),
    # Saturday 28 November: the hall opens that morning, yet it is no working day.
    ("2026-11-27", 1, "2026-11-30"),
    # Saturday 14 February is worked (调休); then the Spring Festival closes to the 23rd.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-14", 1, "2026-02-24"),
    ("2026-02-12", 3, "2026-02-24"),
    # New Year's Day, a Thursday holiday.
    ("2025-12-31", 1, "2026-01-02"),
    # From a Saturday; across the National Day holidays with Saturday 10-10 worked; to a
    # make-up Sunday.
    ("2026-11-28", 1, "2026-11-30"),
    ("2026-09-29", 5, "2026-10-12"),
    ("2026-09-18", 1, "2026-09-20"),
]


@pytest.mark.parametrize("start, days, due", WORKING_DAYS)
def test_working_days_follow_the_halls_calendar(spec, start, days, due):
    assert add_working_days(spec.hours, date.fromisoformat(start), days) == date.fromisoformat(due)


def test_working_days_are_the_calendars_not_the_opening_hours(spec):
    assert not is_working_day(spec.hours, date(2026, 11, 28))   # Saturday, open 09:00-12:00
    assert is_working_day(spec.hours, date(2026, 2, 28))        # Saturday worked
    assert not is_working_day(spec.hours, date(2026, 2, 16))    # Monday of the Spring Festival
    assert is_working_day(Hours(), date(2026, 11, 25))          # a hall with no hours still counts


@pytest.mark.parametrize("days", [-1, 1.5, True, "3"])
def test_a_number_of_working_days_is_a_whole_number_not_below_zero(spec, days):
    with pytest.raises(ValueError, match="not a number of working days"):
        add_working_days(spec.hours, date(2026, 11, 25), days)
