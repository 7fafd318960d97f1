"""The event log read as its listeners read it ("every event after id N"), on SQLite and
PostgreSQL: while writers commit in any order, a reader that follows the log sees every
event, each once. On PostgreSQL two transactions can take ids 10 and 11 and commit 11
first; a reader that saw 11 would skip 10 for ever, which hall.db.order_commits prevents."""
from __future__ import annotations

import threading

from hall.events import events_after
from hall.spec import load_hall
from tests.hall.conftest import lift_quotas
from tests.hall.test_numbering import SPREAD

WRITERS = 6
TICKETS = 40


def test_a_reader_following_the_log_misses_no_event_written_concurrently(open_engine, hall_copy):
    engine = open_engine(load_hall(lift_quotas(hall_copy)))
    start = threading.Barrier(WRITERS + 1)
    writing = threading.Event()
    errors: list[Exception] = []
    seen: list[int] = []

    def write(i: int) -> None:
        try:
            start.wait()
            for n in range(TICKETS):
                engine.issue_ticket(SPREAD[(i + n) % len(SPREAD)])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def follow() -> None:
        position = 0
        start.wait()
        while True:
            done = not writing.is_set()  # read once more after the last commit
            with engine.reading() as session:
                batch = events_after(session, hall_id=engine.spec.hall.id, after=position)
            seen.extend(e.id for e in batch)
            position = batch[-1].id if batch else position
            if done and not batch:
                return

    writing.set()
    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    reader = threading.Thread(target=follow)
    for t in [*writers, reader]:
        t.start()
    for t in writers:
        t.join(timeout=120)
    writing.clear()
    reader.join(timeout=60)
    assert errors == []
    with engine.reading() as session:
        every = [e.id for e in events_after(session, hall_id=engine.spec.hall.id, after=0, limit=10_000)]
    assert len(every) == WRITERS * TICKETS
    assert seen == every


def test_a_write_of_events_on_postgresql_notifies_every_listening_process(postgres, spec, clock):
    """What wakes the live streams of every server process on the database at once."""
    import psycopg

    from hall.db import EVENTS_CHANNEL, connect_args
    from hall.queue import QueueEngine

    url = postgres.reset()
    engine = QueueEngine(spec, url, clock=clock)
    args, kwargs = connect_args(url)
    try:
        with psycopg.connect(*args, **kwargs, autocommit=True) as listener:
            listener.execute(f"LISTEN {EVENTS_CHANNEL}")
            engine.issue_ticket("household")
            heard = list(listener.notifies(timeout=30, stop_after=1))
        assert [n.channel for n in heard] == [EVENTS_CHANNEL]
    finally:
        engine.close()
