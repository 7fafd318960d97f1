"""Ticket numbers: unique and gapless per service and day, whatever the number of threads
and processes issuing at once; a refused or failed issue consumes no number."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from hall.configfile import ConfigError
from hall.errors import RefusalReason, TicketRefused
from hall.queue import QueueEngine
from hall.tickets import Priority, TicketStatus
from hall.spec import Hours, load_hall
from tests.conftest import OPEN_MORNING
from tests.hall.conftest import lift_quotas, with_service
from tests.hall.workers import issue_many

SPREAD = ["social_security", "medical_insurance", "household", "real_estate", "business_license"]


def assert_gapless(pairs, query, day="2026-11-25"):
    """Numbers per service are exactly 1..n, and the sequence rows say n."""
    by_service = defaultdict(list)
    for service, number in pairs:
        by_service[service].append(int(number[1:]))
    for service, seqs in by_service.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), service
    rows = dict(query("select service, last_seq from ticket_sequences where day = ?", day))
    assert rows == {service: len(seqs) for service, seqs in by_service.items()}


def test_first_tickets_of_the_day(engine, query):
    a1 = engine.issue_ticket("social_security")
    a2 = engine.issue_ticket("social_security")
    b1 = engine.issue_ticket("medical_insurance")
    assert [a1.number, a2.number, b1.number] == ["A001", "A002", "B001"]
    assert a1.status is TicketStatus.WAITING and a1.priority is Priority.NORMAL
    assert a1.issued_at == OPEN_MORNING and a1.issued_at.tzinfo == OPEN_MORNING.tzinfo
    assert a1.day.isoformat() == "2026-11-25"
    assert a1.counters == ("1", "2", "8") and b1.counters == ("1", "2")
    assert a1.counter is None and a1.recalls == 0
    # Stored in UTC: 09:00 in Shanghai is 01:00 UTC.
    assert query("select number, issued_at from tickets where id = ?", a1.id) == [
        ("A001", "2026-11-25 01:00:00.000000")]
    assert engine.ticket(a2.id) == a2


def test_four_processes_issue_two_thousand_distinct_gapless_numbers(hall_copy, db_url, query):
    hall_file = lift_quotas(hall_copy)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(4), ctx.Queue()
    workers = [ctx.Process(target=issue_many,
                           args=(str(hall_file), db_url, OPEN_MORNING, SPREAD[i:] + SPREAD[:i], 500,
                                 start, results))
               for i in range(4)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    answers = [results.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    elapsed = time.perf_counter() - began
    assert all(isinstance(a, tuple) for a in answers), answers
    print(f"\n4 processes x 500 tickets: issuing {max(a[1] for a in answers):.1f} s, "
          f"{elapsed:.1f} s with start-up")
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    pairs = [pair for issued, _ in answers for pair in issued]
    assert len(pairs) == 2000
    assert len({number for _, number in pairs}) == 2000
    assert_gapless(pairs, query)
    assert query("select count(*) from tickets") == [(2000,)]
    assert query("select count(*) from events where kind = 'issued'") == [(2000,)]


def test_eight_threads_share_one_engine(open_engine, hall_copy, query):
    """Eight threads issue while a ninth polls the queue, as a kiosk's screen does."""
    engine = open_engine(load_hall(lift_quotas(hall_copy)))
    start = threading.Barrier(9)
    batches: list[list] = [[] for _ in range(8)]
    errors = []
    seen = []
    done = threading.Event()

    def poll() -> None:
        try:
            start.wait()
            while not done.is_set():
                seen.append(sum(s.waiting for s in engine.services_status()))
                time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def work(i: int) -> None:
        try:
            start.wait()
            for n in range(100):
                t = engine.issue_ticket(SPREAD[(i + n) % len(SPREAD)])
                batches[i].append((t.service, t.number))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    poller.join(timeout=30)
    assert errors == []
    assert len(seen) > 1 and seen == sorted(seen)  # never a count going backwards
    pairs = [p for b in batches for p in b]
    assert len(pairs) == 800 and len(set(pairs)) == 800
    assert_gapless(pairs, query)


def test_numbers_restart_each_day_and_yesterdays_queue_is_not_called(engine, clock, query):
    engine.issue_ticket("social_security")
    engine.issue_ticket("social_security")
    clock.now += timedelta(days=1)  # Thursday, same hour
    today = engine.issue_ticket("social_security")
    assert today.number == "A001" and today.day.isoformat() == "2026-11-26"
    assert today.ahead == 0
    status = engine.service_status("social_security")
    assert (status.waiting, status.issued_today) == (1, 1)
    assert engine.call_next("1").id == today.id
    engine.complete("1")
    assert engine.call_next("1") is None  # yesterday's two still wait, but not today
    assert query("select day, number, status from tickets order by id") == [
        ("2026-11-25", "A001", "waiting"), ("2026-11-25", "A002", "waiting"),
        ("2026-11-26", "A001", "completed")]


def test_the_day_turns_at_midnight_in_the_halls_zone(open_engine, spec, clock):
    """A hall open round the clock shows that 00:30 in Shanghai (16:30 UTC the day before)
    already belongs to the new day."""
    all_day = Hours.model_validate({**spec.hours.model_dump(), "stop_issuing_minutes": 0,
                                    "wednesday": ["00:00-23:59"], "thursday": ["00:00-23:59"]})
    engine = open_engine(spec.model_copy(update={"hours": all_day}))
    clock.now = OPEN_MORNING.replace(hour=23, minute=30)
    assert engine.issue_ticket("household").number == "C001"
    clock.now = OPEN_MORNING.replace(day=26, hour=0, minute=30)
    late = engine.issue_ticket("household")
    assert (late.number, late.day.isoformat()) == ("C001", "2026-11-26")


