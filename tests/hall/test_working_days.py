"""Working days by the hall's calendar: weekends off, holidays off, make-up days (调休) on,
whatever the hall's opening hours on Saturdays."""
from __future__ import annotations

from datetime import date

import pytest

from hall.hours import add_working_days


@pytest.mark.parametrize("start, n, expected", [
    (date(2026, 11, 25), 0, date(2026, 11, 25)),   # a Wednesday: itself
    (date(2026, 11, 25), 1, date(2026, 11, 26)),
    (date(2026, 11, 27), 1, date(2026, 11, 30)),   # Friday to Monday: the open Saturday does not count
    (date(2026, 11, 25), 5, date(2026, 12, 2)),
    (date(2026, 11, 28), 1, date(2026, 11, 30)),   # from a Saturday
    (date(2026, 9, 29), 5, date(2026, 10, 12)),    # the National Day holidays skipped, Saturday 10-10 worked
    (date(2026, 9, 18), 1, date(2026, 9, 20)),     # Friday to the make-up Sunday 09-20
    (date(2026, 2, 13), 1, date(2026, 2, 14)),     # Friday to the make-up Saturday before the Spring Festival
    (date(2026, 2, 14), 1, date(2026, 2, 24)),     # then the Spring Festival holidays and their Sunday
])
def test_working_days_follow_the_halls_calendar(spec, start, expected, n):
    assert add_working_days(spec.hours, start, n) == expected


def test_counting_backwards_is_refused(spec):
    with pytest.raises(ValueError, match="count forward"):
        add_working_days(spec.hours, date(2026, 11, 25), -1)
