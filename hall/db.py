"""Opening the hall's database: the one place that knows which database it is.

A kiosk writes to a SQLite file that several processes may share (the ticket screen, the
counter terminal on the same box, a technician's tool). SQLite's default deferred
transactions take their write lock only at the first write, and two readers that both try
to upgrade fail with "database is locked" whatever the busy timeout; beginning every
writing transaction with BEGIN IMMEDIATE makes writers queue for the lock instead.
Everything outside this module is plain SQLAlchemy and runs on PostgreSQL unchanged.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from hall import migrations
from hall.errors import StorageUnusable
from hall.models import Base, LoggedEvent

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY_OPTION = "hall_read_only"
SCHEMA_LOCK = 0x68616C6C  # "hall": any number the hall's database uses for nothing else
EVENT_LOCK = 0x6576656E  # "even"
EVENTS_CHANNEL = "hall_events"  # notified at the commit of each transaction that wrote events
_EVENT_LOCK = text(f"SELECT pg_advisory_xact_lock({EVENT_LOCK}), pg_notify('{EVENTS_CHANNEL}', '')")
_events = LoggedEvent.__table__
_EVENT_COLUMNS = ("hall_id", "kind", "ticket_id", "counter", "at", "detail", "payload")
# The lock in a subquery of its own, which PostgreSQL evaluates (a volatile function's, so
# not merged into the outer query) before it forms the row and draws its id.
_INSERT_EVENT_IN_ORDER = _events.insert().from_select(_EVENT_COLUMNS, select(
    *(bindparam(c, type_=_events.c[c].type) for c in _EVENT_COLUMNS)).select_from(
    select(func.pg_advisory_xact_lock(EVENT_LOCK).label("locked"),
           func.pg_notify(EVENTS_CHANNEL, "").label("notified")).subquery("in_order")))
PING_IDLE_SECONDS = 10.0  # a pooled PostgreSQL connection idle this long is tried before use
PERSON_LOCKS = 0x7065  # "pe": the first key of the two-key advisory locks held per person
_PERSON_LOCK = text(f"SELECT pg_advisory_xact_lock({PERSON_LOCKS}, :person)")


def make_engine(url: str) -> Engine:
    """An engine with the schema in place and up to date; raises SchemaTooNew for a
    database written by a newer release."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        engine = _postgres_engine(url)
    _create_schema(engine)
    return engine


def disk_full(error: DBAPIError) -> bool:
    """Whether the database refused a write for want of disk space (SQLite's SQLITE_FULL,
    PostgreSQL's SQLSTATE 53100): no retry helps until someone frees space."""
    cause = error.orig
    return (getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or getattr(cause, "sqlstate", None) == "53100")


def read_only(engine: Engine) -> Engine:
    """An engine on the same database for transactions that only read, with a pool of its
    own: on SQLite they take no write lock, so a screen polling the queue never waits behind
    a ticket being issued; and however many read at once (a hall's live listeners, all woken
    by each event), a writer never waits behind them for a connection, as it did while both
    drew on one pool: up to the pool's 30 s, then failed. Disposed of apart from `engine`."""
    if engine.dialect.name == "sqlite":
        readers = _sqlite_engine(engine.url)
    else:
        # At PostgreSQL's READ COMMITTED each statement sees the commits made before it,
        # in a transaction or not: a reading transaction's BEGIN and COMMIT would only
        # cost two round trips.
        readers = _postgres_engine(engine.url, isolation_level="AUTOCOMMIT")
    return readers.execution_options(**{READ_ONLY_OPTION: True})


