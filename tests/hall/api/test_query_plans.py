"""Nothing the API or the pages answer about today grows with earlier days: on a database
holding thousands of tickets of earlier days (with their events, completions and ratings),
every statement the server runs for a morning's work and for each request of
tests.support.history.HallToday is caught as sent, and its plan (EXPLAIN QUERY PLAN on
SQLite, EXPLAIN on PostgreSQL, whose statistics are fresh as its autovacuum keeps them) must
read the history tables through an index bounded by the day, the time or one row, never a
scan of a table nor a walk of an index over every id of the hall. Where it matters most the
index is named: the display's last calls and the devices' latest changes by kind and time,
today's ratings by day."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, create_engine, event

from hall.db import make_engine
from hall.schemas import DeviceKind, Role
from tests.conftest import OPEN_MORNING
from tests.support.history import HallToday, write_history

HISTORY = 10_000       # tickets of earlier days: three times as many events
HISTORY_TABLES = ("tickets", "events", "served_tickets", "ratings")
# An index walked over every id of the hall: all its history, newest or oldest first.
SQLITE_WALKS = (re.compile(r"^SCAN (tickets|events|served_tickets|ratings)\b"),
                re.compile(r"USING (COVERING )?INDEX ix_event_hall \(hall_id=\?( AND id[<>]\?)?\)"),
                re.compile(r"USING (COVERING )?INDEX ix_rating_hall"))
POSTGRES_WALKS = (re.compile(r"Seq Scan on (tickets|events|served_tickets|ratings)\b"),
                  re.compile(r"Scan( Backward)? using ix_event_hall"),
                  re.compile(r"using ix_rating_hall|on ix_rating_hall"))
# The walks that are not: the newest event id, read from the end of ix_event_hall, and the
# live streams' reads of the events after the last they have, in id order, which visit only
# the events written since.
LAST_EVENT_ID = "SELECT max(events.id)"
NEW_EVENTS = re.compile(r"FROM events WHERE events\.hall_id = \S+ AND events\.id > \S+ ORDER BY events\.id( ASC)? LIMIT")


@pytest.fixture
def statements():
    """Every SELECT the process sends while the test runs, with its parameters, once each."""
    caught: dict[str, object] = {}

    def catch(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            caught.setdefault(statement, parameters)
    event.listen(Engine, "before_cursor_execute", catch)
    yield caught
    event.remove(Engine, "before_cursor_execute", catch)


def plans(db_url: str, caught: dict[str, object]) -> dict[str, list[str]]:
    """Each statement touching the history tables, and its plan's lines."""
    engine = create_engine(db_url)
    postgres = engine.dialect.name == "postgresql"
    out = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in caught.items():
            if not re.search(r"\b(FROM|JOIN) (tickets|events|served_tickets|ratings)\b", statement):
                continue
            cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
            out[statement] = [row[0] if postgres else row[3] for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return out


def test_todays_questions_read_todays_rows_whatever_the_history(db_url, live, add_device, login, statements):
    history = make_engine(db_url)
    try:
        write_history(history, live.hall.spec, HISTORY, before=OPEN_MORNING.date())
    finally:
        history.dispose()
    statements.clear()  # the history's own writing is no question of today's
    day = HallToday(live.url, kiosk=add_device("kiosk-01"),
                    terminal=add_device("counter-03", DeviceKind.COUNTER, counters=("3",)),
                    staff=login("9001", role=Role.SUPERVISOR, counters=("3",)))
    day.morning()
    for name, send in day.requests().items():
        answer = send()
        assert answer.status_code < 300, (name, answer.status_code, answer.text)
    assert len(day.public.get("/api/v1/display").json()["calls"]) == 8  # today's, none of the history's
    caught = dict(statements)
    found = plans(db_url, caught)
    assert len(found) >= 20, sorted(found)

    postgres = db_url.startswith("postgresql")
    walks = POSTGRES_WALKS if postgres else SQLITE_WALKS
    walking = {" ".join(statement.split())[:300]: plan for statement, plan in found.items()
               if not statement.startswith(LAST_EVENT_ID) and not NEW_EVENTS.search(" ".join(statement.split()))
               and any(walk.search(line) for walk in walks for line in plan)}
    assert walking == {}

    def plan_of(start: str) -> str:
        [plan] = [plan for statement, plan in found.items() if " ".join(statement.split()).startswith(start)]
        return "\n".join(plan)

    last_calls = plan_of("SELECT events.id, events.kind, events.counter, events.at, events.payload FROM events")
    device_changes = plan_of("SELECT events.at, events.payload FROM events")
    todays_ratings = plan_of("SELECT ratings.id,")
    if postgres:
        assert re.search(r"Index Cond: .*hall_id.*kind.*at >= ", last_calls), last_calls
        assert "ix_event_kind" in last_calls and "ix_event_kind" in device_changes, (last_calls, device_changes)
        assert re.search(r"ix_rating_day.*\n.*Index Cond: .*day = '2026-11-25'", todays_ratings), todays_ratings
    else:
        assert "INDEX ix_event_kind (hall_id=? AND kind=? AND at>?)" in last_calls, last_calls
        assert "INDEX ix_event_kind (hall_id=? AND kind=?)" in device_changes, device_changes
        assert "INDEX ix_rating_day (hall_id=? AND day=? AND id>?)" in todays_ratings, todays_ratings
