"""The ticket printer driver: open by URL, ask the status, print a ticket in one write.

The transport is chosen by the URL, the way pyserial does it, so a kiosk's configuration
decides between a serial cable, a network printer, USB, a device file and the simulator,
and the code path above the port stays the same::

    serial:///dev/ttyS0?baudrate=9600     a serial port, any pyserial port name
    tcp://10.0.0.5:9100                   a network printer (pyserial's socket://)
    usb://04b8:0202                       USB vendor:product, through python-escpos and pyusb
    file:///dev/usb/lp0                   a device file or plain file, write-only
    loop://                               pyserial's loop-back, for tests
    simprinter://?spool=DIR&paper=ok      the simulated printer (devices.urlhandler)

Serial-like connections read status back with ``DLE EOT``; a printer that stays silent there
is offline. USB printers often do not answer and files never do: their status is UNKNOWN and
the ticket is sent anyway.
"""

from __future__ import annotations

import logging
import os
import platform
import select
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import serial

# Three import-time traps of python-escpos 3.1, defused at its first import:
# - with ESCPOS_CAPABILITIES_PICKLE_DIR set to a missing directory the import fails with
#   FileNotFoundError, so the directory is created;
# - escpos.capabilities calls logging.basicConfig(), which adds a stderr handler to the root
#   logger and turns the application's own later basicConfig() into a silent no-op, so any
#   handler that import adds is removed again;
# - it trusts its capabilities cache in that directory whenever the file is newer than its
#   JSON: a cache a full disk or a power cut left empty or cut short fails every import
#   (EOFError) until someone deletes it, so an import that fails on a cache deletes it and
#   tries once more, building the cache again.
_cache_dir = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
if _cache_dir:
    Path(_cache_dir).mkdir(parents=True, exist_ok=True)
_root_handlers = list(logging.root.handlers)
try:
    import escpos.capabilities  # noqa: E402, F401
except Exception as _unreadable:  # whatever unpickling a damaged file raises
    _cache = Path(_cache_dir or "", f"{platform.python_version()}.capabilities.pickle")
    if not _cache_dir or not _cache.exists():
        raise
    logging.getLogger(__name__).warning("python-escpos' capabilities cache %s cannot be read (%r): "
                                        "deleted, and built again", _cache, _unreadable)
    _cache.unlink()
    import escpos.capabilities  # noqa: E402, F401

from escpos.escpos import Escpos  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.printer import File, Usb  # noqa: E402
from usb.core import NoBackendError  # noqa: E402

for _handler in logging.root.handlers[len(_root_handlers):]:
    logging.root.removeHandler(_handler)

from devices import escpos_commands as cmd
from devices.errors import (
    BadDeviceUrl,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterUnavailable,
    PrinterWriteFailed,
    cause,
)
from devices.printer_url import printer_target
from devices.printer_profiles import PrinterProfile
from devices.printer_status import PrinterStatus, decode_status
from devices.ticket_layout import TicketPrintout, render_ticket
from devices.wire_log import WireLog

logger = logging.getLogger(__name__)

class _Traced:
    """Mixin for python-escpos connections: every raw write and read goes to the wire log."""

    wire: WireLog

    def _raw(self, msg: bytes) -> None:
        self.wire.sent(msg)
        super()._raw(msg)  # type: ignore[misc]

    def _read(self) -> bytes:
        reply = bytes(super()._read())  # type: ignore[misc]
        self.wire.received(reply)
        return reply