def _create_schema(engine: Engine) -> None:
    """Brings the schema to this release's revision. Several processes may start at once:
    on SQLite the BEGIN IMMEDIATE transaction makes them take turns; on PostgreSQL they take
    turns on an advisory lock held until the transaction (DDL included) commits."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        upgrade_schema(connection)


def upgrade_schema(connection: Connection) -> None:
    """A new database gets the tables as hall.models describes them, stamped with the head
    revision; a first-release database (tables but no revision) is stamped as the baseline
    and migrated; one at an older revision is migrated; one at a revision this release does
    not know was written by a newer release and is refused."""
    version = _stored_revision(connection)
    if version == migrations.HEAD:
        return
    from hall.migrations import runner  # Alembic is loaded only when there is work for it

    if version is None:
        if not inspect(connection).has_table("tickets"):  # every release's database has it
            Base.metadata.create_all(connection)
            runner.stamp(connection, migrations.HEAD)
            return
        runner.stamp(connection, migrations.BASELINE)
    runner.upgrade(connection)


class WritersTurn:
    """What a writing transaction holds from its BEGIN to its COMMIT, so that the threads of
    one process queue for SQLite's single write lock on a condition, which wakes the next at
    once, instead of in SQLite's busy handler, which sleeps up to 100 ms between tries. Other
    processes still meet the busy handler; PostgreSQL needs nothing (row locks).

    A write asked for first (a counter's call, which the hall display and the citizen at the
    counter wait for) goes before the writes waiting that were not (kiosks' issues): kiosks
    that issue without a pause would otherwise put a call behind each of theirs."""

    def __init__(self, needed: bool):
        self._needed = needed
        self._free = threading.Condition()
        self._held = False
        self._waiting = 0
        self._first_waiting = 0

    @property
    def waiting(self) -> int:
        """The writes waiting for their turn now."""
        with self._free:
            return self._waiting

    @contextmanager
    def __call__(self, *, first: bool = False) -> Iterator[None]:
        if not self._needed:
            yield
            return
        with self._free:
            self._waiting += 1
            self._first_waiting += first
            try:
                self._free.wait_for(lambda: not self._held and (first or self._first_waiting == 0))
            finally:
                self._waiting -= 1
                self._first_waiting -= first
            self._held = True
        try:
            yield
        finally:
            with self._free:
                self._held = False
                self._free.notify_all()


def writers_turn(engine: Engine) -> WritersTurn:
    return WritersTurn(needed=engine.dialect.name == "sqlite")


def order_commits(session: Session) -> None:
    """Makes the transactions that write events commit in the order of their event ids
    (see hall.events); held until commit. On PostgreSQL the same statement notifies
    EVENTS_CHANNEL, which PostgreSQL delivers at the commit, so that the live streams of
    every server process on the database read the new events at once. SQLite has one
    writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_EVENT_LOCK)


def lock_person(session: Session, person_hash: str) -> None:
    """Makes the issues for one person take turns until commit, so that two kiosks cannot both
    find that the person holds no ticket yet. On PostgreSQL the sequence row an issue locks is
    one service's, and the per-day rule spans services: an advisory lock keyed by the person
    (the two-key form, a space apart from the one-key locks above). SQLite has one writer."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(person_hash.encode()).digest()[:4], "big", signed=True)
        session.execute(_PERSON_LOCK, {"person": key})


def connect_args(url: str) -> tuple[list, dict]:
    """The arguments of the driver's connect() for the database at `url` (the listener of
    EVENTS_CHANNEL holds a connection of its own, outside the pools)."""
    parsed = make_url(url)
    return parsed.get_dialect()().create_connect_args(parsed)


def insert_event(session: Session, values: dict) -> None:
    """Inserts a row of the event log; on PostgreSQL in one statement with order_commits'
    lock and notification, taken before the row's id is drawn."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_INSERT_EVENT_IN_ORDER, values)
    else:
        session.execute(_events.insert(), values)


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _postgres_engine(url: str | URL, **options) -> Engine:
    """An engine whose pool tries a connection before handing it out only if it has been
    idle a while (a restarted database, a dropped link): a ping before every transaction,
    as pool_pre_ping does, was a round trip more for each ticket. A connection lost while
    busy fails that request, whose client retries it, and the pool starts afresh."""
    engine = create_engine(url, **options)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("idle_since", float("inf")) < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"a pooled connection no longer answers: {exc}") from exc

    return engine


def _sqlite_engine(url: str | URL) -> Engine:
    database = make_url(url).database
    if not database or database == ":memory:":
        # Each pooled connection would see its own empty database.
        raise StorageUnusable(f"{url!r}: the hall needs a database file, such as sqlite:///data/hall.db")
    folder = Path(database).parent
    if not database.startswith("file:") and not folder.is_dir():
        # SQLite makes the file, never its folder: a missing one is a mistyped path, and
        # making it (as root, anywhere) would hide the mistake.
        what = "is not a folder" if folder.exists() else "does not exist"
        raise StorageUnusable(f"{url!r}: the folder {str(folder)!r} {what}; create it, writable by the "
                              "server's user, or correct the URL")
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # Hand transaction control to the "begin" hook below instead of pysqlite's own
        # guesswork, which also makes SAVEPOINT work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL loses at most the last transactions on power loss, never
        # corrupts; FULL would fsync every ticket.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
