"""Counter terminals with receipt printers beside them, for the tests of the receipt printed
at a counter (the API's and the page's): the terminal's own flow, assembled as main.py
assembles it (kiosk.terminal: its RemoteHall, its live events, its receipt printer) and run
headless, its "screen thread" a worker of the test, against a hall server on 127.0.0.1; the
printers network printers on 127.0.0.1 speaking the real bytes (tests.devices.tcp_printer)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from hall import accounts
from hall.matters.receipt_jobs import RECEIPT_PRINTER
from hall.models import DeviceStatus
from hall.schemas import DeviceKind
from kiosk.config import load_settings
from kiosk.counter_terminal import CounterFlow
from kiosk.machine import ThreadRunner
from kiosk.terminal import counter_flow, follow_events, open_hall
from tests.conftest import SAMPLE_HALL
from tests.devices.tcp_printer import TcpPrinter
from tests.support.waiting import until

log = logging.getLogger(__name__)


@contextmanager
def running(printers: dict[str, TcpPrinter]) -> Iterator[dict[str, TcpPrinter]]:
    """The printers by counter, switched off after."""
    try:
        yield printers
    finally:
        for printer in printers.values():
            printer.close()


def terminal_config(folder: Path, *, terminal_id: str, hall: str, token: str, counter: str,
                    receipt_printer: str | None, profile: str = "80mm") -> Path:
    """A counter terminal's kiosk.toml in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    printer = f'receipt_printer = "{receipt_printer}"\nreceipt_printer_profile = "{profile}"\n' if receipt_printer else ""
    path = folder / "kiosk.toml"
    path.write_text(f"""
[terminal]
id = "{terminal_id}"
mode = "counter"
hall = "{hall}"
hall_token = "{token}"
data_dir = "data"

[devices]
id_reader = "simidcard://?present=0"

[embedded]
hall_file = "{SAMPLE_HALL}"

[counter]
id = "{counter}"
{printer}""", encoding="utf-8")
    return path


class CounterTerminal:
    """A counter terminal's flow run headless: what a Kivy app would do with it (its thread
    posting, its ticks, the live events once the first card is in), without a screen."""

    def __init__(self, config: Path):
        self.settings = load_settings(config)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter-screen")
        self.runner = ThreadRunner(self.post, name="counter-worker")
        self.hall = open_hall(self.settings)
        self.flow: CounterFlow = counter_flow(self.settings, self.hall, runner=self.runner, speaker=None)
        start = follow_events(self.settings, self.flow, self.post)
        self.events = None
        self.flow.started_events = lambda after: setattr(self, "events", start(after))
        self.post(self.flow.start)
        self.post(self.flow.tick)   # the first tick: the receipt printer is asked how it is, and reported

    def post(self, call) -> None:
        self.thread.submit(call).add_done_callback(lambda done: done.exception() and log.error(
            "the terminal's thread failed", exc_info=done.exception()))

    def following(self) -> CounterTerminal:
        """Once its live events flow: what is asked of its counter from now on reaches it."""
        until(lambda: self.events is not None and self.flow.connected, seconds=20, what="the terminal's live events")
        return self

    def close(self) -> None:
        if self.events is not None:
            self.events.close()
        self.runner.close()
        self.thread.submit(self.flow.close).result(timeout=30)
        self.thread.shutdown()


@contextmanager
def counter_terminal(live, folder: Path, *, counter: str, printer: TcpPrinter | None,
                     terminal_id: str | None = None) -> Iterator[CounterTerminal]:
    """A counter terminal registered at `live`'s hall (a LiveServer) for `counter`, with
    `printer` beside it (or none), its printer reported and its live events flowing."""
    terminal_id = terminal_id or f"counter-{counter}"
    with live.hall.engine.transaction() as session:
        token = accounts.add_device(session, hall_id=live.hall.hall_id, device_id=terminal_id,
                                    kind=DeviceKind.COUNTER, now=datetime.now(timezone.utc), spec=live.hall.spec,
                                    counters=[counter])
    with terminal_at(live.url, token, folder, terminal_id=terminal_id, counter=counter, printer=printer,
                     reported=lambda: reported(live, terminal_id)) as terminal:
        yield terminal


@contextmanager
def terminal_at(url: str, token: str, folder: Path, *, terminal_id: str, counter: str, printer: TcpPrinter | None,
                reported: Callable[[], object]) -> Iterator[CounterTerminal]:
    """A counter terminal of the hall at `url` under `token`, with `printer` beside it (or
    none), its live events flowing and, with a printer, `reported()` true."""
    config = terminal_config(folder / terminal_id, terminal_id=terminal_id, hall=url, token=token,
                             counter=counter, receipt_printer=printer.url if printer else None)
    terminal = CounterTerminal(config)
    try:
        terminal.following()
        if printer is not None:
            until(reported, what=f"{terminal_id}'s receipt printer reported")
        yield terminal
    finally:
        terminal.close()


def reported(live, terminal_id: str) -> str | None:
    """The status the hall holds of the terminal's receipt printer, or None."""
    with live.hall.engine.reading() as session:
        return session.scalar(select(DeviceStatus.status).where(
            DeviceStatus.device_id == f"{terminal_id}/{RECEIPT_PRINTER}"))
