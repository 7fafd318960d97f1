"""A ticket flow under test: the real embedded hall on SQLite in tmp_path and the simulated
printer spooling to tmp_path, with a hand-moved idle clock and a listener that records; and a
hall server in its own process for the remote hall's tests."""
from __future__ import annotations

import pytest

from devices.escpos_parse import parse_escpos
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.flow import TicketFlow
from kiosk.machine import Listener
from kiosk.printing import TicketPrinterService
from tests.conftest import DATABASES, OPEN_MORNING, SAMPLE_HALL
from tests.support.clocks import Ticks
from tests.support.servers import FileClock, HallServer


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


@pytest.fixture
def guided_hall(spec, db, clock):
    """The embedded hall with the sample hall's catalogue of matters beside its hall.toml."""
    hall = EmbeddedHall(spec, f"sqlite:///{db}", person_key_file=db.with_name("person.key"), hall_file=SAMPLE_HALL,
                        clock=clock)
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


@pytest.fixture(params=DATABASES)
def any_hall_server(request, tmp_path, file_clock):
    """A server not yet started, on SQLite and on PostgreSQL; stopped at the end."""
    folder = tmp_path / "server"
    database = (f"sqlite:///{folder / 'hall.db'}" if request.param == "sqlite"
                else request.getfixturevalue("postgres").reset())
    server = HallServer(data_dir=folder, database=database, hall_file=SAMPLE_HALL, clock=file_clock)
    yield server
    server.kill()
