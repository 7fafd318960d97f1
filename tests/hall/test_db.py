"""The SQLite set-up: WAL, a busy timeout, and writers that queue rather than fail."""
from __future__ import annotations

import sqlite3
import threading
import time

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


def read_then_write(db_path, engine, name, log, errors):
    """The pattern that deadlocks deferred SQLite transactions: read, think, then write.
    With `engine` None it runs on a bare sqlite3 connection with a plain BEGIN."""
    try:
        if engine is None:
            con = sqlite3.connect(db_path, timeout=30, isolation_level=None)
            try:
                con.execute("BEGIN")
                seen = con.execute("select count(*) from ticket_sequences").fetchone()[0]
                started = time.monotonic()
                time.sleep(0.3)
                con.execute(INSERT, (name, seen))
                con.execute("COMMIT")
            finally:
                con.close()
        else:
            with engine.begin() as con:
                seen = con.exec_driver_sql("select count(*) from ticket_sequences").scalar()
                started = time.monotonic()
                time.sleep(0.3)
                con.exec_driver_sql(INSERT, (name, seen))
        log.append((started, time.monotonic()))
    except Exception as exc:  # noqa: BLE001 - the test looks at it
        errors.append(exc)


def run_pair(db_path, engine):
    log, errors = [], []
    threads = [threading.Thread(target=read_then_write, args=(db_path, engine, name, log, errors))
               for name in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return log, errors


def test_deferred_transactions_would_fail_with_database_is_locked(db_path, engine):
    """The contrast: with a plain BEGIN both connections read, and the second to write is
    refused at once whatever the busy timeout. This is what the engine must avoid."""
    _, errors = run_pair(db_path, None)
    assert len(errors) == 1 and "database is locked" in str(errors[0])


def test_writers_wait_their_turn(db_path, engine):
    log, errors = run_pair(db_path, engine)
    assert errors == []
    (start1, end1), (start2, end2) = sorted(log)
    assert start2 >= end1  # the second began only after the first committed
    with engine.connect() as con:
        assert con.execute(select(TicketSequence.service, TicketSequence.last_seq)
                           .order_by(TicketSequence.last_seq)).all() in ([("a", 0), ("b", 1)],
                                                                          [("b", 0), ("a", 1)])


def test_readers_do_not_wait_for_a_writer(engine):
    holding, release = threading.Event(), threading.Event()

    def writer():
        with engine.begin() as con:
            con.execute(text("insert into ticket_sequences values ('h', '2026-11-25', 'x', 1)"))
            holding.set()
            release.wait(timeout=10)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert holding.wait(timeout=10)
        began = time.monotonic()
        with read_only(engine).begin() as con:
            assert con.execute(text("select count(*) from ticket_sequences")).scalar() == 0
        assert time.monotonic() - began < 1
    finally:
        release.set()
        t.join(timeout=10)
    with read_only(engine).begin() as con:
        assert con.execute(text("select count(*) from ticket_sequences")).scalar() == 1
