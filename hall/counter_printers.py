"""The counters' own printers (a counter's `printer` in hall.toml), for what staff print at
a counter: each job on a connection opened for it and closed after, one job at a time per
counter, every step bounded by a timeout; a printer that cannot print is a problem the staff
can act on, never a request left hanging.

A connection is not kept: a networked printer takes one client at a time, and a counter
prints a few receipts a day. The driver (and python-escpos with it) is loaded at the first
job, so `import hall` stays light for a kiosk's embedded hall.
"""
from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from devices.errors import DeviceError, PaperOut, PrinterOffline, PrinterUnavailable
from devices.printer_profiles import PrinterProfile, get_profile
from devices.printer_status import PrinterStatus
from hall.errors import HallError
from hall.spec import HallSpec

log = logging.getLogger(__name__)

TIMEOUT = 2.0           # seconds: each status reply and each write (a tcp:// connect takes pyserial's 5 at most)
WAIT_FOR_TURN = 20.0    # seconds: another job on the same printer, itself bounded, is waited for this long


class PrinterProblem(str, enum.Enum):
    NO_PRINTER = "no_printer"                    # hall.toml names none for the counter
    UNREACHABLE = "printer_unreachable"          # it cannot be opened: no answer on the network, no device
    OFFLINE = "printer_offline"                  # open, but offline or silent to status requests
    PAPER_OUT = "paper_out"
    FAILED = "printer_failed"                    # the job was sent but not known to be printed
    BUSY = "printer_busy"                        # another job held it past WAIT_FOR_TURN


class CounterPrintFailed(HallError):
    """A job not printed at a counter; `problem` says why in a word a page can translate."""

    def __init__(self, problem: PrinterProblem, message: str):
        self.problem = problem
        super().__init__(message)


@dataclass(frozen=True)
class Printed:
    bytes_written: int
    paper_low: bool        # printed, but the roll is near its end


class CounterPrinters:
    """The printers the hall's counters name, opened by URL as a kiosk opens its own
    (devices.printer); a simulated one spools its jobs under `spool_dir`."""

    def __init__(self, spec: HallSpec, *, spool_dir: Path | None = None, timeout: float = TIMEOUT):
        self._counters = {c.id: c for c in spec.counters if c.printer}
        self._turns = {counter_id: threading.Lock() for counter_id in self._counters}
        self.spool_dir = spool_dir
        self.timeout = timeout

    def has_printer(self, counter_id: str) -> bool:
        return counter_id in self._counters

    def profile(self, counter_id: str) -> PrinterProfile:
        """The paper and encoding the counter's printer takes; CounterPrintFailed (no_printer)
        for a counter without one."""
        counter = self._counters.get(counter_id)
        if counter is None:
            raise CounterPrintFailed(PrinterProblem.NO_PRINTER,
                                     f"counter {counter_id} has no printer: hall.toml names none for it "
                                     f"(printer = \"tcp://HOST:9100\" under its [[counters]])")
        return get_profile(counter.printer_profile)

    def print_job(self, counter_id: str, data: bytes, what: str) -> Printed:
        """Prints `data`, rendered for profile(counter_id), on the counter's printer. Blocks
        for a bounded time: call it off the event loop."""
        profile = self.profile(counter_id)
        url = self._counters[counter_id].printer
        turn = self._turns[counter_id]
        if not turn.acquire(timeout=WAIT_FOR_TURN):
            raise CounterPrintFailed(PrinterProblem.BUSY, f"counter {counter_id}'s printer {url} is still busy "
                                                          f"with another job; try again")
        try:
            from devices.printer import open_printer  # loads python-escpos: see the module's docstring

            with open_printer(url, profile, timeout=self.timeout, spool_dir=self.spool_dir) as printer:
                written = printer.print_job(data, what)
                low = printer.last_status is PrinterStatus.PAPER_NEAR_END
        except DeviceError as exc:
            log.error("counter %s: %s not printed: %s", counter_id, what, exc)
            raise CounterPrintFailed(_problem_of(exc), f"counter {counter_id}'s {what} not printed: {exc}") from exc
        finally:
            turn.release()
        return Printed(bytes_written=written, paper_low=low)


def _problem_of(exc: DeviceError) -> PrinterProblem:
    if isinstance(exc, PaperOut):
        return PrinterProblem.PAPER_OUT
    if isinstance(exc, PrinterUnavailable):
        return PrinterProblem.UNREACHABLE
    if isinstance(exc, PrinterOffline):
        return PrinterProblem.OFFLINE
    return PrinterProblem.FAILED
