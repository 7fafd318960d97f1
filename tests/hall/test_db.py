"""The SQLite set-up: WAL, a busy timeout, and writers that queue rather than fail."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from hall.db import make_engine, read_only
from hall.errors import StorageUnusable
from hall.models import TicketSequence

TABLES = {"tickets", "ticket_sequences", "counters", "events", "device_status"}


@pytest.fixture
def engine(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    yield engine
    engine.dispose()


def test_pragmas(engine):
    with engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert con.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert con.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_schema_is_created_once(db_path):
    first = make_engine(f"sqlite:///{db_path}")
    second = make_engine(f"sqlite:///{db_path}")  # a second process starting on an existing file
    try:
        assert TABLES <= set(inspect(second).get_table_names())
    finally:
        first.dispose()
        second.dispose()


def test_a_missing_folder_is_refused_not_made(tmp_path):
    with pytest.raises(StorageUnusable, match="'.*/data/hall' does not exist; create it"):
        make_engine(f"sqlite:///{tmp_path / 'data' / 'hall' / 'hall.db'}")
    assert not (tmp_path / "data").exists()
    (tmp_path / "data").write_text("a file")
    with pytest.raises(StorageUnusable, match="'.*/data' is not a folder"):
        make_engine(f"sqlite:///{tmp_path / 'data' / 'hall.db'}")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(url):
    with pytest.raises(ValueError, match="database file"):
        make_engine(url)


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as con:
            con.execute(text("insert into events (hall_id, ticket_id, kind, at, detail, payload) "
                             "values ('h', 4242, 'issued', '2026-11-25 01:00:00', '', '{}')"))


INSERT = "insert into ticket_sequences (hall_id, day, service, last_seq) values ('h', '2026-11-25', ?, ?)"


def run(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_deferred_transactions_would_fail_with_database_is_locked(db_path, engine):
    """The contrast: with a plain BEGIN both connections read, and the second to write is
    refused whatever the busy timeout. This is what the engine must avoid."""
    both_read = threading.Barrier(2, timeout=30)
    errors = []

    def read_then_write(name):
        con = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        try:
            con.execute("BEGIN")
            seen = con.execute("select count(*) from ticket_sequences").fetchone()[0]
            both_read.wait()
            con.execute(INSERT, (name, seen))
            con.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            errors.append(exc)
        finally:
            con.close()
    for thread in [run(read_then_write, name) for name in "ab"]:
        thread.join(timeout=60)
    assert len(errors) == 1 and "database is locked" in str(errors[0])


def test_writers_wait_their_turn(db_path, engine):
    """A transaction holds the write lock from its start, reads included, so a second
    writer starts only once the first has committed and reads what it wrote."""
    inside, go = threading.Event(), threading.Event()
    errors = []

    def read_then_write(name, wait_for_go):
        try:
            with engine.begin() as con:
                seen = con.exec_driver_sql("select count(*) from ticket_sequences").scalar()
                if wait_for_go:
                    inside.set()
                    assert go.wait(timeout=30)
                con.exec_driver_sql(INSERT, (name, seen))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)
    first = run(read_then_write, "a", True)
    assert inside.wait(timeout=30)
    # The first has only read, and already no one else can begin writing.
    probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            probe.execute("BEGIN IMMEDIATE")
    finally:
        probe.close()
    second = run(read_then_write, "b", False)
    go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert errors == []
    with engine.connect() as con:
        assert con.execute(select(TicketSequence.service, TicketSequence.last_seq)
                           .order_by(TicketSequence.last_seq)).all() == [("a", 0), ("b", 1)]


def test_readers_do_not_wait_for_a_writer(engine):
    holding, release = threading.Event(), threading.Event()

    def writer():
        with engine.begin() as con:
            con.execute(text("insert into ticket_sequences values ('h', '2026-11-25', 'x', 1)"))
            holding.set()
            release.wait(timeout=60)

    readers = read_only(engine)
    t = threading.Thread(target=writer)
    t.start()
    try:
        assert holding.wait(timeout=10)
        with readers.begin() as con:  # a reader that waited would wait for the release
            assert con.execute(text("select count(*) from ticket_sequences")).scalar() == 0
        assert t.is_alive()  # and the writer still holds its transaction
    finally:
        release.set()
        t.join(timeout=10)
        readers.dispose()
    with engine.connect() as con:
        assert con.execute(text("select count(*) from ticket_sequences")).scalar() == 1


def test_a_writer_never_waits_for_a_connection_behind_readers(engine):
    """Readers holding every connection their pool has (a hall's live listeners all woken
    by one event) leave the writers theirs: while both drew on one pool, this write waited
    the pool's 30 s and failed."""
    readers = read_only(engine)
    held = []
    try:
        for _ in range(readers.pool.size() + readers.pool._max_overflow):  # QueuePool: 5 and 10 more
            connection = readers.connect()
            connection.begin()
            connection.execute(text("select count(*) from ticket_sequences"))
            held.append(connection)
        with engine.begin() as con:
            con.execute(text("insert into ticket_sequences values ('h', '2026-11-25', 'x', 1)"))
    finally:
        for connection in held:
            connection.close()
        readers.dispose()
    with engine.connect() as con:
        assert con.execute(text("select count(*) from ticket_sequences")).scalar() == 1
