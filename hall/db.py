"""Opening the hall's database: the one place that knows which database it is.

A kiosk writes to a SQLite file that several processes may share (the ticket screen, the
counter terminal on the same box, a technician's tool). SQLite's default deferred
transactions take their write lock only at the first write, and two readers that both try
to upgrade fail with "database is locked" whatever the busy timeout; beginning every
writing transaction with BEGIN IMMEDIATE makes writers queue for the lock instead.
Everything outside this module is plain SQLAlchemy and runs on PostgreSQL unchanged.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from hall.models import Base

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY_OPTION = "hall_read_only"
SCHEMA_LOCK = 0x68616C6C  # "hall": any number the hall's database uses for nothing else


def make_engine(url: str) -> Engine:
    """An engine with the schema in place; creating it is harmless when it exists."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    _create_schema(engine)
    return engine


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read: on SQLite they take no
    write lock, so a screen polling the queue never waits behind a ticket being issued."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def _create_schema(engine: Engine) -> None:
    """Creates the missing tables. Several processes may start at once: on SQLite the
    BEGIN IMMEDIATE transaction makes them take turns; PostgreSQL's "create if not there"
    is a check and then a create, so they take turns on an advisory lock held until the
    transaction (DDL included) commits."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        Base.metadata.create_all(connection)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if not database or database == ":memory:":
        # Each pooled connection would see its own empty database.
        raise ValueError(f"{url!r}: the hall needs a database file, such as sqlite:///data/hall.db")
    if not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
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
