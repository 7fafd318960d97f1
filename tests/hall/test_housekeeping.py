"""What the hall forgets as it goes, on SQLite and PostgreSQL: the person hashes of finished
days after the hall's retention (the tickets stay), idempotency keys after seven days of
writing, however the clock jumps, and on a parent its halls' ticket rows of finished days."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hall import housekeeping, idempotency
from hall.errors import RefusalReason, TicketRefused
from hall.matters.catalogue import Catalogue
from hall.models import IdempotencyKey
from hall.uplink import central, receiver
from hall.uplink.wire import UplinkBatch
from tests.conftest import OPEN_MORNING

H1, H2 = "1" * 64, "2" * 64


def kept_hashes(query) -> list[tuple[str, str]]:
    return query("select day, number from tickets where person_hash is not null order by id")


def test_a_days_hashes_are_cleared_the_day_after_and_the_tickets_stay(engine, clock, query):
    engine.issue_ticket("household", person_hash=H1)
    housekeeping.tidy(engine, now=clock.now)
    assert kept_hashes(query) == [("2026-11-25", "C001")]  # today's still hold the rule
    clock.now += timedelta(days=1)
    engine.issue_ticket("household", person_hash=H2)
    housekeeping.tidy(engine, now=clock.now)
    assert kept_hashes(query) == [("2026-11-26", "C001")]
    assert query("select day, number from tickets order by id") == [("2026-11-25", "C001"), ("2026-11-26", "C001")]
    with pytest.raises(TicketRefused) as refused:  # today's rule holds on
        engine.issue_ticket("taxation", person_hash=H2)
    assert refused.value.reason is RefusalReason.ALREADY_HAS_TICKET


def test_a_hall_may_keep_them_longer(open_engine, spec, clock, query):
    engine = open_engine(spec.model_copy(update={"privacy": spec.privacy.model_copy(
        update={"person_hashes_kept_days": 3})}))
    for _ in range(4):  # Wednesday to Saturday
        engine.issue_ticket("household", person_hash=H1)
        clock.now += timedelta(days=1)
    clock.now -= timedelta(days=1)
    housekeeping.tidy(engine, now=clock.now)
    assert [day for day, _ in kept_hashes(query)] == ["2026-11-26", "2026-11-27", "2026-11-28"]


def write_key(engine, key: str, at) -> None:
    idempotency.once(engine, hall_id="chengguan", principal="device:kiosk-01", key=key, request="r",
                     write=lambda _session: "{}", now=lambda: at)


def keys_left(engine) -> list[str]:
    with engine.transaction() as session:
        idempotency.forget_old(session, hall_id="chengguan")
    with engine.reading() as session:
        return sorted(session.scalars(select(IdempotencyKey.key)))


def test_keys_go_after_seven_days_of_writing_whatever_the_clock_does(engine):
    write_key(engine, "k-first", OPEN_MORNING)
    write_key(engine, "k-set-back", OPEN_MORNING - timedelta(days=30))  # the clock set a month back
    write_key(engine, "k-set-ahead", OPEN_MORNING + timedelta(days=12))  # then twelve days ahead
    assert keys_left(engine) == ["k-first", "k-set-ahead", "k-set-back"]
    for day in range(13, 17):  # four more days of writing: six days begun after k-first
        write_key(engine, f"k-day-{day}", OPEN_MORNING + timedelta(days=day))
    assert "k-first" in keys_left(engine)
    write_key(engine, "k-day-17", OPEN_MORNING + timedelta(days=17))  # the seventh
    assert keys_left(engine)[:2] == ["k-day-13", "k-day-14"] and "k-first" not in keys_left(engine)
    assert "k-set-back" in keys_left(engine)
    write_key(engine, "k-day-18", OPEN_MORNING + timedelta(days=18))
    assert "k-set-back" not in keys_left(engine) and len(keys_left(engine)) == 7


def test_a_parent_clears_its_halls_tickets_of_finished_days_and_keeps_their_figures(engine, clock, query):
    """The ticket rows back what waits now; a finished day's figures stay in its own row."""
    with engine.transaction() as session:
        receiver.add_hall(session, hall_id="town-01", name="庆符镇便民服务中心", region="511525001", now=clock())
    yesterday, today = OPEN_MORNING - timedelta(days=1), OPEN_MORNING
    sent = [{"seq": n, "origin": "town-01", "id": n, "kind": kind, "at": at.isoformat(), "day": at.date().isoformat(),
             "ticket": ticket, "payload": {"ticket": {"id": ticket, "number": f"C{ticket:03}", "service": "household",
                                                      "status": status}}}
            for n, (kind, at, ticket, status) in enumerate([
                ("issued", yesterday, 1, "waiting"), ("issued", yesterday, 2, "waiting"),
                ("called", yesterday + timedelta(minutes=6), 1, "called"), ("issued", today, 3, "waiting")], 1)]
    with engine.transaction() as session:
        receiver.receive(session, spec=engine.spec, catalogue=Catalogue((), ()), child_id="town-01",
                         batch=UplinkBatch(hall="town-01", after=0, events=sent), now=clock())
    assert query("select ticket_id from uplink_tickets order by ticket_id") == [(1,), (2,), (3,)]
    housekeeping.tidy(engine, now=clock.now)
    assert query("select ticket_id from uplink_tickets") == [(3,)]   # ticket 2, never called, waits no more
    assert query("select day, issued, waits from uplink_days order by day") == [("2026-11-24", 2, 1),
                                                                                 ("2026-11-25", 1, 0)]
    with engine.reading() as session:
        [*_, town] = central.tree(session, now=clock(), today=today.date(), within=None)
    assert (town.hall_id, town.figures.waiting) == ("town-01", 1)
