"""Counter operations on the sample hall: who is called next, and what staff can do with
the ticket in front of them. Counters 1 and 2 serve social security (A) and medical
insurance (B), 3 household (C), 4 real estate (D), 5 real estate and business (D, E),
8 veterans and social security (H, A)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from hall import idempotency
from hall.errors import CounterOperationError
from hall.tickets import Priority, TicketStatus
from tests.conftest import OPEN_MORNING
from tests.hall.conftest import with_hall
from tests.support.waiting import until


def issue(engine, clock, *items, step=timedelta(minutes=1)):
    """Issues tickets a minute apart; items are a service, or (service, priority)."""
    numbers = []
    for item in items:
        service, priority = item if isinstance(item, tuple) else (item, Priority.NORMAL)
        numbers.append(engine.issue_ticket(service, priority=priority).number)
        clock.now += step
    return numbers


def call_all(engine, counter):
    called = []
    while (ticket := engine.call_next(counter)) is not None:
        called.append(ticket.number)
        engine.complete(counter)
    return called


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(CounterOperationError) as err:
        call(*args, **kwargs)
    return err.value.code


def events(query, number):
    return query("select e.kind, e.counter, e.detail from events e join tickets t "
                 "on t.id = e.ticket_id where t.number = ? order by e.id", number)


def test_a_ticket_from_issue_to_completion(engine, clock, query):
    ticket = engine.issue_ticket("household")
    clock.now += timedelta(minutes=4)
    called = engine.call_next("3")
    assert (called.id, called.status, called.counter) == (ticket.id, TicketStatus.CALLED, "3")
    assert engine.counter_state("3").current == called
    again = engine.recall("3")
    assert again.recalls == 1 and again.status is TicketStatus.CALLED
    clock.now += timedelta(minutes=11)
    done = engine.complete("3")
    assert done.status is TicketStatus.COMPLETED and done.counter == "3"
    assert engine.counter_state("3").current is None
    assert engine.ticket(ticket.id) == done
    assert query("select called_at, completed_at from tickets") == [
        ("2026-11-25 01:04:00.000000", "2026-11-25 01:15:00.000000")]
    assert events(query, "C001") == [("issued", None, "normal"), ("called", "3", ""),
                                     ("recalled", "3", "1"), ("completed", "3", "")]


def test_green_then_booked_then_normal_each_oldest_first(engine, clock):
    issue(engine, clock, "social_security", ("social_security", Priority.BOOKED),
          ("social_security", Priority.GREEN), "social_security", ("social_security", Priority.GREEN),
          ("social_security", Priority.BOOKED))
    assert call_all(engine, "1") == ["A003", "A005", "A002", "A006", "A001", "A004"]


def test_the_hall_chooses_which_classes_go_first(open_engine, spec, clock):
    booked_only = open_engine(with_hall(spec, priority_first=["booked", "green"]))
    issue(booked_only, clock, "household", ("household", Priority.GREEN), ("household", Priority.BOOKED))
    assert call_all(booked_only, "3") == ["C003", "C002", "C001"]


def test_a_hall_without_priorities_calls_first_come_first_served(open_engine, spec, clock):
    fifo = open_engine(with_hall(spec, priority_first=[]))
    issue(fifo, clock, "household", ("household", Priority.GREEN), ("household", Priority.BOOKED),
          "household")
    assert call_all(fifo, "3") == ["C001", "C002", "C003", "C004"]


def test_a_class_left_out_of_priority_first_waits_with_the_normal_ones(open_engine, spec, clock):
    green_only = open_engine(with_hall(spec, priority_first=["green"]))
    issue(green_only, clock, ("household", Priority.BOOKED), "household", ("household", Priority.GREEN))
    assert call_all(green_only, "3") == ["C003", "C001", "C002"]


def test_a_counter_calls_the_oldest_among_all_its_services(engine, clock):
    issue(engine, clock, "medical_insurance", "veterans", "social_security", "medical_insurance", "veterans")
    assert engine.call_next("1").number == "B001"   # 1 serves A and B, not H
    engine.complete("1")
    assert engine.call_next("8").number == "H001"   # 8 serves H and A
    engine.complete("8")
    assert engine.call_next("8").number == "A001"
    engine.complete("8")
    assert engine.call_next("2").number == "B002"
    engine.complete("2")
    assert engine.call_next("1") is None
    assert engine.call_next("8").number == "H002"
    assert engine.call_next("3") is None


def test_priority_comes_before_age_across_a_counters_services(engine, clock):
    issue(engine, clock, "social_security", ("medical_insurance", Priority.GREEN))
    assert engine.call_next("1").number == "B001"


def test_no_two_counters_get_the_same_ticket(open_engine, spec, clock):
    """Counters 1, 2 and 8 call from the shared A queue at once, from two processes'
    worth of connections (two engines) and several threads."""
    kiosk, console = open_engine(spec), open_engine(spec)
    for _ in range(60):
        kiosk.issue_ticket("social_security")
    called: dict[str, list[str]] = {"1": [], "2": [], "8": []}
    errors = []

    def serve(engine, counter):
        try:
            while (ticket := engine.call_next(counter)) is not None:
                called[counter].append(ticket.number)
                engine.complete(counter)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=serve, args=(kiosk if c == "8" else console, c)) for c in called]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    everyone = sorted(n for numbers in called.values() for n in numbers)
    assert everyone == [f"A{i:03d}" for i in range(1, 61)]


def test_a_counter_must_finish_before_calling_again(engine, clock):
    issue(engine, clock, "household", "household")
    engine.call_next("3")
    with pytest.raises(CounterOperationError) as err:
        engine.call_next("3")
    assert err.value.code == "busy" and "C001" in str(err.value)


def test_nobody_waiting(engine):
    assert engine.call_next("3") is None
    assert engine.counter_state("3").current is None


def test_unknown_counter_for_every_operation(engine):
    for op in (engine.call_next, engine.recall, engine.mark_absent, engine.hold, engine.complete,
               engine.pause, engine.resume, engine.counter_state):
        assert error_code(op, "99") == "unknown_counter", op.__name__
    assert error_code(engine.call_back, "99", "A001") == "unknown_counter"
    assert error_code(engine.transfer, "99", to_service="household") == "unknown_counter"


def test_operations_on_an_idle_counter(engine):
    for op in (engine.recall, engine.mark_absent, engine.hold, engine.complete):
        assert error_code(op, "3") == "idle", op.__name__
    assert error_code(engine.transfer, "3", to_service="taxation") == "idle"


def test_recalls_are_limited(open_engine, spec, clock, query):
    engine = open_engine(with_hall(spec, max_recalls=2))
    issue(engine, clock, "household")
    engine.call_next("3")
    assert [engine.recall("3").recalls for _ in range(2)] == [1, 2]
    assert error_code(engine.recall, "3") == "recall_limit"
    assert engine.mark_absent("3").status is TicketStatus.ABSENT
    assert [k for k, *_ in events(query, "C001")] == ["issued", "called", "recalled", "recalled", "absent"]


def test_no_recalls_at_all_when_the_hall_says_zero(open_engine, spec, clock):
    engine = open_engine(with_hall(spec, max_recalls=0))
    issue(engine, clock, "household")
    engine.call_next("3")
    assert error_code(engine.recall, "3") == "recall_limit"


def test_hold_frees_the_counter_and_call_back_brings_the_ticket_back(engine, clock, query):
    issue(engine, clock, "social_security", "social_security")
    engine.call_next("1")
    held = engine.hold("1")
    assert held.status is TicketStatus.HELD and held.ahead == 0 and held.estimated_wait_minutes == 0
    assert engine.counter_state("1").current is None
    assert engine.call_next("1").number == "A002"  # the held ticket is not called in turn
    assert error_code(engine.call_back, "1", "A001") == "busy"
    engine.complete("1")
    back = engine.call_back("1", "a001 ")  # typed by staff in lower case
    assert (back.number, back.status, back.counter, back.recalls) == ("A001", TicketStatus.CALLED, "1", 0)
    assert engine.counter_state("1").current == back
    engine.complete("1")
    assert [k for k, *_ in events(query, "A001")] == ["issued", "called", "held", "called_back", "completed"]


def test_an_absent_ticket_can_be_called_back_by_another_counter_of_its_service(engine, clock):
    issue(engine, clock, "social_security")
    engine.call_next("1")
    engine.recall("1")
    absent = engine.mark_absent("1")
    assert absent.status is TicketStatus.ABSENT and absent.recalls == 1
    assert engine.call_next("1") is None
    assert error_code(engine.call_back, "3", "A001") == "not_callable"  # household only
    back = engine.call_back("8", "A001")
    assert back.counter == "8" and back.recalls == 0


def test_call_back_refusals(engine, clock):
    issue(engine, clock, "household", "household")
    assert error_code(engine.call_back, "3", "C009") == "not_found"
    assert error_code(engine.call_back, "3", "C002") == "not_callable"  # still waiting in turn
    engine.call_next("3")
    engine.complete("3")
    engine.call_next("3")
    assert error_code(engine.call_back, "3", "C001") == "busy"
    engine.complete("3")
    assert error_code(engine.call_back, "3", "C001") == "not_callable"  # completed
    engine.pause("3")
    assert error_code(engine.call_back, "3", "C001") == "paused"


def test_yesterdays_held_ticket_cannot_be_called_back(engine, clock):
    issue(engine, clock, "household")
    engine.call_next("3")
    engine.hold("3")
    clock.now += timedelta(days=1)
    assert error_code(engine.call_back, "3", "C001") == "not_found"


def test_transfer_to_a_service_keeps_the_number_and_the_place(engine, clock, query):
    issue(engine, clock, "social_security")              # A001 at 09:00
    issue(engine, clock, "household", "household")       # C001, C002 at 09:01, 09:02
    engine.call_next("1")
    moved = engine.transfer("1", to_service="household")
    assert (moved.number, moved.service, moved.status) == ("A001", "household", TicketStatus.WAITING)
    assert moved.counters == ("3",) and moved.ahead == 0  # issued before C001 and C002
    assert moved.counter is None
    assert moved.issued_at == OPEN_MORNING
    assert engine.counter_state("1").current is None
    assert engine.ticket(engine.issue_ticket("household").id).ahead == 3
    assert call_all(engine, "3") == ["A001", "C001", "C002", "C003"]
    assert engine.call_next("1") is None
    assert events(query, "A001")[2] == ("transferred", "1", "service=household")
    # The number stays drawn from social security's sequence.
    assert engine.issue_ticket("social_security").number == "A002"


def test_transfer_to_a_counter_is_for_that_counter_alone(engine, clock):
    issue(engine, clock, "social_security", "social_security", "real_estate")
    engine.call_next("1")
    moved = engine.transfer("1", to_counter="5")
    assert (moved.status, moved.counters, moved.service) == (TicketStatus.WAITING, ("5",), "social_security")
    assert engine.call_next("2").number == "A002"      # another A counter does not take it
    assert engine.call_next("4").number == "D001"      # nor does 4, real estate like 5
    at_5 = engine.call_next("5")
    assert (at_5.number, at_5.counter, at_5.counters) == ("A001", "5", ("5",))
    held = engine.hold("5")
    assert error_code(engine.call_back, "1", "A001") == "not_callable"  # it belongs to 5 now
    assert held.counters == ("5",)
    assert engine.call_back("5", "A001").counter == "5"


def test_transfer_refusals(engine, clock):
    issue(engine, clock, "household")
    engine.call_next("3")
    assert error_code(engine.transfer, "3", to_service="fishing") == "unknown_service"
    assert error_code(engine.transfer, "3", to_counter="99") == "unknown_counter"
    assert error_code(engine.transfer, "3") == "bad_transfer"
    assert error_code(engine.transfer, "3", to_service="taxation", to_counter="7") == "bad_transfer"
    assert error_code(engine.transfer, "3", to_counter="3") == "bad_transfer"
    assert engine.counter_state("3").current.number == "C001"  # nothing moved


def test_a_paused_counter_calls_nobody_but_finishes_its_ticket(engine, clock, query):
    issue(engine, clock, "household", "household")
    engine.call_next("3")
    engine.pause("3")
    state = engine.counter_state("3")
    assert state.paused and state.current.number == "C001"
    assert engine.recall("3").recalls == 1
    engine.complete("3")
    assert error_code(engine.call_next, "3") == "paused"
    engine.resume("3")
    assert not engine.counter_state("3").paused
    assert engine.call_next("3").number == "C002"
    assert query("select counter_id, paused from counters where counter_id = '3'") == [("3", 0)]


def test_every_operation_leaves_one_event(engine, clock, query):
    issue(engine, clock, "social_security", "social_security")
    engine.call_next("1")
    engine.recall("1")
    engine.hold("1")
    engine.call_next("1")
    engine.mark_absent("1")
    engine.call_back("2", "A001")
    engine.transfer("2", to_counter="8")
    engine.call_next("8")
    engine.complete("8")
    engine.call_back("1", "A002")
    engine.transfer("1", to_service="medical_insurance")
    assert events(query, "A001") == [
        ("issued", None, "normal"), ("called", "1", ""), ("recalled", "1", "1"), ("held", "1", ""),
        ("called_back", "2", ""), ("transferred", "2", "counter=8"), ("called", "8", ""),
        ("completed", "8", "")]
    assert events(query, "A002") == [
        ("issued", None, "normal"), ("called", "1", ""), ("absent", "1", ""),
        ("called_back", "1", ""), ("transferred", "1", "service=medical_insurance")]
    assert query("select count(*) from events where at is null") == [(0,)]


def test_a_failed_operation_leaves_no_event(engine, clock, query):
    issue(engine, clock, "household")
    before = query("select count(*) from events")
    error_code(engine.complete, "3")
    error_code(engine.call_back, "3", "C001")
    assert query("select count(*) from events") == before


def test_device_status_keeps_the_latest_per_device(engine, clock, query):
    engine.report_device("k1/printer", "printer", "ok")
    clock.now += timedelta(minutes=5)
    engine.report_device("k1/printer", "printer", "paper_out", "paper end sensor")
    engine.report_device("k1/idcard", "idcard", "ok")
    assert query("select device_id, kind, status, detail, at from device_status order by device_id") == [
        ("k1/idcard", "idcard", "ok", "", "2026-11-25 01:05:00.000000"),
        ("k1/printer", "printer", "paper_out", "paper end sensor", "2026-11-25 01:05:00.000000")]


def test_a_ticket_left_open_overnight_does_not_block_the_counter(engine, clock):
    issue(engine, clock, "household")
    assert engine.call_next("3").number == "C001"
    clock.now += timedelta(days=1)
    issue(engine, clock, "household")
    called = engine.call_next("3")
    assert called.number == "C001" and called.day == clock.now.date()
    assert engine.counter_state("3").current == called


def waiting_for_a_lock(query) -> None:
    """Until a PostgreSQL connection waits for a row lock (a unique key held by an open
    transaction)."""
    until(lambda: query("select count(*) from pg_stat_activity where wait_event_type = 'Lock'") != [(0,)],
          every=0.01, what="the second report to meet the first")


def test_two_first_reports_of_one_part_in_server_transactions_both_land(engine, clock, query, db_url):
    """The hall server runs a report inside its idempotency transaction. Two first reports of
    one part: on PostgreSQL the second waits for the first to commit, then meets its row
    at its own commit; hall.idempotency.once tries the whole write again, which now finds
    the row and updates it. (SQLite's writers take turns, and the second simply updates.)"""
    holding, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def first() -> None:
        try:
            with engine.transaction():
                engine.report_device("k1/printer", "printer", "paper_near_end")
                holding.set()
                release.wait(timeout=10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def second() -> None:
        try:
            idempotency.once(engine, hall_id=engine.spec.hall.id, principal="device:k1", key="second-report",
                             request="r", now=clock,
                             write=lambda _s: engine.report_device("k1/printer", "printer", "paper_out") or "{}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    assert holding.wait(timeout=10)
    threads.append(threading.Thread(target=second))
    threads[1].start()
    if db_url.startswith("postgresql"):
        waiting_for_a_lock(query)
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert query("select status from device_status") == [("paper_out",)]
    assert query("select count(*) from events where kind = 'device_status'") == [(2,)]
