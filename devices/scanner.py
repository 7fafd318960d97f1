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

A scanner can cost the kiosk only so much, whatever it sends (a chattering one sent 20,000
lines a second, a broken cable random bytes): each second the thread takes at most
MAX_BYTES_PER_SECOND and throws the rest away unread, calls back with one unreadable line
and with codes at MAX_CODES_PER_SECOND (the same code again within REPEAT_SECONDS is one
line sent twice), and logs what it dropped once a minute.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable

import serial
import serial.threaded

from devices.errors import ScannerError, ScannerUnavailable, UnreadableScan
from devices.payload_text import payload_text
from devices.port_url import PORT_ERRORS, close_port, end_reading, open_port, port_target
from devices.urlhandler.simulator_urls import check_simulator_url

logger = logging.getLogger(__name__)

EXPECTED_FORMS = "serial:///dev/ttyACM0[?baudrate=9600...], tcp://HOST:PORT, loop://, simscanner://[?suffix=cr|lf|crlf]"
DEFAULT_BAUDRATE = 9600  # the factory setting of most serial scanners
TERMINATORS = b"\r\n"
MAX_LINE = 2048  # bytes; longer than any code a hall makes or a QR code a scanner reads whole
REOPEN_AFTER = 2.0  # seconds between attempts to open a scanner that is unplugged
MAX_BYTES_PER_SECOND = 16_384  # eight of the longest codes a second; a flood is far above it
MAX_CODES_PER_SECOND = 4  # a person scans one or two a second
CODE_BURST = 12  # codes handed on at once before the rate applies
REPEAT_SECONDS = 0.05  # the same code again this soon is one line sent twice, never a person scanning again
DRAIN_EVERY = 0.02  # seconds between emptying the port during a flood
DROPS_LOGGED_EVERY = 60.0  # seconds: what a flood cost is logged once in each
_LINE_END = re.compile(rb"[\r\n]")


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
        *ended, rest = _LINE_END.split(data)  # at C speed: a flood is cut without a loop per byte
        for piece in ended:
            overlong = self._overlong or len(self._buffer) + len(piece) > MAX_LINE
            line = b"" if overlong else bytes(self._buffer) + piece
            self._buffer.clear()
            self._overlong = False
            if overlong:
                self.line_rejected(UnreadableScan(f"a scanned line longer than {MAX_LINE} bytes was dropped"))
            elif line:
                self.line_received(line)
        if self._overlong or len(self._buffer) + len(rest) > MAX_LINE:
            self._buffer.clear()
            self._overlong = True
        else:
            self._buffer += rest

    def cut(self) -> None:
        """Bytes were thrown away unread: the line they were part of is no code."""
        self._buffer.clear()
        self._overlong = True


class _ScannerProtocol(ScanLineFramer):
    """The framer wired to a Scanner's callbacks, within each second's allowance."""

    def __init__(self, scanner: Scanner, allowance: _Allowance) -> None:
        super().__init__()
        self.scanner = scanner
        self.allowance = allowance

    def line_received(self, line: bytes) -> None:
        text = payload_text(line)
        if text is None:
            self.line_rejected(UnreadableScan(f"a {len(line)}-byte line is neither UTF-8 nor GB18030 text"))
        elif not text.isprintable():  # noise: no code holds control characters
            self.line_rejected(UnreadableScan(f"a {len(line)}-byte line holds control characters"))
        elif self.allowance.code(text):
            self.scanner._call(self.scanner.on_code, text)

    def line_rejected(self, error: UnreadableScan) -> None:
        if not self.allowance.problem():
            return
        url = self.scanner.url
        self.scanner._call(self.scanner.on_problem, UnreadableScan(f"scanner {url}: {error}", url=url))

    def connection_lost(self, exc: BaseException | None) -> None:
        if exc is not None:
            logger.error("scanner %s: %s", self.scanner.url, exc)
            self.scanner._call(self.scanner.on_problem, ScannerUnavailable(
                f"scanner {self.scanner.url} stopped ({exc}): is it plugged in?", url=self.scanner.url))


