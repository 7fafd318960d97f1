"""A ticket flow under test: the real embedded hall on SQLite in tmp_path and the simulated
printer spooling to tmp_path, with a hand-moved idle clock and a listener that records."""
from __future__ import annotations

import pytest

from devices.escpos_parse import parse_escpos
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.flow import TicketFlow
from kiosk.machine import Listener
from kiosk.printing import TicketPrinterService
from tests.conftest import SAMPLE_HALL


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
    hall = EmbeddedHall(spec, f"sqlite:///{db}", clock=clock)
    yield hall
    hall.close()


def make_flow(hall, tmp_path, printer_url="simprinter://", clock=None, **kwargs):
    spool = tmp_path / "spool"
    printer = TicketPrinterService(printer_url, spool_dir=spool, timeout=0.5)  # a silent printer is tried twice
    ticks = Ticks()
    listener = Recorder()
    flow = TicketFlow(hall, printer, terminal_id="k1", listener=listener, monotonic=ticks,
                      now=clock, **kwargs)
    return flow, ticks, listener, spool


def printed(spool):
    return [parse_escpos(p.read_bytes()) for p in sorted(spool.glob("ticket-*.bin"))]


def take(flow, service="social_security"):
    flow.start()
    flow.choose(service)
    flow.confirm()
