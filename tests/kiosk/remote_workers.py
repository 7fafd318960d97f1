"""Kiosk processes for the kill -9 tests (spawned, so importable by name)."""
from __future__ import annotations

import time
from pathlib import Path

from kiosk.remote import RemoteHall


def report_until_killed(url: str, token: str, data_dir: str, count: int, told) -> None:
    """Reports `count` alternating printer states, telling the parent after each one is in
    the outbox, then waits to be killed."""
    hall = RemoteHall(url, token, data_dir=Path(data_dir))
    for i in range(count):
        hall.report_device("kiosk-01/printer", "printer", "paper_out" if i % 2 == 0 else "ok", f"report {i}")
        told.send(i)
    told.send("done")
    while True:
        time.sleep(1)
