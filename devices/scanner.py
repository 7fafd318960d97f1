"""Code scanners on a serial line: RS-232, or USB in CDC (virtual COM port) mode.

A scanner sends each code it reads as one line, ended by CR, LF or CR LF as it was set up;
the transport is chosen by URL like every serial device here::

    serial:///dev/ttyACM0                 9600 baud unless the URL says otherwise (CDC ignores it)
    tcp://10.0.0.8:4002                   a scanner behind a serial server
    loop://                               pyserial's loop-back, for tests
    simscanner://?suffix=cr               the simulated scanner (devices.urlhandler)

Codes arrive when a citizen scans, not when asked, so a reader thread owns the port, cuts
lines with :class:`ScanLineFramer` (a pyserial threaded-style protocol) and calls back with the text, or
with a ScannerError for an unreadable line or a scanner that went away. The callbacks run on
that thread: the kiosk hands their results to its own event queue.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

import serial
import serial.threaded

from devices.errors import BadDeviceUrl, ScannerError, ScannerUnavailable, UnreadableScan
from devices.payload_text import payload_text
from devices.port_url import PORT_ERRORS, port_target

logger = logging.getLogger(__name__)

EXPECTED_FORMS = "serial:///dev/ttyACM0[?baudrate=9600...], tcp://HOST:PORT, loop://, simscanner://[?suffix=cr|lf|crlf]"
DEFAULT_BAUDRATE = 9600  # the factory setting of most serial scanners
TERMINATORS = b"\r\n"
MAX_LINE = 2048  # bytes; longer than any code a hall makes or a QR code a scanner reads whole


class ScanLineFramer(serial.threaded.Protocol):
    """Cuts bytes into lines ended by CR or LF, fed ``data_received(chunk)`` in any pieces.

    Lines go to :meth:`line_received`, problems to :meth:`line_rejected` (by default both land
    in ``events``); the empty line between CR and LF is no code. A line longer than MAX_LINE is
    dropped whole, up to its end, and reported once.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overlong = False
        self.events: deque[bytes | UnreadableScan] = deque()

    def line_received(self, line: bytes) -> None:
        self.events.append(line)

    def line_rejected(self, error: UnreadableScan) -> None:
        self.events.append(error)

    def data_received(self, data: bytes) -> None:
        start = 0
        for end, byte in enumerate(data):
            if byte not in TERMINATORS:
                continue
            self._buffer += data[start:end]
            start = end + 1
            line, overlong = bytes(self._buffer), self._overlong or len(self._buffer) > MAX_LINE
            self._buffer.clear()
            self._overlong = False
            if overlong:
                self.line_rejected(UnreadableScan(f"a scanned line longer than {MAX_LINE} bytes was dropped"))
            elif line:
                self.line_received(line)
        self._buffer += data[start:]
        if len(self._buffer) > MAX_LINE:
            self._buffer.clear()
            self._overlong = True


class _ScannerProtocol(ScanLineFramer):
    """The framer wired to a Scanner's callbacks."""

    def __init__(self, scanner: Scanner) -> None:
        super().__init__()
        self.scanner = scanner

    def line_received(self, line: bytes) -> None:
        text = payload_text(line)
        if text is None:
            self.line_rejected(UnreadableScan(f"a {len(line)}-byte line is neither UTF-8 nor GB18030 text"))
        else:
            self.scanner._call(self.scanner.on_code, text)

    def line_rejected(self, error: UnreadableScan) -> None:
        url = self.scanner.url
        self.scanner._call(self.scanner.on_problem, UnreadableScan(f"scanner {url}: {error}", url=url))

    def connection_lost(self, exc: BaseException | None) -> None:
        if exc is not None:
            logger.error("scanner %s: %s", self.scanner.url, exc)
            self.scanner._call(self.scanner.on_problem, ScannerUnavailable(
                f"scanner {self.scanner.url} stopped ({exc}): is it plugged in?", url=self.scanner.url))


class Scanner:
    """One running scanner: a reader thread owns the port; ``close()`` stops it and closes the port.

    Its own small loop rather than pyserial's ReaderThread, which ends with an uncaught error
    (and no ``connection_lost``) when a tty's other side closes during ``in_waiting``.
    """

    def __init__(self, url: str, port: serial.SerialBase, *, on_code: Callable[[str], None],
                 on_problem: Callable[[ScannerError], None]) -> None:
        self.url = url
        self.port = port
        self.on_code = on_code
        self.on_problem = on_problem
        self._alive = False
        self._thread = threading.Thread(target=self._read_lines, name=f"scanner {url}", daemon=True)

    def start(self) -> None:
        self._alive = True
        self._thread.start()

    def close(self) -> None:
        self._alive = False
        if self._thread.is_alive():
            try:
                self.port.cancel_read()
            except PORT_ERRORS:
                pass
            self._thread.join(2)
        try:
            self.port.close()
        except PORT_ERRORS as e:
            logger.warning("scanner %s: close failed: %s", self.url, e)

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_lines(self) -> None:
        protocol = _ScannerProtocol(self)
        error = None
        while self._alive and self.port.is_open:
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except PORT_ERRORS as e:
                error = e
                break
            if data:
                protocol.data_received(data)
        protocol.connection_lost(error if self._alive else None)

    def _call(self, callback: Callable, argument: object) -> None:
        """A failing callback is the kiosk's bug: log it, keep the scanner reading."""
        try:
            callback(argument)
        except Exception:
            logger.exception("scanner %s: the code handler failed", self.url)


def open_scanner(url: str, *, on_code: Callable[[str], None],
                 on_problem: Callable[[ScannerError], None]) -> Scanner:
    """Open the scanner a URL names and start reading codes.

    Raises BadDeviceUrl for a URL we cannot read and ScannerUnavailable when the port cannot
    be opened.
    """
    port_url, options = port_target(url, expected=EXPECTED_FORMS, default_baudrate=DEFAULT_BAUDRATE,
                                    simulator="simscanner", device="scanner")
    try:
        port = serial.serial_for_url(port_url, **options)
    except BadDeviceUrl:
        raise
    except (*PORT_ERRORS, ValueError) as e:
        raise ScannerUnavailable(f"cannot open the scanner {url}: {' '.join(str(e).split())}", url=url) from e
    scanner = Scanner(url, port, on_code=on_code, on_problem=on_problem)
    scanner.start()
    logger.info("scanner %s open", url)
    return scanner
