"""Fixtures for the queue engine: the sample hall, a database file per test, a hand clock.

Set HALL_TEST_DATABASE_URL (postgresql+psycopg://...) to run the same tests on PostgreSQL;
its tables are dropped before each test, and the SQLite-only tests are skipped.
"""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hall.models import Base

from hall.queue import QueueEngine
from hall.spec import HallSpec, load_hall
from tests.conftest import SAMPLE_HALL


def with_hall(spec: HallSpec, **changes) -> HallSpec:
    """The spec with [hall] settings changed, such as priority_first or max_recalls."""
    return spec.model_copy(update={"hall": spec.hall.model_copy(update=changes)})


def with_service(spec: HallSpec, code: str, **changes) -> HallSpec:
    services = [s.model_copy(update=changes) if s.code == code else s for s in spec.services]
    return spec.model_copy(update={"services": services})


def lift_quotas(path: Path) -> Path:
    """Rewrites a hall file without its daily quotas, for tests that issue hundreds."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.startswith("daily_quota"))
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def spec() -> HallSpec:
    return load_hall(SAMPLE_HALL)


SERVER_URL = os.environ.get("HALL_TEST_DATABASE_URL")


@pytest.fixture
def db_path(tmp_path) -> Path:
    if SERVER_URL:
        pytest.skip("SQLite only")
    return tmp_path / "hall.db"


@pytest.fixture
def db_url(tmp_path) -> str:
    if not SERVER_URL:
        return f"sqlite:///{tmp_path / 'hall.db'}"
    engine = create_engine(SERVER_URL)
    Base.metadata.drop_all(engine)
    engine.dispose()
    return SERVER_URL


@pytest.fixture
def open_engine(db_url, clock):
    """Opens engines on the test's database with the test's clock, closed at the end."""
    engines = []

    def open_(spec: HallSpec, url: str = db_url) -> QueueEngine:
        engine = QueueEngine(spec, url, clock=clock)
        engines.append(engine)
        return engine
    yield open_
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(open_engine, spec) -> QueueEngine:
    return open_engine(spec)


def _plain(value):
    """Values as SQLite's text columns hold them, so that one assertion fits both databases."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


@pytest.fixture
def query(db_url):
    """Runs SQL on the database behind the engine's back, with ? for parameters."""
    engine = create_engine(db_url)

    def run(sql: str, *params) -> list[tuple]:
        if engine.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        with engine.begin() as con:
            result = con.exec_driver_sql(sql, tuple(params))
            return [tuple(map(_plain, row)) for row in result] if result.returns_rows else []
    yield run
    engine.dispose()
