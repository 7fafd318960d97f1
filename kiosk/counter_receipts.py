"""The counter terminal's receipt printer (受理回执): the printer beside the counter, driven by
this terminal, since the hall server cannot reach a printer on the counter's USB or serial
port (hall.matters.receipt_jobs has the hall's side).

The terminal tells the hall that it has a receipt printer, and how it is, as a part of its
own (ID/receipt-printer, of kind printer) at start, every CHECK_SECONDS and after each job:
staff see it out of paper as they see a kiosk's printer. A receipt asked for at this
counter reaches the terminal as a live event of the counter flow's stream
(receipt_requested, whose id is the job); the terminal fetches its printout, lays it out for
its paper (devices.receipt_layout), prints it through the kiosk's printing service and
reports what came of it through the outbox, delivered once the hall can take it. A job is
printed at most once: its key in the outbox is the job's, and the jobs seen are kept.

Everything here but the calls runs on a worker thread of its own, so that neither the
screen nor the flow's jobs (a rating being stored while the staff print) wait on the printer.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devices.receipt_layout import ReceiptPrintout, render_receipt
from hall.matters.receipt_jobs import RECEIPT_PRINTER
from hall.matters.schemas import ReceiptOutcomeRequest, ReceiptPrintoutPublic, ReceiptProblem
from kiosk.hall_client import HallUnavailable
from kiosk.machine import ThreadRunner
from kiosk.printing import PrintOutcome, PrintProblem, TicketPrinterService

if TYPE_CHECKING:
    from kiosk.remote import RemoteHall

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0   # how often the printer is asked how it is between jobs
JOBS_KEPT = 1000       # jobs remembered as seen: far more than a counter prints in a day
PROBLEMS = {PrintProblem.PAPER_OUT: ReceiptProblem.PAPER_OUT, PrintProblem.OFFLINE: ReceiptProblem.OFFLINE,
            PrintProblem.ERROR: ReceiptProblem.FAILED}


def layout(printout: ReceiptPrintoutPublic) -> ReceiptPrintout:
    """The hall's printout as the receipt layout takes it."""
    return ReceiptPrintout(hall_name=printout.hall_name, title=printout.title, number=printout.number,
                           facts=tuple((label, value) for label, value in printout.facts),
                           lists=tuple((heading, tuple(items)) for heading, items in printout.lists),
                           qr_payload=printout.qr_payload, qr_caption=printout.qr_caption,
                           footer=tuple(printout.footer))


def _here(call: Callable[[], None]) -> None:
    call()


class CounterReceipts:
    """`printer` is None for a terminal without a receipt printer: it answers each job with
    no_printer."""

    def __init__(self, hall: RemoteHall, printer: TicketPrinterService | None, *, terminal_id: str,
                 monotonic: Callable[[], float] = time.monotonic):
        self.hall = hall
        self.printer = printer
        self.part = f"{terminal_id}/{RECEIPT_PRINTER}"
        self.runner = ThreadRunner(_here, name="receipt-printer")
        self.monotonic = monotonic
        self._next_check = 0.0      # on the caller's thread
        self._seen: dict[int, None] = {}   # the jobs taken, oldest first; on the worker's thread
        self._reported: str | None = None  # the printer's status as last reported; on the worker's thread

    # -- called from the flow's thread ----------------------------------------------------

    def tick(self) -> None:
        """About once a second: asks the printer how it is when it is time (at the first tick)."""
        if self.printer is not None and self.monotonic() >= self._next_check:
            self._next_check = self.monotonic() + CHECK_SECONDS
            self._submit(lambda: self._report_state(self.printer.check()), "check")

    def requested(self, counter: str, job: int) -> None:
        """A receipt asked for at this terminal's counter."""
        self._submit(lambda: self._print(counter, job), f"receipt job {job}")

    def close(self) -> None:
        """Waits for the job under way (bounded by the printer's timeouts)."""
        self.runner.close()
        if self.printer is not None:
            self.printer.close()

    # -- on the worker's thread -----------------------------------------------------------

    def _submit(self, work: Callable[[], None], what: str) -> None:
        self.runner.submit(work, lambda _result: None,
                           lambda exc: log.error("receipt printer: %s failed: %r", what, exc))

    def _print(self, counter: str, job: int) -> None:
        if job in self._seen:
            log.info("receipt job %s taken already: not printed again", job)
            return
        self._seen[job] = None
        if len(self._seen) > JOBS_KEPT:
            del self._seen[next(iter(self._seen))]
        if self.printer is None:
            log.warning("receipt job %s: this terminal has no receipt printer", job)
            self.hall.report_receipt(counter, job, ReceiptOutcomeRequest(
                printed=False, problem=ReceiptProblem.NO_PRINTER,
                detail="the counter terminal has no receipt_printer in its configuration"))
            return
        try:
            printout = self.hall.receipt_printout(counter, job)
        except HallUnavailable as exc:  # the console says the terminal did not answer
            log.error("receipt job %s: the printout could not be had: %s", job, exc)
            return
        outcome = self.printer.print_job(render_receipt(layout(printout), self.printer.profile), f"receipt job {job}")
        log.info("receipt job %s of counter %s: %s", job, counter, outcome.device_status)
        self.hall.report_receipt(counter, job, ReceiptOutcomeRequest(
            printed=outcome.ok, problem=None if outcome.ok else PROBLEMS[outcome.problem],
            paper_low=outcome.paper_low, detail=outcome.detail[:500]))
        self._report_state(outcome)

    def _report_state(self, outcome: PrintOutcome) -> None:
        """The printer's status for the hall, when it changed (the first time, always)."""
        status = outcome.device_status
        if status != self._reported:
            self.hall.report_device(self.part, "printer", status, outcome.detail[:500])
            self._reported = status
