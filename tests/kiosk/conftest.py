"""A ticket flow under test: the real embedded hall on SQLite in tmp_path and the simulated
printer spooling to tmp_path, with a hand-moved idle clock and a listener that records; and a
hall server in its own process for the remote hall's tests."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from devices.escpos_parse import parse_escpos
from hall import accounts
from hall.queue import QueueEngine
from hall.schemas import DeviceKind
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.flow import TicketFlow
from kiosk.machine import Listener
from kiosk.printing import TicketPrinterService
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.hall.api.conftest import Api, add_staff, staff_session
from tests.hall.api.live import FileClock, ServerProcess


class Ticks:
    """The flow's monotonic clock, moved by hand to reach the timeouts."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Recorder(Listener):
    def __init__(self):
        self.moves = []

    def on_state(self, old, new):
        self.moves.append((old, new))


@pytest.fixture
def spec():
    return load_hall(SAMPLE_HALL)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "hall.db"


@pytest.fixture
def hall(spec, db, clock):
    hall = EmbeddedHall(spec, f"sqlite:///{db}", person_key_file=db.with_name("person.key"), clock=clock)
    yield hall
    hall.close()


def make_flow(hall, tmp_path, printer_url="simprinter://", clock=None, **kwargs):
    spool = tmp_path / "spool"
    printer = TicketPrinterService(printer_url, spool_dir=spool, timeout=0.5)  # a silent printer is tried twice
    ticks = Ticks()
    listener = Recorder()
    flow = TicketFlow(hall, printer, terminal_id="k1", listener=listener, monotonic=ticks,
                      now=clock or hall._clock, **kwargs)  # the hall's hours on the hall's clock
    return flow, ticks, listener, spool


def printed(spool):
    return [parse_escpos(p.read_bytes()) for p in sorted(spool.glob("ticket-*.bin"))]


def take(flow, service="social_security"):
    flow.choose(service)
    flow.confirm()


class HallServer(ServerProcess):
    """A hall server in its own process for the remote hall's tests (tests.hall.api.live)."""

    @contextmanager
    def _engine(self) -> Iterator[QueueEngine]:
        """The server's database, reached behind its back."""
        engine = QueueEngine(load_hall(self.args["hall_file"]), self.args["database"])
        try:
            yield engine
        finally:
            engine.close()

    def register(self, device_id: str, kind: DeviceKind = DeviceKind.KIOSK, counters=()) -> str:
        """A device token, made as `python -m hall add-device` makes it, in the server's database."""
        with self._engine() as engine, engine.transaction() as session:
            return accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=device_id, kind=kind,
                                       now=datetime.now(timezone.utc), spec=engine.spec, counters=list(counters))

    def staff(self, job_no: str, counters=("3",)) -> Api:
        """A staff member with an account on this server, logged in through its API."""
        with self._engine() as engine:
            add_staff(engine, job_no, counters=counters)
        return staff_session(self.url, job_no)

    def rows(self, sql: str) -> list[tuple]:
        """What the server's database holds, read behind its back."""
        engine = create_engine(self.args["database"])
        try:
            with engine.connect() as con:
                return [tuple(r) for r in con.execute(text(sql))]
        finally:
            engine.dispose()


@pytest.fixture
def file_clock(tmp_path) -> FileClock:
    return FileClock(tmp_path / "clock.txt", OPEN_MORNING)


@pytest.fixture
def hall_server(tmp_path, file_clock):
    """A server on its SQLite file, not yet started; stopped at the end."""
    folder = tmp_path / "server"
    server = HallServer(data_dir=folder, database=f"sqlite:///{folder / 'hall.db'}", hall_file=SAMPLE_HALL,
                        clock=file_clock)
    yield server
    server.kill()
