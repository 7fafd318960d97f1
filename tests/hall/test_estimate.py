"""People ahead and the estimated wait, worked out by hand on the sample hall.

The wait is played forward as the counters would call: each open counter is free when the
ticket it serves is done (the mean less the time taken, at least half the mean), then calls
the first waiting ticket it may call in calling order, busy for that service's mean; ties
go to the counter configured first. Counters 1 and 2 serve social insurance (A, 8 min) and
medical insurance (B, 6 min), counter 8 veterans (H, 12 min) and A; 3 household (C, 10 min)
alone; 4 real estate (D, 20 min), 5 D and business licences (E, 15 min).
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


def wait_of(ticket):
    return ticket.ahead, ticket.estimated_wait_minutes, ticket.paused


def test_a_free_counter_means_no_wait(engine):
    first = engine.issue_ticket("real_estate")
    assert wait_of(first) == (0, 0, False)
    status = engine.service_status("real_estate")
    # D001 goes to counter 4, and counter 5 is free for the next one.
    assert (status.waiting, status.open_counters, status.estimated_wait_minutes, status.issued_today) == (1, 2, 0, 1)


def test_two_counters_share_the_queue(open_engine, spec):
    engine = open_engine(with_service(spec, "real_estate", mean_service_minutes=10))
    for _ in range(3):
        engine.issue_ticket("real_estate")
    fourth = engine.issue_ticket("real_estate")
    # D001 and D002 at once; D003 and D004 side by side ten minutes later.
    assert wait_of(fourth) == (2, 10, False)
    status = engine.service_status("real_estate")
    assert (status.waiting, status.estimated_wait_minutes) == (4, 20)


def test_a_busy_counter_is_free_when_its_service_is_done(engine, clock):
    engine.issue_ticket("household")
    engine.call_next("3")
    clock.now += timedelta(minutes=4)
    waiting = engine.issue_ticket("household")
    assert wait_of(waiting) == (0, 6, False)  # 10 − 4
    clock.now += timedelta(minutes=4)
    # Near its mean, and past it: half the mean is still to come.
    assert wait_of(engine.ticket(waiting.id)) == (0, 5, False)
    clock.now += timedelta(minutes=10)
    assert wait_of(engine.ticket(waiting.id)) == (0, 5, False)
    assert engine.service_status("household").estimated_wait_minutes == 5 + 10


def test_a_paused_counter_gives_nothing_until_it_resumes(engine, clock):
    engine.issue_ticket("real_estate")
    engine.issue_ticket("real_estate")
    engine.call_next("4")                         # D001 at 09:00
    clock.now += timedelta(minutes=5)
    engine.call_next("5")                         # D002 at 09:05
    third = engine.issue_ticket("real_estate")
    assert wait_of(third) == (0, 15, False)       # counter 4 is done first
    engine.pause("4")                             # it finishes D001, then calls nobody
    assert wait_of(engine.ticket(third.id)) == (0, 20, False)
    status = engine.service_status("real_estate")
    assert (status.open_counters, status.estimated_wait_minutes) == (1, 20 + 20)
    engine.resume("4")
    assert wait_of(engine.ticket(third.id)) == (0, 15, False)


def test_every_counter_paused_is_said(engine):
    engine.pause("3")
    ticket = engine.issue_ticket("household")
    # Nobody can say when it resumes: paused, with the wait from its resuming.
    assert wait_of(ticket) == (0, 0, True)
    second = engine.issue_ticket("household")
    assert wait_of(second) == (1, 10, True)
    assert engine.service_status("household").open_counters == 0
    engine.resume("3")
    assert wait_of(engine.ticket(ticket.id)) == (0, 0, False)
    # Veterans: counter 8 alone, which also serves social insurance with counters 1 and 2.
    engine.pause("8")
    veteran = engine.issue_ticket("veterans")
    assert wait_of(veteran) == (0, 0, True)
    assert wait_of(engine.issue_ticket("social_security")) == (0, 0, False)


def test_other_services_on_a_shared_counter_come_first_in_calling_order(engine):
    engine.issue_ticket("veterans")
    engine.call_next("8")                          # H001: counter 8 busy for 12 minutes
    engine.issue_ticket("social_security")         # A001
    engine.issue_ticket("social_security")         # A002
    medical = engine.issue_ticket("medical_insurance")
    # Counters 1 and 2 take A001 and A002 first; B001 gets the first of them free.
    assert wait_of(medical) == (2, 8, False)
    later = engine.issue_ticket("social_security")  # A003: behind B001, beside it at the other counter
    assert wait_of(later) == (2, 8, False)
    # A ticket of another service issued later does not pass it.
    engine.issue_ticket("social_security")         # A004 goes to counter 8 at 12
    assert wait_of(engine.ticket(medical.id)) == (2, 8, False)


def test_a_shared_counter_is_shared_between_its_services(engine):
    engine.pause("8")
    for _ in range(3):
        engine.issue_ticket("social_security")     # A001–A003
        engine.issue_ticket("medical_insurance")   # B001–B003
    last = engine.issue_ticket("medical_insurance")  # B004
    # A001 and B001 at 0; counter 2, free at 6, takes A002 and counter 1, at 8, B002; both
    # free at 14 take A003 and B003; counter 2 is free first, at 20, for B004. The six
    # before it were all called by its counters.
    assert wait_of(last) == (6, 20, False)


def test_both_counters_busy_is_no_wait_for_nobody(engine, clock):
    engine.issue_ticket("social_security")
    engine.issue_ticket("social_security")
    engine.issue_ticket("veterans")
    engine.call_next("1")
    engine.call_next("2")
    engine.call_next("8")
    clock.now += timedelta(minutes=2)
    assert wait_of(engine.issue_ticket("medical_insurance")) == (0, 6, False)   # 8 − 2
    assert wait_of(engine.issue_ticket("social_security")) == (0, 6, False)     # beside it
    assert wait_of(engine.issue_ticket("social_security")) == (2, 10, False)    # counter 8: 12 − 2


def test_the_mean_follows_the_days_completed_services(engine, clock):
    tickets = [engine.issue_ticket("real_estate") for _ in range(6)]
    last = tickets[-1].id
    assert serve(engine, clock, "4", 5) == "D001"
    assert serve(engine, clock, "4", 7) == "D002"
    # Two completions are too few to trust: still the configured 20 minutes.
    assert wait_of(engine.ticket(last)) == (2, 20, False)
    assert serve(engine, clock, "4", 9) == "D003"
    # Three: mean of 5, 7 and 9 = 7 minutes. D004 and D005 at once, D006 at 7.
    assert wait_of(engine.ticket(last)) == (2, 7, False)
    status = engine.service_status("real_estate")
    assert (status.waiting, status.estimated_wait_minutes) == (3, 7)


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


def test_yesterdays_open_ticket_does_not_hold_its_counter(engine, clock):
    engine.issue_ticket("household")
    engine.call_next("3")
    clock.now = clock.now.replace(hour=9, minute=0) + timedelta(days=1)
    assert wait_of(engine.issue_ticket("household")) == (0, 0, False)


def test_people_ahead_follow_the_calling_order(engine, clock):
    for _ in range(3):
        engine.issue_ticket("household")
        clock.now += timedelta(minutes=1)
    green = engine.issue_ticket("household", priority=Priority.GREEN)
    booked = engine.issue_ticket("household", priority=Priority.BOOKED)
    normal = engine.issue_ticket("household")
    assert wait_of(green) == (0, 0, False)
    assert wait_of(booked) == (1, 10, False)
    assert wait_of(normal) == (5, 50, False)
    # A later green ticket passes the booked one, who now has two ahead.
    engine.issue_ticket("household", priority=Priority.GREEN)
    assert engine.ticket(booked.id).ahead == 2
    assert engine.call_next("3").number == "C004"
    # C004 is being served: the rest wait for it to be done, the later green one first.
    assert wait_of(engine.ticket(normal.id)) == (5, 60, False)
    assert wait_of(engine.ticket(booked.id)) == (1, 20, False)
    # A new normal ticket waits behind them all.
    assert engine.service_status("household").estimated_wait_minutes == 70


def test_a_ticket_sent_to_one_counter_waits_for_that_counter(engine, clock):
    engine.pause("4")
    engine.issue_ticket("real_estate")                 # D001 09:00
    clock.now += timedelta(minutes=1)
    engine.issue_ticket("social_security")             # A001 09:01
    clock.now += timedelta(minutes=1)
    engine.issue_ticket("business_license")            # E001 09:02, also counter 5's
    engine.call_next("1")
    moved = engine.transfer("1", to_counter="5")
    # Counter 5 calls D001 (older) first, then A001 at D's 20 minutes; E001 came later.
    assert (*wait_of(moved), moved.counters) == (1, 20, False, ("5",))
    # Both paused: counted as if both resumed now, counter 4 taking D001.
    engine.pause("5")
    assert wait_of(engine.ticket(moved.id)) == (0, 0, True)
