"""The ID card reader driver: open by URL, then find, select and read a card.

The transport is chosen by the URL (devices.port_url), so a reader on a USB-serial cable, one
behind a serial-to-network bridge and the simulator share one code path::

    serial:///dev/ttyUSB0                 115200 baud unless the URL says otherwise
    tcp://10.0.0.7:4001                   a reader behind a serial server
    loop://                               pyserial's loop-back, for tests
    simidcard://?card=FILE&fault=...      the simulated reader (devices.urlhandler)

Each command is one request and one reply within ``timeout``. :meth:`IdCardReader.read_card`
retries what a retry can fix (a frame spoilt on the line, a reply cut short, a read that
failed because the card moved) and turns the rest into one narrow error with a message that
names the reader and what to do. A reader that went away (unplugged) is opened again on the
next call, so plugging it back in is enough. Every call is synchronous: the kiosk calls it
from a background job, never from the UI thread.
"""

from __future__ import annotations

import logging
import threading
import time

import serial

from devices import idcard_protocol as sam
from devices.errors import (
    CardDataInvalid,
    CardReadFailed,
    IdReaderError,
    IdReaderFrameError,
    IdReaderTimeout,
    IdReaderUnavailable,
    NoCard,
    SamFault,
    cause,
)
from devices.idcard_record import IdCardRecord, decode_text_block
from devices.port_url import PORT_ERRORS, close_port, open_port, port_target
from devices.urlhandler.simulator_urls import check_simulator_url
from devices.wire_log import WireLog

logger = logging.getLogger(__name__)

EXPECTED_FORMS = (
    "serial:///dev/ttyUSB0[?baudrate=115200&parity=N...], tcp://HOST:PORT, loop://, "
    "simidcard://[?card=FILE&present=1|0&fault=...]"
)
DEFAULT_BAUDRATE = 115200  # docs/id-card-reader.md: SAM modules speak 115200 8N1
# The port's read timeout: how often the reply loop looks at its deadline.
POLL_INTERVAL = 0.02
# The wire trace shows a reply's first bytes only (preamble, LEN, SW1-3, the read reply's
# two lengths), never the card's text.
TRACE_SHOWN = sam.HEADER_SIZE + 3 + sam.CARD_DATA_LENGTHS_SIZE
COMMAND_NAMES = {
    sam.SAM_STATUS: "SAM status",
    sam.FIND_CARD: "find card",
    sam.SELECT_CARD: "select card",
    sam.READ_TEXT_AND_PHOTO: "read card",
}
# A bad request frame seen by the SAM is line noise: send it again.
_RETRIABLE_STATUS = {sam.SamStatus.CHECKSUM_ERROR, sam.SamStatus.LENGTH_ERROR}


def open_id_reader(url: str, *, timeout: float = 1.5, attempts: int = 3) -> IdCardReader:
    """Open the reader a URL names (forms in the module docstring).

    ``timeout`` bounds each command's reply; ``attempts`` is how often :meth:`read_card`
    tries before it gives up. Raises BadDeviceUrl for a URL we cannot read and
    IdReaderUnavailable when the port cannot be opened.
    """
    port_url, options = port_target(url, expected=EXPECTED_FORMS, default_baudrate=DEFAULT_BAUDRATE,
                                    simulator="simidcard", device="ID card reader")
    check_simulator_url(url)
    if attempts < 1 or timeout <= 0:
        raise ValueError("attempts must be 1 or more and timeout above 0")
    reader = IdCardReader(url, port_url, options, timeout=timeout, attempts=attempts)
    reader.open()
    return reader