class SerialUrlConnection(Escpos):
    """A python-escpos connection over any pyserial URL.

    python-escpos' own ``Serial`` opens ``serial.Serial(port)`` and so cannot take
    ``socket://``, ``loop://`` or our simulator; opening through ``serial_for_url`` lets the
    simulator and a real port share this one path.
    """

    def __init__(self, port_url: str, *, timeout: float, wire: WireLog, bits_per_second: int | None = None,
                 **port_options: Any) -> None:
        """``bits_per_second`` is the line rate of a serial cable; None for a network or a
        simulator, whose writes take no longer than ``timeout`` whatever their size."""
        Escpos.__init__(self)
        self.port_url = port_url
        self.timeout = timeout
        self.bits_per_second = bits_per_second
        self.port_options = port_options
        self.wire = wire

    def open(self) -> None:
        self.device = serial.serial_for_url(
            self.port_url, timeout=self.timeout, write_timeout=self.timeout, **self.port_options
        )

    @property
    def port(self) -> serial.SerialBase:
        """The open pyserial port (for the simulator: its ``printer`` and ``jobs``).

        Read from ``_device``: python-escpos' ``device`` property would silently reopen a
        closed connection.
        """
        if not self._device:
            raise serial.PortNotOpenError()
        return self._device  # type: ignore[return-value]

    def discard_input(self) -> None:
        """Drop stale bytes so the next read is the reply to the next query."""
        self.port.reset_input_buffer()

    def _raw(self, msg: bytes) -> None:
        port = self.port
        # On a serial line the write may take longer than a read: allow twice its time on
        # the wire at 10 bits per byte, so a long ticket at 9600 baud does not time out half
        # sent. Raised only when needed, since pyserial reconfigures the port on every change.
        needed = self.timeout
        if self.bits_per_second:
            needed += 20.0 * len(msg) / self.bits_per_second
        if (port.write_timeout or 0) < needed:
            port.write_timeout = needed
        self.wire.sent(msg)
        port.write(msg)

    def drain(self) -> None:
        """Waits until what was written has left (a serial port's output buffer)."""
        self.port.flush()

    def _read(self) -> bytes:
        """One byte: the size of every DLE EOT reply; waits at most ``timeout``."""
        reply = self.port.read(1)
        self.wire.received(reply)
        return reply

    def ask(self, queries: tuple[bytes, ...]) -> bytes:
        """Sends the status queries in one write and reads their one-byte replies, waiting
        ``timeout`` at most for all of them: one round trip, however slow the line or the
        printer's answers."""
        self._raw(b"".join(queries))
        reply = self.port.read(len(queries))
        self.wire.received(reply)
        return reply

    def close(self) -> None:
        port = getattr(self, "_device", None)
        if port:
            port.close()
        self._device = False


class UsbConnection(_Traced, Usb):
    """python-escpos' USB connection with the wire trace."""

    def ask(self, queries: tuple[bytes, ...]) -> bytes:
        """The replies to the status queries, one at a time: a USB printer answers each in
        a packet of its own."""
        return b"".join(self.query_status(query)[:1] for query in queries)

    def discard_input(self) -> None:
        pass

    def drain(self) -> None:
        pass


class FileConnection(_Traced, File):
    """python-escpos' file connection, appending so a plain file keeps earlier tickets, its
    writes bounded by ``timeout``: the device file of a USB printer out of paper (usblp)
    takes no more bytes, and a plain write to it waits for ever, holding the kiosk's one
    worker, and every citizen after this one, with it."""

    def __init__(self, devfile: str, *, timeout: float) -> None:
        File.__init__(self, devfile)
        self.timeout = timeout

    def open(self, raise_not_found: bool = True) -> None:
        try:
            fd = os.open(self.devfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
        except OSError as e:
            self.device = None
            raise DeviceNotFoundError(f"Could not open the specified file {self.devfile}:\n{e}") from e
        self.device = os.fdopen(fd, "ab", buffering=0)

    def _raw(self, msg: bytes) -> None:
        """Writes all of ``msg`` within ``timeout``, or raises TimeoutError (an OSError)."""
        self.wire.sent(msg)
        fd = self.device.fileno()
        deadline = time.monotonic() + self.timeout
        rest = memoryview(msg)
        while rest:
            try:
                rest = rest[os.write(fd, rest):]
                continue
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the device took {len(msg) - len(rest)} of {len(msg)} bytes "
                                   f"within {self.timeout:.1f} s")
            writable = select.poll()
            writable.register(fd, select.POLLOUT)
            writable.poll(min(left, 0.05) * 1000)  # a short wait: usblp says writable while out of paper

    def discard_input(self) -> None:
        pass

    def drain(self) -> None:
        pass  # written unbuffered


