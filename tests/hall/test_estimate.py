"""People ahead and the estimated wait, worked out by hand.

estimate = ceil(people × mean service minutes ÷ open counters serving the service), where
the mean is that of the day's last 20 completed services once there are 3, else the
configured one. Real estate (D) is served by counters 4 and 5, household (C) by 3 alone.
"""
from __future__ import annotations

from datetime import timedelta

from hall.tickets import Priority
from tests.hall.conftest import with_service


def serve(engine, clock, counter, minutes):
    """Calls the next ticket now and completes it `minutes` later."""
    ticket = engine.call_next(counter)
    clock.now += timedelta(minutes=minutes)
    engine.complete(counter)
    return ticket.number


def test_three_ahead_two_counters_ten_minutes(open_engine, spec):
    engine = open_engine(with_service(spec, "real_estate", mean_service_minutes=10))
    for _ in range(3):
        engine.issue_ticket("real_estate")
    fourth = engine.issue_ticket("real_estate")
    assert (fourth.ahead, fourth.estimated_wait_minutes) == (3, 15)  # ceil(3 × 10 / 2)
    status = engine.service_status("real_estate")
    assert (status.waiting, status.open_counters, status.estimated_wait_minutes) == (4, 2, 20)


def test_the_first_ticket_waits_for_nobody(engine):
    first = engine.issue_ticket("real_estate")
    assert (first.ahead, first.estimated_wait_minutes) == (0, 0)
    status = engine.service_status("real_estate")
    # ceil(1 × 20 / 2): what the next one would wait
    assert (status.waiting, status.estimated_wait_minutes, status.issued_today) == (1, 10, 1)


def test_a_paused_counter_no_longer_counts(engine):
    tickets = [engine.issue_ticket("real_estate") for _ in range(4)]
    assert tickets[-1].estimated_wait_minutes == 30  # ceil(3 × 20 / 2)
    engine.pause("4")
    assert engine.ticket(tickets[-1].id).estimated_wait_minutes == 60  # ceil(3 × 20 / 1)
    status = engine.service_status("real_estate")
    assert (status.open_counters, status.estimated_wait_minutes) == (1, 80)
    engine.pause("5")
    status = engine.service_status("real_estate")
    assert (status.open_counters, status.estimated_wait_minutes) == (0, 80)  # never divides by 0
    engine.resume("4")
    engine.resume("5")
    assert engine.ticket(tickets[-1].id).estimated_wait_minutes == 30
    # Counter 5 also serves business licences: pausing it changes their estimate too.
    engine.issue_ticket("business_license")
    engine.issue_ticket("business_license")
    engine.pause("5")
    assert engine.service_status("business_license").open_counters == 0


def test_the_mean_follows_the_days_completed_services(engine, clock):
    tickets = [engine.issue_ticket("real_estate") for _ in range(6)]
    last = tickets[-1].id
    assert serve(engine, clock, "4", 5) == "D001"
    assert serve(engine, clock, "4", 7) == "D002"
    # Two completions are too few to trust: still the configured 20 minutes.
    assert engine.ticket(last).ahead == 3
    assert engine.ticket(last).estimated_wait_minutes == 30  # ceil(3 × 20 / 2)
    assert serve(engine, clock, "4", 9) == "D003"
    # Three: mean of 5, 7 and 9 = 7 minutes.
    assert engine.ticket(last).ahead == 2
    assert engine.ticket(last).estimated_wait_minutes == 7  # ceil(2 × 7 / 2)
    status = engine.service_status("real_estate")
    assert (status.waiting, status.estimated_wait_minutes) == (3, 11)  # ceil(3 × 7 / 2) = ceil(10.5)


def test_the_mean_is_over_the_last_twenty_services_only(engine, clock):
    for _ in range(26):
        engine.issue_ticket("household")
    for _ in range(5):
        serve(engine, clock, "3", 30)  # a slow start...
    for _ in range(20):
        serve(engine, clock, "3", 2)   # ...then quick
    status = engine.service_status("household")
    # Over the last 20: 2 minutes. Over all 25 it would be (150 + 40) / 25 = 7.6, giving 8.
    assert (status.waiting, status.estimated_wait_minutes) == (1, 2)


def test_yesterdays_services_do_not_set_todays_mean(engine, clock):
    for _ in range(3):
        engine.issue_ticket("household")
    for _ in range(3):
        serve(engine, clock, "3", 1)
    clock.now = clock.now.replace(hour=9, minute=0) + timedelta(days=1)
    engine.issue_ticket("household")
    assert engine.issue_ticket("household").estimated_wait_minutes == 10  # configured again


def test_people_ahead_follow_the_calling_order(engine, clock):
    for _ in range(3):
        engine.issue_ticket("household")
        clock.now += timedelta(minutes=1)
    green = engine.issue_ticket("household", priority=Priority.GREEN)
    booked = engine.issue_ticket("household", priority=Priority.BOOKED)
    normal = engine.issue_ticket("household")
    assert (green.ahead, green.estimated_wait_minutes) == (0, 0)
    assert (booked.ahead, booked.estimated_wait_minutes) == (1, 10)
    assert (normal.ahead, normal.estimated_wait_minutes) == (5, 50)
    # A later green ticket passes the booked one, who now has two ahead.
    engine.issue_ticket("household", priority=Priority.GREEN)
    assert engine.ticket(booked.id).ahead == 2
    assert engine.call_next("3").number == "C004"
    assert engine.ticket(normal.id).ahead == 5
    assert engine.ticket(booked.id).ahead == 1


def test_only_the_same_service_is_ahead(engine):
    engine.issue_ticket("medical_insurance")
    engine.issue_ticket("medical_insurance")
    mine = engine.issue_ticket("social_security")
    assert (mine.ahead, mine.estimated_wait_minutes) == (0, 0)


def test_a_ticket_sent_to_one_counter_waits_for_that_counter(engine, clock):
    engine.issue_ticket("real_estate")                 # D001 09:00
    clock.now += timedelta(minutes=1)
    engine.issue_ticket("social_security")             # A001 09:01
    clock.now += timedelta(minutes=1)
    engine.issue_ticket("business_license")            # E001 09:02, also counter 5's
    engine.call_next("1")
    moved = engine.transfer("1", to_counter="5")
    # Before it at counter 5: D001 only (older); E001 came later. One counter, A's 8 minutes.
    assert (moved.ahead, moved.estimated_wait_minutes, moved.counters) == (1, 8, ("5",))
