"""What the hall decides about identified citizens and booked ones, on SQLite and PostgreSQL:
one open ticket per person a day (per service where the hall says so, more where it allows),
the green channel by age, services that need an ID card, and booking codes checked in once."""
from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest

from hall.booking_codes import BOOKING_PURPOSE, make_booking_code
from hall.errors import EarlierTicket, InvalidInput, RefusalReason, TicketNotFound, TicketRefused
from hall.signing import Signer
from hall.tickets import Priority
from tests.conftest import OPEN_MORNING, SHANGHAI
from tests.hall.conftest import with_hall, with_service

H1, H2 = "1" * 64, "2" * 64  # person hashes, as kiosks send them


def refusal(call, *args, **kwargs) -> TicketRefused:
    with pytest.raises(TicketRefused) as refused:
        call(*args, **kwargs)
    return refused.value


def booking(engine, *, key: bytes | None = None, hall_id: str = "chengguan", booking_id: str = "Q7K2M9",
            service: str = "social_security", day: date = OPEN_MORNING.date(), window=(time(9), time(9, 30))) -> str:
    return make_booking_code(key or engine.signer.key_for(BOOKING_PURPOSE), hall_id=hall_id, booking_id=booking_id,
                             service=service, day=day, window_start=window[0], window_end=window[1])


def test_one_open_ticket_per_person_a_day_across_services(engine, clock):
    first = engine.issue_ticket("household", person_hash=H1)
    refused = refusal(engine.issue_ticket, "taxation", person_hash=H1)
    assert refused.reason is RefusalReason.ALREADY_HAS_TICKET
    assert refused.earlier == EarlierTicket(number="C001", service="household", issued_at=OPEN_MORNING)
    assert engine.issue_ticket("taxation", person_hash=H2).number == "G001"  # G001: no gap
    assert engine.issue_ticket("taxation").number == "G002"  # no hash, no rule
    engine.call_next("3")
    engine.hold("3")  # set aside, still the person's
    assert refusal(engine.issue_ticket, "household", person_hash=H1).earlier.number == "C001"
    engine.call_back("3", "C001")
    engine.mark_absent("3")  # missed: over
    second = engine.issue_ticket("taxation", person_hash=H1)
    assert refusal(engine.issue_ticket, "household", person_hash=H1).earlier.number == "G003"
    clock.now += timedelta(days=1)
    assert engine.issue_ticket("household", person_hash=H1).number == "C001"
    assert (first.number, second.number) == ("C001", "G003")
    engine.call_next("3")
    engine.complete("3")  # served: over
    assert engine.issue_ticket("taxation", person_hash=H1).number == "G001"


def test_a_service_counted_apart_and_a_hall_that_allows_more(open_engine, spec):
    engine = open_engine(with_hall(spec, tickets_per_person=2))
    engine.issue_ticket("household", person_hash=H1)
    engine.issue_ticket("veterans", person_hash=H1)  # person_limit = "service" in the sample hall
    engine.issue_ticket("taxation", person_hash=H1)
    refused = refusal(engine.issue_ticket, "social_security", person_hash=H1)
    assert (refused.reason, refused.earlier.number) == (RefusalReason.ALREADY_HAS_TICKET, "C001")
    refused = refusal(engine.issue_ticket, "veterans", person_hash=H1)
    assert (refused.earlier.number, refused.earlier.service) == ("H001", "veterans")


def test_two_kiosks_at_once_give_one_person_one_ticket(engine):
    start = threading.Barrier(2)
    results: list[object] = []

    def take(service: str) -> None:
        start.wait()
        try:
            results.append(engine.issue_ticket(service, person_hash=H1).number)
        except TicketRefused as exc:
            results.append(exc.reason)
    threads = [threading.Thread(target=take, args=(s,)) for s in ("household", "taxation")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results))[0] in ("C001", "G001")
    assert RefusalReason.ALREADY_HAS_TICKET in results and len(results) == 2


def test_the_hall_gives_the_green_channel_by_age(open_engine, spec):
    engine = open_engine(spec)
    assert engine.issue_ticket("household", person_hash=H1, age=75).priority is Priority.GREEN
    assert engine.issue_ticket("taxation", person_hash=H2, age=69).priority is Priority.NORMAL
    assert engine.issue_ticket("taxation", age=70).priority is Priority.GREEN
    stricter = open_engine(with_hall(spec, green_channel_age=80))
    assert stricter.issue_ticket("medical_insurance", age=75).priority is Priority.NORMAL
    for age in (-1, 151, "75", 7.5, True):
        with pytest.raises(InvalidInput, match="age"):
            engine.issue_ticket("taxation", age=age)


def test_a_service_that_needs_identification(open_engine, spec):
    engine = open_engine(with_service(spec, "household", needs_id=True))
    assert refusal(engine.issue_ticket, "household").reason is RefusalReason.IDENTIFICATION_REQUIRED
    assert engine.issue_ticket("household", person_hash=H1).number == "C001"  # no number was lost


