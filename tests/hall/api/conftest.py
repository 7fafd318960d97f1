"""The hall server over real HTTP on 127.0.0.1, on SQLite and PostgreSQL (db_url), with
accounts made as an installer makes them and staff logged in through the API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text

from hall import accounts
from hall.schemas import DeviceKind, Role
from hall.settings import ServerSettings
from tests.conftest import SAMPLE_HALL
from tests.hall.api.live import LiveServer

PASSWORD = "correct horse 9"


class FromAddress(HTTPAdapter):
    """Connections that leave from one loopback address (any of 127.0.0.0/8), so that the
    server sees a network source of its own, as it would see another PC of the hall."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


class Api:
    """A client of the server: a terminal with its token, or a staff member's browser;
    `source` is the loopback address it connects from (127.0.0.1 if not given)."""

    def __init__(self, base: str, token: str | None = None, *, source: str | None = None):
        self.base = base
        self.http = requests.Session()
        if source:
            self.http.mount("http://", FromAddress(source))
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=10, **kwargs)

    def post(self, path: str, json=None, *, key: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(self.base + path, json=json, headers=headers, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.http.delete(self.base + path, timeout=10, **kwargs)


@pytest.fixture
def server_settings(tmp_path, db_url) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path / "server", database=db_url, hall_file=SAMPLE_HALL, offline_after=2)


def phoning_back(tmp_path, db_url, hall_copy, percent: int) -> ServerSettings:
    """Settings of a server for the sample hall phoning back `percent` of its citizens (回访)."""
    hall_copy.write_text(hall_copy.read_text(encoding="utf-8").replace(
        "callback_percent = 20", f"callback_percent = {percent}"), encoding="utf-8")
    return ServerSettings(data_dir=tmp_path / "server", database=db_url, hall_file=hall_copy, offline_after=2)


@pytest.fixture
def live(server_settings, clock):
    server = LiveServer(server_settings, clock)
    yield server
    server.stop()


@pytest.fixture
def add_device(live):
    def add(device_id: str, kind: DeviceKind = DeviceKind.KIOSK, counters=()) -> Api:
        with live.hall.engine.transaction() as session:
            token = accounts.add_device(session, hall_id=live.hall.hall_id, device_id=device_id, kind=kind,
                                        now=datetime.now(timezone.utc), spec=live.hall.spec, counters=list(counters))
        return Api(live.url, token)
    return add


@pytest.fixture
def kiosk(add_device) -> Api:
    return add_device("kiosk-01")


def add_staff(engine, job_no: str, role: Role = Role.STAFF, counters=("1",)) -> None:
    """A staff account, made as `python -m hall add-staff` makes it, in the engine's database."""
    with engine.transaction() as session:
        accounts.add_staff(session, hall_id=engine.spec.hall.id, spec=engine.spec, job_no=job_no,
                           name=f"员工{job_no}", role=role, counters=list(counters), password=PASSWORD,
                           now=datetime.now(timezone.utc), replace=True)


def staff_session(url: str, job_no: str, counter: str | None = None) -> Api:
    """A new browser logged in through the API as that staff member."""
    browser = Api(url)
    answer = browser.post("/api/v1/session", {"job_no": job_no, "password": PASSWORD, "counter": counter})
    assert answer.status_code == 200, answer.text
    browser.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return browser


@pytest.fixture
def login(live):
    """Adds a staff account and logs a new browser in with it."""
    def log_in(job_no: str, role: Role = Role.STAFF, counters=("1",), counter: str | None = None) -> Api:
        add_staff(live.hall.engine, job_no, role, counters)
        return staff_session(live.url, job_no, counter)
    return log_in


@pytest.fixture
def stored(db_url):
    """What the database holds, read behind the server's back."""
    engine = create_engine(db_url)

    def rows(query: str) -> list[tuple]:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(text(query)).all()]
    yield rows
    engine.dispose()


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
def serve(kiosk, login):
    """Serves a new ticket of `service` at `counter` to its end, as a kiosk and a staff console
    do: issued, called, completed; returns the completed ticket with its link's token."""
    desks: dict[str, Api] = {}

    def served(service: str = "household", counter: str = "3", job_no: str = "0301") -> dict:
        if counter not in desks:
            desks[counter] = login(job_no, counters=(counter,), counter=counter)
        desk = desks[counter]
        issued = kiosk.post("/api/v1/tickets", {"service": service})
        assert issued.status_code == 201, issued.text
        called = desk.post(f"/api/v1/counters/{counter}/call-next")
        assert called.status_code == 200 and called.json()["id"] == issued.json()["id"], called.text
        done = desk.post(f"/api/v1/counters/{counter}/complete")
        assert done.status_code == 200 and done.json()["status"] == "completed", done.text
        return {**done.json(), "token": issued.json()["link"].rsplit("/t/", 1)[1]}
    served.desks = desks
    return served
