"""The hall board's reads: today's rows found through indexes, so that the days before cost
nothing (SQLite's own query plans, which do not depend on how many rows there are), and
today's first event found in a long log by its time."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from hall.events import events_after
from hall.hall_board import _first_event_since, hall_board
from hall.queue import QueueEngine

# Present state, small by nature: live sessions (the expired ones go at each login), the
# terminals and their parts' latest word; the help calls are read newest first, a bounded few.
# An empty IN () is written as a select from one constant row.
SMALL = ("staff_sessions", "devices", "device_status", "help_calls", "CONSTANT ROW", "(subquery-")


def a_day(engine: QueueEngine, clock) -> None:
    for service in ("social_security", "household", "household"):
        engine.issue_ticket(service)
    engine.call_next("3")
    engine.complete("3")
    engine.call_next("1")
    engine.pause("5")
    clock.now += timedelta(minutes=5)


def test_today_is_read_through_indexes_and_the_days_before_are_not(db_path, spec, clock):
    engine = QueueEngine(spec, f"sqlite:///{db_path}", clock=clock)
    try:
        today = clock.now
        clock.now = today - timedelta(days=2)
        a_day(engine, clock)
        clock.now = today - timedelta(days=1)
        a_day(engine, clock)
        clock.now = today
        a_day(engine, clock)
        reader = create_engine(f"sqlite:///{db_path}")
        statements = []
        event.listen(reader, "before_cursor_execute",
                     lambda conn, cursor, sql, params, context, many: statements.append((sql, params)))
        with Session(reader) as session:
            board = hall_board(session, spec=spec, now=clock(), offline_after=timedelta(minutes=2))
        plans = []
        with reader.connect() as connection:
            for sql, params in list(statements):
                plans += [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        reader.dispose()
    finally:
        engine.close()
    assert {s.service: (s.waiting, s.served_today) for s in board.services}["household"] == (1, 1)
    scans = [p for p in plans if p.startswith("SCAN") and not p.startswith(tuple(f"SCAN {t}" for t in SMALL))]
    assert scans == [], plans
    assert any("tickets USING INDEX ix_ticket_queue (hall_id=? AND day=?" in p for p in plans), plans
    assert any("events USING INDEX ix_event_hall (hall_id=? AND id>?)" in p for p in plans), plans
    assert any("served_tickets USING INDEX ix_served_day (hall_id=? AND day=?)" in p for p in plans), plans


def test_today_s_first_event_is_found_by_its_time(engine, spec, clock):
    today = clock.now
    for days_ago in (2, 1, 0):
        clock.now = today - timedelta(days=days_ago)
        a_day(engine, clock)
    start = datetime.combine(today.astimezone(spec.zone).date(), time(0), tzinfo=spec.zone)
    with engine.reading() as session:
        found = _first_event_since(session, hall_id=spec.hall.id, start=start)
        log = events_after(session, hall_id=spec.hall.id, after=0, limit=1000)
        assert _first_event_since(session, hall_id=spec.hall.id, start=start + timedelta(days=1)) == log[-1].id + 1
        assert _first_event_since(session, hall_id=spec.hall.id, start=start - timedelta(days=9)) == log[0].id
    assert found == next(e.id for e in log if e.at >= start)
    assert any(e.at < start for e in log)
