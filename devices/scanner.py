"""Code scanners on a serial line: RS-232, or USB in CDC (virtual COM port) mode.

A scanner sends each code it reads as one line, ended by CR, LF or CR LF as it was set up;
the transport is chosen by URL like every serial device here::

    serial:///dev/ttyACM0                 9600 baud unless the URL says otherwise (CDC ignores it)
    tcp://10.0.0.8:4002                   a scanner behind a serial server
    loop://                               pyserial's loop-back, for tests
    simscanner://?suffix=cr               the simulated scanner (devices.urlhandler)

Codes arrive when a citizen scans, not when asked, so a reader thread owns the port (pyserial's
``ReaderThread``), cuts lines with :class:`ScanLineFramer` and calls back with the text, or
with a ScannerError for an unreadable line or a scanner that went away. The callbacks run on
that thread: the kiosk hands their results to its own event queue.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

import serial
import serial.threaded

from devices.errors import BadDeviceUrl, ScannerError, ScannerUnavailable, UnreadableScan
from devices.payload_text import payload_text
from devices.port_url import port_target, url_scheme

if "devices.urlhandler" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("devices.urlhandler")

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
    """One running scanner; ``close()`` stops its thread and closes the port."""

    def __init__(self, url: str, port: serial.SerialBase, *, on_code: Callable[[str], None],
                 on_problem: Callable[[ScannerError], None]) -> None:
        self.url = url
        self.port = port
        self.on_code = on_code
        self.on_problem = on_problem
        self._thread = serial.threaded.ReaderThread(port, lambda: _ScannerProtocol(self))
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()
        self._thread.connect()  # waits until the reader thread is reading

    def close(self) -> None:
        if self._thread.is_alive():
            self._thread.close()
        else:
            self.port.close()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
    scheme = url_scheme(url)
    if scheme == "simscanner":
        port_url, options = url, {}
    elif scheme in ("serial", "tcp", "loop"):
        port_url, options = port_target(url, expected=EXPECTED_FORMS, default_baudrate=DEFAULT_BAUDRATE)
    else:
        raise BadDeviceUrl(f"unknown scanner URL {url!r}; expected one of: {EXPECTED_FORMS}")
    try:
        port = serial.serial_for_url(port_url, **options)
    except BadDeviceUrl:
        raise
    except (OSError, ValueError) as e:
        raise ScannerUnavailable(f"cannot open the scanner {url}: {' '.join(str(e).split())}", url=url) from e
    scanner = Scanner(url, port, on_code=on_code, on_problem=on_problem)
    scanner.start()
    logger.info("scanner %s open", url)
    return scanner
