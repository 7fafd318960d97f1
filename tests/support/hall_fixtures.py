"""Fixtures of the hall server over real HTTP on 127.0.0.1, for the API's and the pages'
tests (their conftests import them): one server per test module and database, its database
emptied and its memory reset before each test (tests.support.servers.reset), on the
module's hand clock set back to the morning. A test marked `own_server` (it stops or starts
servers, or waits for the watcher's first round of housekeeping) gets a server and a
database of its own."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from hall import accounts
from hall.schemas import DeviceKind, Role
from hall.settings import ServerSettings
from tests.conftest import DATABASES, OPEN_MORNING, SAMPLE_HALL, Clock
from tests.support.api_clients import Api, add_staff, staff_session
from tests.support.servers import LiveServer, reset

OWN_SERVER = "own_server"


def owns_server(request) -> bool:
    return request.node.get_closest_marker(OWN_SERVER) is not None


@pytest.fixture(scope="module", params=DATABASES)
def module_database(request, tmp_path_factory) -> str:
    """The database of the module's server (emptied for each test by `live`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('hall') / 'hall.db'}"
    return request.getfixturevalue("postgres").database("module_server")  # apart from what tests reset


@pytest.fixture(scope="module")
def module_clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path_factory.mktemp("server"), database=module_database,
                          hall_file=SAMPLE_HALL, offline_after=2)


def phoning_back(folder, database: str, percent: int) -> ServerSettings:
    """Settings of a server in `folder` for the sample hall phoning back `percent` of its
    citizens (回访)."""
    hall_file = folder / "hall.toml"
    hall_file.write_text(SAMPLE_HALL.read_text(encoding="utf-8").replace(
        "callback_percent = 20", f"callback_percent = {percent}"), encoding="utf-8")
    return ServerSettings(data_dir=folder, database=database, hall_file=hall_file, offline_after=2)


@pytest.fixture(scope="module")
def module_server(module_settings, module_clock):
    server = LiveServer(module_settings, module_clock)
    yield server
    server.stop()


@pytest.fixture
def clock(module_clock) -> Clock:
    module_clock.now = OPEN_MORNING
    return module_clock


@pytest.fixture
def db_url(request, module_database, tmp_path) -> str:
    """The test's database: the module server's, emptied, or a new one of its own."""
    if not owns_server(request):
        request.getfixturevalue("live")
        return module_database
    if module_database.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'hall.db'}"
    return request.getfixturevalue("postgres").database("own_server")


@pytest.fixture
def server_settings(request, module_settings, tmp_path) -> ServerSettings:
    if not owns_server(request):
        return module_settings
    return module_settings.model_copy(update={"data_dir": tmp_path / "server",
                                              "database": request.getfixturevalue("db_url")})


@pytest.fixture
def live(request, clock, module_database):
    """The module's server, reset for this test, or the test's own (on the same kind of
    database: `module_database` makes every test that uses a server run on each)."""
    if not owns_server(request):
        server = request.getfixturevalue("module_server")
        reset(server.hall)
        yield server
        return
    server = LiveServer(request.getfixturevalue("server_settings"), clock)
    yield server
    server.stop()


@pytest.fixture
def add_device(live):
    def add(device_id: str, kind: DeviceKind = DeviceKind.KIOSK, counters=(), location: str | None = None) -> Api:
        with live.hall.engine.transaction() as session:
            token = accounts.add_device(session, hall_id=live.hall.hall_id, device_id=device_id, kind=kind,
                                        now=datetime.now(timezone.utc), spec=live.hall.spec, counters=list(counters),
                                        location=location)
        return Api(live.url, token)
    return add


@pytest.fixture
def kiosk(add_device) -> Api:
    return add_device("kiosk-01")


@pytest.fixture
def login(live):
    """Adds a staff account and logs a new browser in with it."""
    def log_in(job_no: str, role: Role = Role.STAFF, counters=("1",), counter: str | None = None) -> Api:
        add_staff(live.hall.engine, job_no, role, counters)
        return staff_session(live.url, job_no, counter)
    return log_in


@pytest.fixture
def count(db_url):
    """Rows in a table, read behind the server's back."""
    engine = create_engine(db_url)

    def rows(table: str) -> int:
        with engine.connect() as con:
            return con.execute(text(f"select count(*) from {table}")).scalar()
    yield rows
    engine.dispose()


@pytest.fixture
def stored(db_url):
    """What the database holds, read behind the server's back."""
    engine = create_engine(db_url)

    def rows(query: str) -> list[tuple]:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(text(query)).all()]
    yield rows
    engine.dispose()