def _simprinter_url(url: str, query: str, profile: PrinterProfile, spool_dir: Path | None) -> str:
    """The simulator URL with the spool directory and preview width filled in if absent."""
    options = urllib.parse.parse_qs(query, keep_blank_values=True)
    extra = {}
    if spool_dir is not None and "spool" not in options:
        extra["spool"] = str(spool_dir)
    if "columns" not in options:
        extra["columns"] = str(profile.columns)
    if not extra:
        return url
    joined = "&".join(filter(None, [query, urllib.parse.urlencode(extra)]))
    return f"{url.partition('?')[0]}?{joined}"


def open_printer(
    url: str, profile: PrinterProfile, *, timeout: float = 2.0, spool_dir: Path | None = None
) -> TicketPrinter:
    """Open the printer a URL names (forms in the module docstring).

    ``timeout`` bounds every status reply and write; ``spool_dir`` is where a
    ``simprinter://`` URL without its own ``spool`` option keeps its jobs (real printers
    ignore it). Raises :class:`BadDeviceUrl` for a URL we cannot read and
    :class:`PrinterUnavailable` when the device cannot be opened.
    """
    wire = WireLog(url)
    target = printer_target(url)
    connection: Any
    reads_back = True
    silence_means_offline = True
    if target.scheme == "simprinter":
        port_url = _simprinter_url(url, urllib.parse.urlsplit(url).query, profile, spool_dir)
        connection = SerialUrlConnection(port_url, timeout=timeout, wire=wire)
    elif target.port_url:
        # A serial line takes time per byte, and pyserial's loop-back times its writes as a
        # 9600 baud line would; a network connection does not.
        bits_per_second = target.options.get("baudrate", 9600) if target.scheme in ("serial", "loop") else None
        connection = SerialUrlConnection(target.port_url, timeout=timeout, wire=wire,
                                         bits_per_second=bits_per_second, **target.options)
    elif target.scheme == "usb":
        connection = UsbConnection(**target.options, timeout=int(timeout * 1000))
        connection.wire = wire
        silence_means_offline = False
    else:
        connection = FileConnection(target.path, timeout=timeout)
        connection.wire = wire
        reads_back = False

    try:
        connection.open()
    except BadDeviceUrl:
        raise
    except NoBackendError as e:
        # Without libusb pyusb raises this, which python-escpos' Usb.open does not catch.
        raise PrinterUnavailable(
            f"cannot open printer {url}: no USB backend (is libusb-1.0 installed?): {cause(e)}", url=url
        ) from e
    except (OSError, DeviceNotFoundError, ValueError) as e:
        raise PrinterUnavailable(f"cannot open printer {url}: {cause(e)}", url=url) from e
    logger.info("printer %s open (profile %s)", url, profile.name)
    return TicketPrinter(url, profile, connection, reads_back=reads_back, silence_means_offline=silence_means_offline)



