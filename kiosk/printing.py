"""Printing tickets, and a counter's receipts, with every printer failure turned into an
outcome the flow can show.

A failed print must never lose the ticket: the number is already issued by the hall, so the
flow keeps it on screen with its QR and tells the citizen what to do.

The driver (and python-escpos with it) is loaded when the printer is first opened, after the
kiosk's first frame is on screen, not at start-up.
"""
from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from devices.errors import DeviceError, PaperOut, PrinterOffline, PrinterUnavailable
from devices.printer_profiles import get_profile
from devices.printer_status import PrinterStatus
from devices.ticket_layout import TicketPrintout

if TYPE_CHECKING:
    from devices.printer import TicketPrinter

log = logging.getLogger(__name__)


class PrintProblem(enum.Enum):
    PAPER_OUT = "paper_out"
    OFFLINE = "printer_offline"
    ERROR = "printer_error"


@dataclass(frozen=True)
class PrintOutcome:
    problem: PrintProblem | None = None
    paper_low: bool = False
    bytes_written: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def device_status(self) -> str:
        """The word reported to the hall for staff: ok, paper_near_end, paper_out, ..."""
        if self.problem:
            return self.problem.value
        return "paper_near_end" if self.paper_low else "ok"


class TicketPrinterService:
    """Keeps one connection to the printer open and reopens it after a failure, so that a
    printer switched off and on again comes back without restarting the kiosk."""

    def __init__(self, url: str, profile: str = "80mm", *, spool_dir: Path | None = None,
                 timeout: float = 2.0):
        self.url = url
        self.profile = get_profile(profile)
        self.spool_dir = spool_dir
        self.timeout = timeout
        self._printer: TicketPrinter | None = None
        self._lock = threading.Lock()

    def print(self, printout: TicketPrintout) -> PrintOutcome:
        """Prints one ticket."""
        return self._job(lambda printer: printer.print_ticket(printout), f"ticket {printout.number}")

    def print_job(self, data: bytes, what: str) -> PrintOutcome:
        """Prints `data`, laid out for this printer's `profile` (a counter's receipt:
        devices.receipt_layout); `what` names it in the log."""
        return self._job(lambda printer: printer.print_job(data, what), what)

    def _job(self, send: Callable[[TicketPrinter], int], what: str) -> PrintOutcome:
        """A printer that cannot be reached or does not answer before anything was sent is
        reconnected and tried once more: a network printer that was switched off and on
        leaves the kiosk holding a dead connection."""
        with self._lock:
            try:
                return self._print_once(send)
            except (PrinterOffline, PrinterUnavailable) as exc:
                log.warning("printer %s: %s; connecting again", self.url, exc)
                self._drop()
            except Exception as exc:
                return self._failed(what, exc)
            try:
                return self._print_once(send)
            except Exception as exc:
                return self._failed(what, exc)

    def _print_once(self, send: Callable[[TicketPrinter], int]) -> PrintOutcome:
        written = send(self._open())
        low = self._printer.last_status is PrinterStatus.PAPER_NEAR_END
        if low:
            log.warning("printer %s: paper near end", self.url)
        return PrintOutcome(paper_low=low, bytes_written=written)

    def _failed(self, what: str, exc: Exception) -> PrintOutcome:
        """A driver's unforeseen error is an outcome too: it must not freeze the kiosk."""
        self._drop()
        if isinstance(exc, DeviceError):
            log.error("printer %s: %s not printed: %s", self.url, what, exc)
            return PrintOutcome(problem=_problem_of(exc), detail=str(exc))
        log.error("printer %s: %s not printed", self.url, what, exc_info=exc)
        return PrintOutcome(problem=PrintProblem.ERROR, detail=repr(exc))

    def check(self) -> PrintOutcome:
        """The printer's state without printing, as it would be reported after a ticket."""
        with self._lock:
            try:
                status = self._open().status()
            except DeviceError as exc:
                log.error("printer %s: %s", self.url, exc)
                self._drop()
                return PrintOutcome(problem=_problem_of(exc), detail=str(exc))
        log.info("printer %s: %s", self.url, status.value)
        if status is PrinterStatus.PAPER_OUT:
            return PrintOutcome(problem=PrintProblem.PAPER_OUT)
        if status is PrinterStatus.OFFLINE:
            return PrintOutcome(problem=PrintProblem.OFFLINE)
        return PrintOutcome(paper_low=status is PrinterStatus.PAPER_NEAR_END)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _open(self) -> TicketPrinter:
        if self._printer is None:
            from devices.printer import open_printer  # loads python-escpos: see the module's docstring
            self._printer = open_printer(self.url, self.profile, timeout=self.timeout,
                                         spool_dir=self.spool_dir)
        return self._printer

    def _drop(self) -> None:
        if self._printer is not None:
            try:
                self._printer.close()
            except (DeviceError, OSError) as exc:
                log.debug("closing printer %s: %s", self.url, exc)
            self._printer = None


def _problem_of(exc: DeviceError) -> PrintProblem:
    if isinstance(exc, PaperOut):
        return PrintProblem.PAPER_OUT
    if isinstance(exc, (PrinterOffline, PrinterUnavailable)):
        return PrintProblem.OFFLINE
    return PrintProblem.ERROR
