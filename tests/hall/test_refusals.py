"""Holes in the engine that a careless or hostile caller could walk through: each is now a
refusal with a reason, never a raw error or a wrong queue."""
from __future__ import annotations

from datetime import timedelta

import pytest

from hall.errors import InvalidInput, TicketNotFound
from hall.tickets import Priority
from tests.hall.test_calling import call_all, error_code


def test_yesterdays_ticket_cannot_be_transferred_into_today(engine, clock):
    engine.issue_ticket("household")
    engine.call_next("3")
    clock.now += timedelta(days=1)
    assert error_code(engine.transfer, "3", to_service="real_estate") == "stale_ticket"
    assert engine.services_status()[3].waiting == 0  # real estate: nobody waits who cannot be called


def test_a_transfer_to_the_queue_it_is_in_is_refused(engine):
    engine.issue_ticket("household")
    engine.call_next("3")
    for _ in range(3):
        engine.recall("3")
    # Sending it back to its own queue would clear its recalls: a way round the recall limit.
    assert error_code(engine.transfer, "3", to_service="household") == "same_queue"
    assert error_code(engine.recall, "3") == "recall_limit"


def test_the_calling_order_follows_the_issue_not_a_clock_stepped_back(engine, clock):
    first = engine.issue_ticket("household")
    clock.now -= timedelta(minutes=10)  # NTP corrects the kiosk's clock between two tickets
    second = engine.issue_ticket("household")
    assert second.ahead == 1
    assert call_all(engine, "3") == [first.number, second.number]


def test_a_clock_stepped_back_never_makes_a_negative_service_time(engine, clock):
    for _ in range(4):
        engine.issue_ticket("household")
    for _ in range(3):
        engine.call_next("3")
        clock.now -= timedelta(minutes=20)  # completed "before" it was called
        engine.complete("3")
    status = next(s for s in engine.services_status() if s.code == "household")
    assert status.waiting == 1 and status.estimated_wait_minutes > 0  # not "无需等候"


@pytest.mark.parametrize("number", [None, 42, "", "A" * 100])
def test_call_back_with_a_number_that_is_none_is_refused(engine, number):
    assert error_code(engine.call_back, "3", number) == "bad_number"


def test_an_unknown_priority_is_refused_with_the_known_ones(engine):
    with pytest.raises(InvalidInput, match="priority: 'vip' is not one of: normal, booked, green"):
        engine.issue_ticket("household", priority="vip")
    assert engine.issue_ticket("household", priority="green").priority is Priority.GREEN


@pytest.mark.parametrize("ticket_id", [10**30, -1, 0])
def test_a_ticket_id_out_of_range_is_not_found(engine, ticket_id):
    with pytest.raises(TicketNotFound):
        engine.ticket(ticket_id)


@pytest.mark.parametrize("field,args", [
    ("device_id", ("k1/" + "p" * 500, "printer", "ok", "")),
    ("kind", ("k1/printer", "p" * 500, "ok", "")),
    ("status", ("k1/printer", "printer", "o" * 500, "")),
    ("detail", ("k1/printer", "printer", "ok", "x" * 100_000)),
])
def test_unbounded_device_reports_are_refused(engine, field, args):
    with pytest.raises(InvalidInput, match=field):
        engine.report_device(*args)


def test_an_unbounded_person_hash_is_refused(engine):
    with pytest.raises(InvalidInput, match="person_hash"):
        engine.issue_ticket("household", person_hash="f" * 10_000)
    assert engine.services_status()[2].waiting == 0
