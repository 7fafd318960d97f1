"""``simprinter://``: a simulated ESC/POS ticket printer behind a pyserial port.

The driver opens it through ``serial_for_url`` exactly like a real port, so everything from
the URL to the bytes is the production path. The simulated printer answers ``DLE EOT n`` with
the status bytes of the Epson manual, spools each cut job to ``ticket-NNNN.bin`` with a
``.txt`` preview a person can read, and plays the faults a kiosk meets in a hall: paper near
its end, paper out, a printer switched off (silent), a cable that fails mid-ticket.

URL form::

    simprinter://[?spool=DIR][&paper=ok|near_end|out][&online=1|0][&fail_after=N][&columns=48]
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from serial.serialutil import SerialException

from devices import escpos_commands as cmd
from devices.escpos_parse import CommandSplitter, EscposParseError, parse_escpos
from devices.urlhandler.simulated_port import SimulatedPort
from devices.urlhandler.simulator_urls import PAPER_STATES, simprinter_options
from devices.wire_log import hexdump

logger = logging.getLogger("devices.simprinter")

_SPOOL_NAME = re.compile(r"ticket-(\d{4,})\.bin$")

# DLE EOT n replies, built from the bits the Epson manual defines (see escpos_commands).
# n = 2, bit 5: printing stopped by paper end.
_OFFLINE_CAUSE_PAPER_END = 0x20


class SimulatedPrinter:
    """The printer's side of the wire: bytes in, status replies out, jobs on the spool.

    Separate from the port so a test can also put it behind a real pty, and so faults can be
    changed while a port is open (``printer.paper = "out"``).
    """

    def __init__(
        self,
        *,
        paper: str = "ok",
        online: bool = True,
        spool: Path | None = None,
        columns: int = 48,
    ) -> None:
        if paper not in PAPER_STATES:
            raise ValueError(f"paper must be one of {PAPER_STATES}, not {paper!r}")
        self.paper = paper
        self.online = online
        self.spool = spool
        self.columns = columns
        self.jobs: list[bytes] = []
        self.spooled: list[Path] = []
        self.discarded = 0  # print bytes that arrived while the printer could not print
        self.decode_errors: list[str] = []
        self._splitter = CommandSplitter()
        self._job = bytearray()
        self._next_number = self._first_free_number()

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer sends back at once."""
        if not self.online:
            self.discarded += len(data)
            return b""
        replies = bytearray()
        chunk = data
        while True:
            try:
                found = self._splitter.feed(chunk)
            except EscposParseError as e:
                # A real printer prints garbage and carries on: so does the simulator, noting it.
                self.decode_errors.append(str(e))
                logger.warning("simulated printer: %s", e)
                self._job += self._splitter.pending[:1]
                self._splitter.skip(1)
                chunk = b""
                continue
            for command in found:
                if command.name == "DLE EOT":
                    replies.append(self.status_byte(command.data[2]))
                elif self.paper == "out":
                    self.discarded += len(command.data)
                else:
                    self._job += command.data
                    if command.name == "GS V":
                        self._finish_job()
            if not found or not self._splitter.pending:
                return bytes(replies)
            chunk = b""

    def status_byte(self, n: int) -> int:
        """The one-byte reply to ``DLE EOT n``: fixed bits 0x12 plus the state bits for n."""
        status = cmd.STATUS_FIXED_BITS
        if n == 1 and self.paper == "out":
            status |= cmd.STATUS_OFFLINE_BIT  # paper end stops printing: the printer goes offline
        elif n == 2 and self.paper == "out":
            status |= _OFFLINE_CAUSE_PAPER_END
        elif n == 4:
            if self.paper in ("near_end", "out"):
                status |= cmd.STATUS_PAPER_NEAR_END_BITS
            if self.paper == "out":
                status |= cmd.STATUS_PAPER_OUT_BITS
        return status

    def _finish_job(self) -> None:
        job = bytes(self._job)
        self._job.clear()
        self.jobs.append(job)
        if self.spool is None:
            return
        self.spool.mkdir(parents=True, exist_ok=True)
        stem = self.spool / f"ticket-{self._next_number:04d}"
        self._next_number += 1
        stem.with_suffix(".bin").write_bytes(job)
        try:
            preview = parse_escpos(job).preview(self.columns)
        except EscposParseError as e:
            preview = f"could not decode this job: {e}\n\n{hexdump(job)}\n"
        stem.with_suffix(".txt").write_text(preview, encoding="utf-8")
        self.spooled.append(stem.with_suffix(".bin"))
        logger.info("simulated printer spooled %d bytes to %s", len(job), stem.with_suffix(".bin"))

    def _first_free_number(self) -> int:
        """Continue after the jobs already in the spool, so a restarted kiosk overwrites none."""
        if self.spool is None or not self.spool.is_dir():
            return 1
        numbers = [int(m.group(1)) for p in self.spool.iterdir() if (m := _SPOOL_NAME.match(p.name))]
        return max(numbers, default=0) + 1


class Serial(SimulatedPort):
    """The port surface of the simulated printer, with a cable that can fail part way."""

    def __init__(self, *args, **kwargs) -> None:
        self.printer: SimulatedPrinter | None = None
        self.fail_after: int | None = None
        self.bytes_written = 0
        super().__init__(*args, **kwargs)

    @property
    def jobs(self) -> list[bytes]:
        """Every job the simulated printer cut, in order."""
        return self._printer().jobs

    def from_url(self, url: str) -> SimulatedPrinter:
        """Build the simulated printer the URL describes, refusing what it does not know."""
        options = simprinter_options(url)
        self.fail_after = options.pop("fail_after", None)  # type: ignore[assignment]
        self.printer = SimulatedPrinter(**options)  # type: ignore[arg-type]
        return self.printer

    def _printer(self) -> SimulatedPrinter:
        self._device()
        assert self.printer is not None
        return self.printer

    def write(self, data: bytes) -> int:
        """Hand the bytes to the printer; fail like a broken cable once ``fail_after`` is reached."""
        printer = self._printer()
        data = bytes(data)
        accepted = data
        if self.fail_after is not None and self.bytes_written + len(data) > self.fail_after:
            accepted = data[: max(self.fail_after - self.bytes_written, 0)]
        self.bytes_written += len(accepted)
        self.deliver(printer.receive(accepted))
        if len(accepted) < len(data):
            raise SerialException(
                5, f"write failed: Input/output error (simulated after {self.fail_after} bytes)"
            )
        return len(data)

    @property
    def dsr(self) -> bool:
        return self._printer().online