class _Allowance:
    """What one second of a scanner may cost: bytes taken, codes and unreadable lines handed
    on; what it drops is counted, and logged once in DROPS_LOGGED_EVERY seconds."""

    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.clock = clock
        self.second = clock()
        self.bytes = self.problems = 0
        self.tokens = float(CODE_BURST)
        self.last_code, self.last_code_at = "", self.second
        self.dropped = {"bytes": 0, "codes": 0, "unreadable lines": 0}
        self.logged_at: float | None = None

    def take(self, count: int) -> bool:
        """Whether ``count`` more bytes fit in this second."""
        self._roll()
        self.bytes += count
        return self.bytes <= MAX_BYTES_PER_SECOND

    def drop_bytes(self, count: int) -> None:
        self.dropped["bytes"] += count
        self._log()

    def code(self, text: str) -> bool:
        """Whether to hand on a code: not the same code again within REPEAT_SECONDS of the
        last time it came (a chattering scanner repeating a line), and not more than
        MAX_CODES_PER_SECOND, after a burst of CODE_BURST (a token bucket)."""
        now = self.clock()
        repeated = text == self.last_code and now - self.last_code_at < REPEAT_SECONDS
        self.tokens = min(CODE_BURST, self.tokens + (now - self.last_code_at) * MAX_CODES_PER_SECOND)
        self.last_code, self.last_code_at = text, now
        if repeated or self.tokens < 1:
            self.dropped["codes"] += 1
            return False
        self.tokens -= 1
        return True

    def problem(self) -> bool:
        self.problems += 1
        if self.problems > 1:
            self.dropped["unreadable lines"] += 1
            return False
        return True

    def rest(self) -> float:
        """Seconds until the next second's allowance."""
        return max(0.0, self.second + 1.0 - self.clock())

    def _roll(self) -> None:
        now = self.clock()
        if now - self.second >= 1.0:
            self.second = now
            self.bytes = self.problems = 0
            self._log()

    def _log(self) -> None:
        now = self.clock()
        if not any(self.dropped.values()) or (self.logged_at is not None
                                              and now - self.logged_at < DROPS_LOGGED_EVERY):
            return
        logger.warning("scanner %s sends more than a scanner does (chattering, or a bad cable?): dropped %s",
                       self.url, ", ".join(f"{n:,} {what}" for what, n in self.dropped.items() if n))
        self.logged_at = now
        self.dropped = dict.fromkeys(self.dropped, 0)


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
        check_simulator_url(url)  # a simulator's options are refused here, before its thread starts
        self.port: serial.SerialBase | None = None
        self.on_code = on_code
        self.on_problem = on_problem
        self.on_back = on_back
        self.reopen_after = reopen_after
        self._stop = threading.Event()
        self._allowance = _Allowance(url)
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
        end_reading(port, self._thread)
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
        """Reads until close() or the port fails (on_problem is told). Beyond the second's
        allowance, what waits is thrown away unread and the thread rests to the next second."""
        protocol = _ScannerProtocol(self, self._allowance)
        error: BaseException | None = None
        while not self._stop.is_set() and port.is_open:
            try:
                data = port.read(min(port.in_waiting, MAX_LINE) or 1)
                if data and not self._allowance.take(len(data)):
                    self._allowance.drop_bytes(len(data))
                    protocol.cut()
                    self._drain(port)
                    continue
            except PORT_ERRORS as e:
                error = e
                break
            if data:
                protocol.data_received(data)
        if not self._stop.is_set():
            protocol.connection_lost(error or serial.SerialException("the port was closed"))

    def _drain(self, port: serial.SerialBase) -> None:
        """Until the next second's allowance, what arrives is thrown away unread, a few
        system calls a second: the flood costs no Python work per byte."""
        while not self._stop.is_set() and self._allowance.rest() > 0:
            waiting = port.in_waiting
            if waiting:
                port.reset_input_buffer()
                self._allowance.drop_bytes(waiting)
            self._stop.wait(min(DRAIN_EVERY, self._allowance.rest()))

    def _drop(self) -> None:
        with self._lock:
            port, self.port = self.port, None
        if port is not None:
            close_port(port, url=self.url, device="scanner")

    def _call(self, callback: Callable, *arguments: object) -> None:
        """A failing callback is the kiosk's bug: log it, keep the scanner reading."""
        try:
            callback(*arguments)
        except Exception:
            logger.exception("scanner %s: the code handler failed", self.url)