def test_a_booking_checks_in_once_whatever_its_spelling(engine, clock):
    code = booking(engine)
    clock.now = OPEN_MORNING.replace(hour=9, minute=5)
    ticket = engine.check_in(code)
    assert (ticket.number, ticket.priority, ticket.service) == ("A001", Priority.BOOKED, "social_security")
    clock.now += timedelta(minutes=3)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    other_spelling = code[:-1] + alphabet[alphabet.index(code[-1]) ^ 1]  # base32's last two bits are unused
    for again in (code, code.lower(), other_spelling):
        refused = refusal(engine.check_in, again)
        assert refused.reason is RefusalReason.BOOKING_USED
        assert refused.earlier == EarlierTicket("A001", "social_security", OPEN_MORNING.replace(minute=5))
    assert engine.service_status("social_security").issued_today == 1


@pytest.mark.parametrize("make, at, reason", [
    (lambda e: booking(e, key=bytes(32)), "09:00", RefusalReason.BOOKING_FORGED),
    (lambda e: booking(e, key=Signer(bytes(range(32))).key_for(BOOKING_PURPOSE)), "09:00", RefusalReason.BOOKING_FORGED),
    (lambda e: booking(e, key=e.signer.key_for("ticket")), "09:00", RefusalReason.BOOKING_FORGED),
    (lambda e: booking(e, hall_id="xiangyang"), "09:00", RefusalReason.BOOKING_OTHER_HALL),
    (lambda e: booking(e, window=(time(10), time(10, 30))), "09:29", RefusalReason.BOOKING_EARLY),
    (lambda e: booking(e, day=OPEN_MORNING.date() + timedelta(days=1)), "09:00", RefusalReason.BOOKING_EARLY),
    (lambda e: booking(e), "09:46", RefusalReason.BOOKING_EXPIRED),
    (lambda e: booking(e, day=OPEN_MORNING.date() - timedelta(days=1)), "09:00", RefusalReason.BOOKING_EXPIRED),
    (lambda e: booking(e, service="fishing"), "09:00", RefusalReason.UNKNOWN_SERVICE),
])
def test_a_booking_refused_says_why(engine, clock, make, at, reason):
    code = make(engine)
    clock.now = OPEN_MORNING.replace(hour=int(at[:2]), minute=int(at[3:]))
    refused = refusal(engine.check_in, code)
    assert refused.reason is reason
    if reason is RefusalReason.BOOKING_EARLY:  # when to come: 30 minutes before the window
        expected = "09:30" if at == "09:29" else "08:30"
        assert refused.reopens_at.astimezone(SHANGHAI).strftime("%H:%M") == expected
    assert engine.services_status()[0].issued_today == 0


def test_check_in_bounds(engine, clock):
    for garbage in ("", "HKB1.X", "x" * 600, None):
        with pytest.raises(InvalidInput, match="code"):
            engine.check_in(garbage)
    code = booking(engine, window=(time(11, 40), time(12, 0)))
    clock.now = OPEN_MORNING.replace(hour=11, minute=50)  # walk-in tickets stopped at 11:45
    assert engine.check_in(code).priority is Priority.BOOKED
    clock.now = OPEN_MORNING.replace(hour=12, minute=5)  # lunch
    refused = refusal(engine.check_in, booking(engine, booking_id="B2", window=(time(11, 40), time(12, 0))))
    assert refused.reason is RefusalReason.BREAK


def test_a_booked_ticket_is_not_held_to_the_quota(open_engine, spec, clock):
    engine = open_engine(with_service(spec, "social_security", daily_quota=1))
    engine.issue_ticket("social_security")
    assert refusal(engine.issue_ticket, "social_security").reason is RefusalReason.QUOTA_REACHED
    assert engine.check_in(booking(engine)).number == "A002"


def test_two_kiosks_checking_in_one_booking_at_once_give_one_ticket(engine):
    code = booking(engine)
    start = threading.Barrier(3)
    results: list[object] = []

    def scan() -> None:
        start.wait()
        try:
            results.append(engine.check_in(code).number)
        except TicketRefused as exc:
            results.append(exc.reason)
    threads = [threading.Thread(target=scan) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)) == sorted(["A001", str(RefusalReason.BOOKING_USED), str(RefusalReason.BOOKING_USED)])


def test_tickets_found_by_signed_token_and_by_todays_number(engine, open_engine, spec, clock):
    ticket = engine.issue_ticket("household")
    assert engine.ticket_by_token(engine.ticket_token(ticket.id)) == ticket
    assert engine.ticket_by_number("c001") == ticket
    for token in ("1.AAAA", engine.ticket_token(ticket.id)[:-1] + "x", "x" * 200, "1"):
        with pytest.raises(TicketNotFound):
            engine.ticket_by_token(token)
    with pytest.raises(InvalidInput):
        engine.ticket_by_number("C1")
    clock.now += timedelta(days=1)
    with pytest.raises(TicketNotFound):
        engine.ticket_by_number("C001")
    again = open_engine(spec)  # another process on the same database: the same secret
    assert again.ticket_token(ticket.id) == engine.ticket_token(ticket.id)
