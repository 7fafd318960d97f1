"""Deadlines in the sample hall's working days, against cases counted by hand on its 2026
calendar: the Spring Festival (16-23 February off, Saturdays 14 and 28 February worked), a
pause for documents of several days, and the lights a few days either side."""
from __future__ import annotations

from datetime import date

import pytest

from hall.matters.deadlines import due_day, light_on, working_days_after
from hall.matters.states import Light
from hall.spec import load_hall
from tests.conftest import SAMPLE_HALL

HOURS = load_hall(SAMPLE_HALL).hours


@pytest.mark.parametrize("accepted, days, due", [
    # Thursday before the festival: Fri 13, Sat 14 (worked), then Tue 24, Wed 25, Thu 26.
    (date(2026, 2, 12), 5, date(2026, 2, 26)),
    # Wed 25: Thu 26, Fri 27, Sat 28 (worked).
    (date(2026, 2, 25), 3, date(2026, 2, 28)),
    # Accepted on the worked Saturday 14: the festival's eight days count for nothing.
    (date(2026, 2, 14), 1, date(2026, 2, 24)),
    # Accepted on a holiday: the next working day is the first.
    (date(2026, 2, 18), 2, date(2026, 2, 25)),
    # An immediate matter is due the day it is accepted.
    (date(2026, 2, 12), 0, date(2026, 2, 12)),
    # An ordinary week in November: Tue 24 ... Mon 30.
    (date(2026, 11, 23), 5, date(2026, 11, 30)),
    # National Day: 1-7 October off (the 4th a Sunday), Saturday 10 worked: Thu 8, Fri 9, Sat 10.
    (date(2026, 9, 30), 3, date(2026, 10, 10)),
    (date(2026, 9, 30), 4, date(2026, 10, 12)),
])
def test_due_days_counted_by_hand(accepted, days, due):
    assert due_day(HOURS, accepted=accepted, promised_days=days) == due


@pytest.mark.parametrize("paused, resumed, days", [
    (date(2026, 11, 25), date(2026, 11, 25), 0),   # documents came the same day
    (date(2026, 11, 25), date(2026, 12, 1), 4),    # Thu 26, Fri 27, Mon 30, Tue 1
    (date(2026, 2, 13), date(2026, 2, 25), 3),     # Sat 14 (worked), Tue 24, Wed 25: the festival not
    (date(2026, 11, 27), date(2026, 11, 29), 0),   # a weekend only
])
def test_paused_working_days(paused, resumed, days):
    assert working_days_after(HOURS, paused, resumed) == days


def test_a_pause_of_several_days_moves_the_due_day_by_its_working_days():
    accepted = date(2026, 11, 23)
    assert due_day(HOURS, accepted=accepted, promised_days=5) == date(2026, 11, 30)
    paused = working_days_after(HOURS, date(2026, 11, 25), date(2026, 12, 1))
    assert due_day(HOURS, accepted=accepted, promised_days=5, paused_days=paused) == date(2026, 12, 4)


@pytest.mark.parametrize("today, yellow_days, light", [
    (date(2026, 2, 24), 1, Light.GREEN),    # due Thu 26: two working days left
    (date(2026, 2, 25), 1, Light.YELLOW),   # one left
    (date(2026, 2, 26), 1, Light.YELLOW),   # the due day itself
    (date(2026, 2, 27), 1, Light.RED),
    (date(2026, 2, 24), 2, Light.YELLOW),
    (date(2026, 2, 13), 3, Light.GREEN),    # Sat 14, Tue 24, Wed 25: three away, yet a fortnight
    (date(2026, 2, 14), 3, Light.YELLOW),   # the worked Saturday: the festival brings it near
])
def test_lights_around_a_due_day_after_the_festival(today, yellow_days, light):
    assert light_on(HOURS, due=date(2026, 2, 26), today=today, yellow_days=yellow_days) is light
