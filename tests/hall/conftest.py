"""Fixtures for the queue engine: the sample hall, a database per test (SQLite, and
PostgreSQL: see tests/postgres.py), a hand clock."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hall.queue import QueueEngine
from hall.spec import HallSpec, load_hall
from tests.conftest import DATABASES, SAMPLE_HALL


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


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A SQLite file, for the tests of what is SQLite's alone."""
    return tmp_path / "hall.db"


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path) -> str:
    """Each engine test runs on SQLite and on a real PostgreSQL server (empty per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hall.db'}"
    return request.getfixturevalue("postgres").reset()


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
