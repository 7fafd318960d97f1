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

from devices.errors import ScannerError, ScannerUnavailable, UnreadableScan
from devices.payload_text import payload_text
from devices.port_url import PORT_ERRORS, open_port, port_target

logger = logging.getLogger(__name__)

EXPECTED_FORMS = "serial:///dev/ttyACM0[?baudrate=9600...], tcp://HOST:PORT, loop://, simscanner://[?suffix=cr|lf|crlf]"
DEFAULT_BAUDRATE = 9600  # the factory setting of most serial scanners
TERMINATORS = b"\r\n"
MAX_LINE = 2048  # bytes; longer than any code a hall makes or a QR code a scanner reads whole
REOPEN_AFTER = 2.0  # seconds between attempts to open a scanner that is unplugged


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
    """One scanner: a reader thread owns the port, cuts lines and calls back; ``close()``
    stops it and closes the port.

    The thread opens the port if it is not open yet, and again every ``reopen_after``
    seconds after it went away, so a USB-CDC scanner pulled out and put back reads again
    without a restart, as the ID card reader does. ``on_problem`` hears once that the port
    cannot be opened or went away, ``on_back`` that it is open again.

    Its own small loop rather than pyserial's ReaderThread, which ends with an uncaught error
    (and no ``connection_lost``) when a tty's other side closes during ``in_waiting``.
    """

    def __init__(self, url: str, *, on_code: Callable[[str], None],
                 on_problem: Callable[[ScannerError], None], on_back: Callable[[], None] = lambda: None,
                 reopen_after: float = REOPEN_AFTER) -> None:
        self.url = url
        self._port_url, self._options = port_target(url, expected=EXPECTED_FORMS, default_baudrate=DEFAULT_BAUDRATE,
                                                    simulator="simscanner", device="scanner")
        self.port: serial.SerialBase | None = None
        self.on_code = on_code
        self.on_problem = on_problem
        self.on_back = on_back
        self.reopen_after = reopen_after
        self._stop = threading.Event()
        self._lock = threading.Lock()  # opening and dropping the port, by the thread or close()
        self._thread = threading.Thread(target=self._run, name=f"scanner {url}", daemon=True)

    def open(self) -> None:
        """Opens the port now, unless it is open or closed for good; ScannerUnavailable when
        it cannot be."""
        with self._lock:
            if self._stop.is_set() or self.port is not None:
                return
            self.port = open_port(self._port_url, url=self.url, device="scanner",
                                  unavailable=ScannerUnavailable, **self._options)
        logger.info("scanner %s open", self.url)

    def start(self) -> Scanner:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            port = self.port
        if port is not None:
            try:
                port.cancel_read()
            except PORT_ERRORS:
                pass
        if self._thread.is_alive():
            self._thread.join(2)
        self._drop()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self) -> None:
        told = False  # on_problem heard that the port is not there, and on_back not yet of its return
        while not self._stop.is_set():
            if self.port is None:
                try:
                    self.open()
                except ScannerUnavailable as e:
                    if not told:
                        logger.error("%s; trying again every %.0f s", e, self.reopen_after)
                        self._call(self.on_problem, e)
                        told = True
                    self._stop.wait(self.reopen_after)
                    continue
                if self.port is None:  # closed meanwhile
                    return
                if told:
                    self._call(self.on_back)
                    told = False
            self._read_lines(self.port)
            self._drop()
            if not self._stop.is_set():
                told = True  # connection_lost told on_problem
                self._stop.wait(self.reopen_after)

    def _read_lines(self, port: serial.SerialBase) -> None:
        """Reads until close() or the port fails (on_problem is told)."""
        protocol = _ScannerProtocol(self)
        error: BaseException | None = None
        while not self._stop.is_set() and port.is_open:
            try:
                data = port.read(port.in_waiting or 1)
            except PORT_ERRORS as e:
                error = e
                break
            if data:
                protocol.data_received(data)
        if not self._stop.is_set():
            protocol.connection_lost(error or serial.SerialException("the port was closed"))

    def _drop(self) -> None:
        with self._lock:
            port, self.port = self.port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS as e:
                logger.warning("scanner %s: close failed: %s", self.url, e)

    def _call(self, callback: Callable, *arguments: object) -> None:
        """A failing callback is the kiosk's bug: log it, keep the scanner reading."""
        try:
            callback(*arguments)
        except Exception:
            logger.exception("scanner %s: the code handler failed", self.url)


def open_scanner(url: str, *, on_code: Callable[[str], None],
                 on_problem: Callable[[ScannerError], None]) -> Scanner:
    """Open the scanner a URL names and start reading codes.

    Raises BadDeviceUrl for a URL we cannot read and ScannerUnavailable when the port cannot
    be opened now; once open, it is opened again by itself after it went away. (The kiosk
    starts a :class:`Scanner` without opening it, so that its screen never waits for a port:
    the scanner's thread opens it.)
    """
    scanner = Scanner(url, on_code=on_code, on_problem=on_problem)
    scanner.open()
    return scanner.start()