class TicketPrinter:
    """One open ticket printer: status, print, close.

    Calls from different threads (a status poll while a ticket prints) take turns, since a
    status reply read by the wrong caller would be misread.
    """

    def __init__(
        self, url: str, profile: PrinterProfile, connection: Any, *, reads_back: bool, silence_means_offline: bool
    ) -> None:
        self.url = url
        self.profile = profile
        self.connection = connection
        self.last_status: PrinterStatus | None = None
        self._reads_back = reads_back
        self._silence_means_offline = silence_means_offline
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TicketPrinter {self.url} profile={self.profile.name}>"

    def status(self) -> PrinterStatus:
        """Ask the printer (``DLE EOT 1`` and ``DLE EOT 4`` in one round trip, so that a
        ticket waits for two of them, before and after, each within the timeout, however
        slowly the printer answers); never raises for a dead line."""
        with self._lock:
            status = self._status()
        self.last_status = status
        return status

    def _status(self) -> PrinterStatus:
        if self._closed:
            raise PrinterUnavailable(f"printer {self.url} was closed; open it again", url=self.url)
        if not self._reads_back:
            return PrinterStatus.UNKNOWN
        silent = PrinterStatus.OFFLINE if self._silence_means_offline else PrinterStatus.UNKNOWN
        try:
            self.connection.discard_input()
            replies = self.connection.ask((cmd.STATUS_PRINTER, cmd.STATUS_PAPER))
        except OSError as e:  # includes pyserial's SerialException and pyusb's USBError
            logger.warning("printer %s: status query failed: %s", self.url, cause(e))
            return silent
        if len(replies) < 2:
            logger.warning("printer %s: %d of the 2 replies to DLE EOT 1 and 4 within %.1f s",
                           self.url, len(replies), self._timeout)
            return silent
        status = decode_status(replies[0], replies[1])
        if status is PrinterStatus.UNKNOWN:
            logger.warning("printer %s: replies %s are not status bytes", self.url, replies.hex(" "))
        return status

    @property
    def _timeout(self) -> float:
        return float(getattr(self.connection, "timeout", 0) or 0)

    def print_ticket(self, printout: TicketPrintout) -> int:
        """Print one ticket; returns the bytes written (see print_job)."""
        return self.print_job(render_ticket(printout, self.profile), "ticket")

    def print_job(self, data: bytes, what: str) -> int:
        """Print one job already rendered for this printer's profile (``what`` names it in
        messages: "ticket", "receipt"); returns the bytes written.

        Refuses (PaperOut, PrinterOffline) before sending anything when the printer says it
        cannot print, so the kiosk can tell the citizen before a ticket is lost; paper near
        its end prints and shows in ``last_status`` for the staff. Where the connection reads
        back, the printer is asked again once the job has left: a printer that no longer
        answers (it hung up, its socket was dead) or ran out of paper did not print it whole,
        and PrinterWriteFailed or PaperOut says so.
        """
        with self._lock:
            status = self._checked_status(
                PaperOut(f"printer {self.url}: paper out", url=self.url),
                PrinterOffline(f"printer {self.url}: offline or not answering status requests", url=self.url))
            try:
                self.connection._raw(data)
                if self._reads_back:
                    self.connection.drain()
            except OSError as e:
                recent = "\n  ".join(self.connection.wire.recent())
                logger.error("printer %s: write failed: %s; recent wire traffic:\n  %s", self.url, cause(e), recent)
                raise PrinterWriteFailed(
                    f"printer {self.url}: writing a {len(data)}-byte {what} failed: {cause(e)}", url=self.url
                ) from e
            if self._reads_back:
                status = self._checked_status(
                    PaperOut(f"printer {self.url}: paper ran out during a {len(data)}-byte {what}", url=self.url),
                    PrinterWriteFailed(f"printer {self.url}: sent a {len(data)}-byte {what}, but the printer did "
                                       "not answer after it: it may not have printed", url=self.url))
        if status is PrinterStatus.PAPER_NEAR_END:
            logger.warning("printer %s: paper near its end", self.url)
        return len(data)

    def _checked_status(self, paper_out: PrinterError, offline: PrinterError) -> PrinterStatus:
        """The status, kept in ``last_status``; raises the error given for paper out or offline."""
        status = self._status()
        self.last_status = status
        if status is PrinterStatus.PAPER_OUT:
            raise paper_out
        if status is PrinterStatus.OFFLINE:
            raise offline
        return status

    def close(self) -> None:
        with self._lock:
            self._closed = True
            try:
                self.connection.close()
            except OSError as e:
                logger.warning("printer %s: close failed: %s", self.url, cause(e))
