"""A chattering scanner (20,000 lines a second, or random bytes from a bad cable) on a real
pty: what it costs the kiosk is bounded in backlog and in log lines, and the kiosk issues
tickets, and reads a real code, once it stops."""
from __future__ import annotations

import logging
import os
import random
import threading
import time

import pytest

from hall.tickets import Priority
from kiosk.config import load_settings
from kiosk.ticket_states import State
from tests.conftest import write_kiosk_config
from tests.kiosk.identity_kiosk import Kiosk, booking_code

LINES = 40_000          # two seconds of 20,000 lines a second
RANDOM_BYTES = 2 << 20  # 2 MiB of noise


@pytest.fixture
def pty_kiosk(tmp_path, hall):
    master, slave = os.openpty()
    settings = load_settings(write_kiosk_config(
        tmp_path / "terminal",
        extra_devices=f'id_reader = "simidcard://?present=0"\nscanner = "serial://{os.ttyname(slave)}"'))
    kiosk = Kiosk(settings, hall, hall._clock)
    yield kiosk, master
    kiosk.close()
    os.close(master)
    os.close(slave)


def lines_at_20000_a_second(master: int) -> None:
    batch = b"FLOOD-0123456789\r" * 1000
    for _ in range(LINES // 1000):
        os.write(master, batch)
        time.sleep(0.05)


def random_bytes(master: int) -> None:
    noise = random.Random(17)
    for _ in range(RANDOM_BYTES // 65536):
        os.write(master, noise.randbytes(65536))


@pytest.mark.parametrize("flood", [lines_at_20000_a_second, random_bytes])
def test_a_flooding_scanner_costs_a_bounded_backlog_and_log_and_the_kiosk_works_after(pty_kiosk, hall, caplog, flood):
    kiosk, master = pty_kiosk
    flow = kiosk.flow
    caplog.set_level(logging.INFO)
    flooding = threading.Thread(target=flood, args=(master,))
    flooding.start()
    while flooding.is_alive():
        kiosk.run_posted()
    kiosk.run_posted()
    logged = len(caplog.records)
    assert kiosk.most_waiting <= 2, kiosk.most_waiting  # one code and one unreadable line at most
    assert logged < 300, logged
    assert any("dropped" in r.getMessage() and r.name == "devices.scanner" for r in caplog.records)

    # A real code after the flood is read: scanned again, as a person does, until it is (the
    # CR first ends a line the flood cut, and the flood may have used up the second's codes).
    code = b"\r" + booking_code(hall._url, "B1").encode() + b"\r"
    for _ in range(10):
        os.write(master, code)
        try:
            kiosk.until(lambda: flow.state is State.TICKET, seconds=2.0)
            break
        except AssertionError:
            continue
    assert flow.state is State.TICKET and flow.errand.ticket.priority is Priority.BOOKED
    flow.done()
    flow.choose("household")
    flow.confirm()
    kiosk.until(lambda: flow.state is State.TICKET)
    assert flow.errand.ticket.priority is Priority.NORMAL