def test_quota_reached_until_tomorrow(open_engine, spec, query):
    engine = open_engine(with_service(spec, "veterans", daily_quota=3))
    assert [engine.issue_ticket("veterans").number for _ in range(3)] == ["H001", "H002", "H003"]
    with pytest.raises(TicketRefused) as refused:
        engine.issue_ticket("veterans")
    assert refused.value.reason is RefusalReason.QUOTA_REACHED
    assert refused.value.reopens_at.isoformat() == "2026-11-26T08:30:00+08:00"
    status = engine.service_status("veterans")
    assert (status.refusal, status.issued_today, status.quota) == (RefusalReason.QUOTA_REACHED, 3, 3)
    assert status.reopens_at.isoformat() == "2026-11-26T08:30:00+08:00"
    assert engine.service_status("taxation").refusal is None
    assert query("select last_seq from ticket_sequences where service = 'veterans'") == [(3,)]


@pytest.mark.parametrize("digits,last,next_", [(3, "G999", "G1000"), (4, "G9999", "G10000")])
def test_the_last_number_of_its_width_is_the_last(open_engine, spec, query, digits, last, next_):
    engine = open_engine(with_service(spec, "taxation", daily_quota=None, digits=digits))
    assert engine.issue_ticket("taxation").number == "G" + "1".zfill(digits)
    query("update ticket_sequences set last_seq = ? where service = 'taxation'", 10 ** digits - 2)  # not 997 issues
    assert engine.issue_ticket("taxation").number == last
    with pytest.raises(TicketRefused) as refused:
        engine.issue_ticket("taxation")
    assert refused.value.reason is RefusalReason.NUMBERS_EXHAUSTED
    assert f"{10 ** digits - 1} tickets issued today, the most its {digits}-digit numbers allow" in str(refused.value)
    assert next_ not in str(refused.value) and last in str(refused.value)
    assert engine.service_status("taxation").refusal is RefusalReason.NUMBERS_EXHAUSTED
    assert query("select last_seq from ticket_sequences where service = 'taxation'") == [(10 ** digits - 1,)]


def test_a_four_digit_service_numbers_past_999_beside_three_digit_ones(open_engine, spec, query):
    engine = open_engine(with_service(spec, "taxation", daily_quota=None, digits=4))
    query("insert into ticket_sequences (hall_id, day, service, last_seq) values (?, ?, 'taxation', 999)",
          spec.hall.id, "2026-11-25")
    assert engine.issue_ticket("taxation").number == "G1000"
    assert engine.issue_ticket("household").number == "C001"
    assert engine.ticket_by_number("G1000").number == "G1000"


@pytest.mark.parametrize("written,problem", [
    ("digits = 5", "services[6].digits: 5 is not allowed: Input should be 3 or 4"),
    ('digits = "4"', "services[6].digits: '4' is not allowed: Input should be 3 or 4"),
    ("daily_quota = 1200", "services[6].daily_quota: 1200 is not allowed: is more than 3 digits can number (999 a day)"),
])
def test_a_bad_width_in_the_hall_file_is_refused_with_file_and_line(hall_copy, written, problem):
    """Written in the taxation service's place of its daily quota."""
    text = hall_copy.read_text(encoding="utf-8")
    at = text.index("daily_quota = 150", text.index('code = "taxation"'))
    hall_copy.write_text(text[:at] + written + text[at + len("daily_quota = 150"):], encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_hall(hall_copy)
    assert str(hall_copy) in str(refused.value)
    assert f"line {text[:at].count(chr(10)) + 1}, {problem}" in str(refused.value)


def test_a_failed_issue_gives_its_number_back(engine, query):
    """A row already holding the next number (left by hand, say) makes the insert fail;
    the sequence rolls back with it and the next issue tries the same number again."""
    engine.issue_ticket("household")
    query("insert into tickets (hall_id, day, issued_service, service, prefix, seq, number, priority, "
          "status, issued_at, recalls) values ('chengguan', '2026-11-25', 'stray', 'stray', 'C', 2, "
          "'C002', 'normal', 'waiting', '2026-11-25 00:00:00', 0)")
    with pytest.raises(IntegrityError):
        engine.issue_ticket("household")
    assert query("select last_seq from ticket_sequences where service = 'household'") == [(1,)]
    query("delete from tickets where service = 'stray'")
    assert engine.issue_ticket("household").number == "C002"


def test_unknown_service_is_refused(engine):
    with pytest.raises(TicketRefused) as refused:
        engine.issue_ticket("fishing_licence")
    assert refused.value.reason is RefusalReason.UNKNOWN_SERVICE
    with pytest.raises(TicketRefused):
        engine.service_status("fishing_licence")


def test_two_engines_on_one_file_share_the_numbering(open_engine, spec):
    """A kiosk and a staff console process open the same file."""
    kiosk, console = open_engine(spec), open_engine(spec)
    assert kiosk.issue_ticket("household").number == "C001"
    assert console.issue_ticket("household").number == "C002"
    assert console.call_next("3").number == "C001"
    assert kiosk.counter_state("3").current.number == "C001"


def test_a_naive_clock_is_refused(open_engine, spec, clock):
    engine = open_engine(spec)
    clock.now = clock.now.replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        engine.issue_ticket("household")


def test_engine_default_clock_is_utc_now(spec, db_url):
    engine = QueueEngine(spec, db_url)
    try:
        statuses = engine.services_status()  # any hour: it answers, open or not
        assert [s.code for s in statuses] == [s.code for s in spec.services]
    finally:
        engine.close()