class IdCardReader:
    """One reader. Calls from several threads take turns, a whole read_card at a time: a reply
    read by the wrong caller would be misread."""

    def __init__(self, url: str, port_url: str, port_options: dict, *, timeout: float, attempts: int) -> None:
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.wire = WireLog(url, shown=TRACE_SHOWN)
        self._port_url = port_url
        self._port_options = port_options
        self._port: serial.SerialBase | None = None
        self._framer = sam.SamFramer()
        self._lock = threading.RLock()  # held for a whole read_card, and for each exchange in it

    def __enter__(self) -> IdCardReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<IdCardReader {self.url}>"

    @property
    def port(self) -> serial.SerialBase:
        """The open port (for the simulator: its ``reader``); raises if the reader is not open."""
        if self._port is None:
            raise serial.PortNotOpenError()
        return self._port

    def open(self) -> None:
        with self._lock:
            self._open()

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            self._port = open_port(self._port_url, url=self.url, device="ID card reader",
                                   unavailable=IdReaderUnavailable, timeout=POLL_INTERVAL,
                                   write_timeout=self.timeout, **self._port_options)
            logger.info("ID card reader %s open", self.url)
        return self._port

    def close(self) -> None:
        with self._lock:
            self._drop_port()

    def _drop_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            close_port(port, url=self.url, device="ID card reader")

    # The commands, each one exchange.

    def check(self) -> None:
        """Ask the SAM module for its status: raises unless it is ready to read cards."""
        response = self._exchange(sam.SAM_STATUS)
        if response.sw3 != sam.SamStatus.OK:
            raise self._fault(sam.SAM_STATUS, response)

    def find_card(self) -> bool:
        response = self._exchange(sam.FIND_CARD)
        if response.sw3 == sam.SamStatus.CARD_FOUND:
            return True
        if response.sw3 == sam.SamStatus.FIND_FAILED:
            return False
        raise self._fault(sam.FIND_CARD, response)

    def select_card(self) -> None:
        response = self._exchange(sam.SELECT_CARD)
        if response.sw3 != sam.SamStatus.OK:
            raise self._fault(sam.SELECT_CARD, response)

    def read_text(self) -> IdCardRecord:
        """The card's text, decoded; the photo in the same reply is dropped undecoded."""
        response = self._exchange(sam.READ_TEXT_AND_PHOTO)
        if response.sw3 != sam.SamStatus.OK:
            raise self._fault(sam.READ_TEXT_AND_PHOTO, response)
        try:
            return decode_text_block(sam.card_text(response.data))
        except IdReaderFrameError as e:
            raise IdReaderFrameError(f"ID card reader {self.url}: {e}", url=self.url, reason=e.reason) from None
        except CardDataInvalid as e:
            raise CardDataInvalid(f"ID card reader {self.url}: {e}", url=self.url) from None

    # What the kiosk calls.

    def read_card(self) -> IdCardRecord:
        """Find, select and read the card on the reader, trying up to ``attempts`` times.

        A reply spoilt on the line is asked for again (the card stays selected); a read that
        failed because the card moved starts over from finding it. Raises NoCard when no card
        lies there, CardReadFailed when it was lifted before the read ended (place it again),
        and the last error when every attempt failed.
        """
        with self._lock:
            return self._read_card()

    def _read_card(self) -> IdCardRecord:
        selected = seen = False
        for attempt in range(1, self.attempts + 1):
            try:
                if not selected:
                    if not self.find_card():
                        break
                    seen = True
                    self.select_card()
                    selected = True
                return self.read_text()
            except IdReaderError as e:
                if attempt == self.attempts or not _retriable(e):
                    raise
                if isinstance(e, CardReadFailed):
                    selected = False
                logger.warning("%s; trying again (%d of %d)", e, attempt + 1, self.attempts)
        if not seen:
            raise NoCard(f"no card on the ID card reader {self.url}", url=self.url)
        raise CardReadFailed(f"ID card reader {self.url}: the card was taken away before it was read; "
                             "place it on the reader again", url=self.url)

    def poll(self) -> IdCardRecord | None:
        """The card just placed on the reader, or None: what the home screen asks every moment.

        A card stays "found" only once: after its read the SAM halts it until it is lifted.
        """
        try:
            return self.read_card()
        except NoCard:
            return None

    # One exchange.

    def _exchange(self, command: bytes) -> sam.Response:
        request = sam.encode_request(command)
        with self._lock:
            port = self._open()
            framer = self._framer
            framer.reset()
            try:
                port.reset_input_buffer()
                self.wire.sent(request)
                port.write(request)
                deadline = time.monotonic() + self.timeout
                while not framer.events:
                    if time.monotonic() >= deadline:
                        raise self._timeout(command)
                    chunk = port.read(port.in_waiting or 1)
                    if chunk:
                        framer.data_received(chunk)
            except PORT_ERRORS as e:  # a vanished USB-serial device, a closed pty
                self._drop_port()
                logger.error("ID card reader %s: %s failed: %s; recent wire traffic:\n  %s", self.url,
                             COMMAND_NAMES[command], cause(e), "\n  ".join(self.wire.recent()))
                raise IdReaderUnavailable(
                    f"ID card reader {self.url} stopped answering ({cause(e)}): is it plugged in?",
                    url=self.url) from e
            event = framer.events.popleft()
        try:
            if isinstance(event, IdReaderFrameError):
                raise event
            self.wire.received(sam.encode_frame(event.body))
            return sam.parse_response(event)
        except IdReaderFrameError as e:
            raise IdReaderFrameError(f"ID card reader {self.url}: reply to {COMMAND_NAMES[command]}: {e}",
                                     url=self.url, reason=e.reason) from None

    def _timeout(self, command: bytes) -> IdReaderTimeout:
        name = COMMAND_NAMES[command]
        partial = self._framer.pending
        if partial:
            expected = self._framer.expected
            of = f" of {expected}" if expected else ""
            message = (f"ID card reader {self.url}: the reply to {name} stopped after {partial}{of} bytes "
                       f"({self.timeout:.1f} s)")
        else:
            message = (f"ID card reader {self.url}: no reply to {name} within {self.timeout:.1f} s; "
                       "is it connected and switched on?")
        return IdReaderTimeout(message, url=self.url, partial=partial)

    def _fault(self, command: bytes, response: sam.Response) -> IdReaderError:
        what = f"ID card reader {self.url}: {COMMAND_NAMES[command]}: {response.meaning} (SW3 0x{response.sw3:02x})"
        if response.sw3 in (sam.SamStatus.SELECT_FAILED, sam.SamStatus.READ_FAILED, sam.SamStatus.CARD_AUTH_FAILED):
            return CardReadFailed(f"{what}; keep the card still on the reader", url=self.url)
        return SamFault(what, url=self.url, status=response.sw3)


def _retriable(error: IdReaderError) -> bool:
    """Worth another try: the line or the card's position, not the reader's state."""
    if isinstance(error, (IdReaderFrameError, CardReadFailed)):
        return True
    if isinstance(error, IdReaderTimeout):
        return error.partial > 0  # a reply cut short; silence means no reader, not bad luck
    if isinstance(error, SamFault):
        return error.status in _RETRIABLE_STATUS
    return False

