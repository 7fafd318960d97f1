"""The rating keypads' line: one thread owns it, polls each keypad and delivers its presses.

The transport is chosen by the URL (devices.port_url), so keypads on a USB-RS485 adapter,
behind a serial-to-network bridge and the simulator share one code path::

    serial:///dev/ttyUSB0                 9600 baud unless the URL says otherwise
    tcp://10.0.0.9:4003                   a line behind a serial server
    loop://                               pyserial's loop-back, for tests (no keypad answers)
    simkeypad://?keypads=1,2&fault=...    simulated keypads (devices.urlhandler)

The host is the line's master (docs/rating-keypad.md): it sends each keypad's queued
commands, or else a poll, and waits for that keypad's reply. Whatever a line or a keypad
does wrong, a press is delivered at most once, as :class:`KeyPressed`, and only for the
prompt it answers: a frame reported again (same event number), a key held down, a second
press within 2 s or for a transaction already rated, and a press for a prompt that is not
the keypad's present one each give a log line and nothing more. A keypad that misses
``offline_after`` exchanges in a row is offline (``on_status``), asked again every
``retry_offline`` seconds, and ok again once it answers. Callbacks run on the line's thread.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import serial

from devices import keypad_protocol as kp
from devices.errors import BadDeviceUrl, KeypadFrameError, KeypadUnavailable, cause
from devices.port_url import PORT_ERRORS, close_port, end_reading, open_port, port_target
from devices.wire_log import WireLog

logger = logging.getLogger(__name__)

EXPECTED_FORMS = ("serial:///dev/ttyUSB0[?baudrate=9600&parity=N...], tcp://HOST:PORT, loop://, "
                  "simkeypad://[?keypads=1,2,3&rate=ADDR:KEY&fault=...]")
# The port's read timeout: how often the reply loop looks at its deadline.
READ_INTERVAL = 0.01
REPLY_TIMEOUT = 0.1  # s; a keypad answers within 20 ms (docs/rating-keypad.md, "Timing")
COMMAND_ATTEMPTS = 3  # a command is sent again, same SEQ, until answered; a poll or ack is not
OFFLINE_AFTER = 3  # exchanges missed in a row
RETRY_OFFLINE = 2.0  # s between polls of an offline keypad
POLL_PAUSE = 0.02  # s between rounds of polls, so an idle line is not a busy loop
DOUBLE_PRESS_WINDOW = 2.0  # s: a press this soon after a rating at the same keypad is not another
EXCHANGES_PER_VISIT = 4  # commands sent to one keypad before the others are polled again
REOPEN_AFTER = 2.0  # s between attempts to open a line that went away
COMMAND_NAMES = {kp.POLL: "poll", kp.ACK: "acknowledgement", kp.PROMPT: "prompt", kp.LIGHT: "light",
                 kp.BEEP: "beep", kp.SHOW: "show", kp.IDLE: "idle"}


class KeypadStatus(str, enum.Enum):
    """A keypad's status as the hall's device states name it (hall.device_health)."""

    OK = "ok"
    OFFLINE = "offline"


@dataclass(frozen=True)
class KeyPressed:
    """A citizen's rating on a keypad: ``level`` 5 (非常满意) .. 1 (非常不满意)."""

    address: int
    transaction: int
    level: int


@dataclass
class _Keypad:
    """The host's side of one keypad."""

    address: int
    seq: int = 0
    status: KeypadStatus | None = None  # None until it first answers or fails
    misses: int = 0
    next_try: float = 0.0  # when an offline keypad is asked again
    commands: deque[kp.Request] = field(default_factory=deque)
    prompted: int | None = None  # the transaction of the prompt the keypad shows
    reported: tuple[int, int] | None = None  # (event, transaction) of the last key event heard
    rated: tuple[int, float] | None = None  # (transaction, when) of the last press delivered
    told: int | None = None  # the rated transaction whose extra presses were logged


class KeypadLine:
    """The keypads at ``addresses`` on the line ``url``. ``start()`` opens it on its own
    thread (again every ``reopen_after`` seconds after it went away); ``close()`` stops it."""

    def __init__(self, url: str, addresses: Iterable[int], *, on_key: Callable[[KeyPressed], None],
                 on_status: Callable[[int, KeypadStatus, str], None] = lambda address, status, detail: None,
                 reply_timeout: float = REPLY_TIMEOUT, offline_after: int = OFFLINE_AFTER,
                 retry_offline: float = RETRY_OFFLINE, reopen_after: float = REOPEN_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._port_url, self._options = port_target(url, expected=EXPECTED_FORMS, default_baudrate=kp.DEFAULT_BAUDRATE,
                                                    simulator="simkeypad", device="rating keypad line")
        self.keypads = {a: _Keypad(a) for a in addresses}
        for address in self.keypads:
            if not kp.MIN_ADDRESS <= address <= kp.MAX_ADDRESS:
                raise ValueError(f"keypad address {address} is outside {kp.MIN_ADDRESS}..{kp.MAX_ADDRESS}")
        if not self.keypads:
            raise ValueError("a keypad line needs at least one keypad address")
        self.on_key = on_key
        self.on_status = on_status
        self.reply_timeout = reply_timeout
        self.offline_after = offline_after
        self.retry_offline = retry_offline
        self.reopen_after = reopen_after
        self.clock = clock
        self.port: serial.SerialBase | None = None
        self.wire = WireLog(url)
        self._framer = kp.KeypadFramer()
        self._cut_short = False  # the last exchange ended in a reply cut short
        self._transaction = 0
        self._lock = threading.Lock()  # the command queues and the transaction counter
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"keypads {url}", daemon=True)

    def __enter__(self) -> KeypadLine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<KeypadLine {self.url}>"

    # What the bridge calls, from any thread: each queues a command for the line's thread.

    def prompt(self, address: int, ticket: str, timeout: int) -> int:
        """Ask keypad ``address`` for a rating of ``ticket`` (shown on its display) for
        ``timeout`` seconds; the transaction number its press will carry."""
        with self._lock:
            self._transaction = self._transaction % kp.MAX_TRANSACTION + 1
            transaction = self._transaction
        self._queue(address, kp.Prompt(transaction, ticket, timeout))
        return transaction

    def light(self, address: int, keys: Iterable[int]) -> None:
        self._queue(address, kp.Light(frozenset(keys)))

    def beep(self, address: int, count: int = 1, length_ms: int = 100) -> None:
        self._queue(address, kp.Beep(count, length_ms))

    def show(self, address: int, text: str) -> None:
        self._queue(address, kp.Show(text))

    def idle(self, address: int) -> None:
        """End the keypad's prompt: its keys dark, its display blank."""
        self._queue(address, kp.Idle())

    def _queue(self, address: int, request: kp.Request) -> None:
        kp.check_request(request)  # a bad value fails the caller, not the line's thread
        if address not in self.keypads:
            raise ValueError(f"no keypad at address {address} on {self.url}")
        with self._lock:
            self.keypads[address].commands.append(request)

    # The line's thread.

    def start(self) -> KeypadLine:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        end_reading(self.port, self._thread)
        self._drop()

    def open(self) -> None:
        """Opens the line now, unless it is open; KeypadUnavailable when it cannot be,
        BadDeviceUrl for a simulator's options."""
        if self.port is None:
            self.port = open_port(self._port_url, url=self.url, device="rating keypad line",
                                  unavailable=KeypadUnavailable, timeout=READ_INTERVAL, write_timeout=1.0,
                                  **self._options)
            logger.info("rating keypad line %s open, keypads %s", self.url, ", ".join(str(a) for a in self.keypads))

    def _run(self) -> None:
        told = False  # the line's absence was logged
        while not self._stop.is_set():
            if self.port is None:
                try:
                    self.open()
                except BadDeviceUrl as e:  # a simulator's options, read only as it opens
                    logger.error("%s; not polling it", e)
                    return
                except KeypadUnavailable as e:
                    if not told:
                        logger.error("%s; trying again every %.0f s", e, self.reopen_after)
                        told = True
                    self._stop.wait(self.reopen_after)
                    continue
                told = False
            try:
                self._round()
            except PORT_ERRORS as e:  # a vanished USB adapter, a closed pty
                logger.error("rating keypad line %s failed: %s; recent wire traffic:\n  %s", self.url, cause(e),
                             "\n  ".join(self.wire.recent()))
                self._drop()
                for keypad in self.keypads.values():
                    self._set_status(keypad, KeypadStatus.OFFLINE, f"the line failed: {cause(e)}")
                told = True
                self._stop.wait(self.reopen_after)
                continue
            self._stop.wait(POLL_PAUSE)

    def _drop(self) -> None:
        port, self.port = self.port, None
        if port is not None:
            close_port(port, url=self.url, device="rating keypad line")

    def _round(self) -> None:
        """One visit to each keypad: its queued commands (a few), or a poll."""
        for keypad in self.keypads.values():
            if self._stop.is_set():
                return
            if keypad.status is KeypadStatus.OFFLINE and self.clock() < keypad.next_try:
                continue
            for _ in range(EXCHANGES_PER_VISIT):
                with self._lock:
                    request = keypad.commands[0] if keypad.commands else kp.Poll()
                reply = self._exchange(keypad, request)
                if not isinstance(request, kp.Poll):
                    with self._lock:
                        keypad.commands.popleft()  # answered, or given up after its attempts
                if reply is None:
                    self._missed(keypad)
                    break
                self._answered(keypad, request, reply)
                if not keypad.commands:
                    break

    def _exchange(self, keypad: _Keypad, request: kp.Request) -> kp.Reply | None:
        """Send ``request`` and wait for the keypad's reply; None if none came."""
        keypad.seq = kp.next_seq(keypad.seq)
        frame = kp.encode_request(keypad.address, keypad.seq, request)
        attempts = 1 if isinstance(request, (kp.Poll, kp.Ack)) else COMMAND_ATTEMPTS
        name = COMMAND_NAMES[request.command]
        for attempt in range(1, attempts + 1):
            port = self.port
            assert port is not None
            self._framer.reset()  # half-duplex: what came before this request is no reply to it
            skipped, problems = self._framer.skipped, []
            self.wire.sent(frame)
            port.write(frame)
            deadline = self.clock() + self.reply_timeout
            reply = None
            while reply is None and self.clock() < deadline and not self._stop.is_set():
                chunk = port.read(port.in_waiting or 1)
                if chunk:
                    self.wire.received(chunk)
                    self._framer.data_received(chunk)
                reply = self._reply_in(keypad, problems)
            noise = self._framer.skipped - skipped
            if noise or problems:
                # Right after a reply cut short, its rest arriving late is expected, and told already.
                level = logging.DEBUG if self._cut_short else logging.WARNING
                logger.log(level, "rating keypad line %s: noise around the %s of keypad %d: %d bytes skipped%s",
                           self.url, name, keypad.address, noise, "".join(f"; {p}" for p in problems))
            self._cut_short = bool(self._framer.pending) and reply is None
            if reply is not None:
                return reply
            if self._cut_short:
                expected = self._framer.expected
                logger.warning("rating keypad line %s: the reply of keypad %d to its %s was cut short after "
                               "%d%s bytes", self.url, keypad.address, name, self._framer.pending,
                               f" of {expected}" if expected else "")
            if attempt < attempts:
                logger.debug("keypad %d: no reply to %s; sending it again (%d of %d)",
                             keypad.address, name, attempt + 1, attempts)
        if not isinstance(request, (kp.Poll, kp.Ack)) and keypad.status is not KeypadStatus.OFFLINE:
            logger.warning("rating keypad line %s: keypad %d did not answer its %s %d times; dropped",
                           self.url, keypad.address, name, attempts)
        return None

    def _reply_in(self, keypad: _Keypad, problems: list[str]) -> kp.Reply | None:
        """The reply to the present request among the frames cut so far, if it came."""
        while self._framer.events:
            event = self._framer.events.popleft()
            if isinstance(event, KeypadFrameError):
                problems.append(str(event))
                continue
            if not event.command & 0x80:
                continue  # a request: our own, echoed by an adapter that hears itself
            if (event.address, event.seq) != (keypad.address, keypad.seq):
                logger.debug("keypad %d: a late reply (SEQ %d) dropped", event.address, event.seq)
                continue
            try:
                return kp.decode_reply(event)
            except KeypadFrameError as e:
                problems.append(str(e))
        return None

    def _missed(self, keypad: _Keypad) -> None:
        if self._stop.is_set():
            return  # the exchange was cut off by close(): no fault of the keypad
        keypad.misses += 1
        if keypad.misses >= self.offline_after:
            keypad.next_try = self.clock() + self.retry_offline
            self._set_status(keypad, KeypadStatus.OFFLINE,
                             f"no reply to {keypad.misses} requests in a row; is it connected, at address "
                             f"{keypad.address}?")

    def _answered(self, keypad: _Keypad, request: kp.Request, reply: kp.Reply) -> None:
        keypad.misses = 0
        self._set_status(keypad, KeypadStatus.OK, "")
        if isinstance(reply, kp.Refused):
            logger.warning("rating keypad line %s: keypad %d refused its %s (reason %d)", self.url,
                           keypad.address, COMMAND_NAMES[request.command], reply.reason)
            return
        if isinstance(request, kp.Prompt):
            keypad.prompted = request.transaction
        elif isinstance(request, kp.Idle):
            keypad.prompted = None
        if isinstance(reply, kp.KeyEvent):
            with self._lock:
                keypad.commands.appendleft(kp.Ack(reply.event))
            self._judge(keypad, reply)

    def _judge(self, keypad: _Keypad, event: kp.KeyEvent) -> None:
        """Deliver the press once, for its own prompt; log why it is not delivered otherwise."""
        where = f"rating keypad {keypad.address} on {self.url}"
        heard = (event.event, event.transaction)
        if heard == keypad.reported:
            logger.warning("%s reported key event %d again (its acknowledgement was lost): "
                           "acknowledged again, not counted again", where, event.event)
            return
        keypad.reported = heard
        now = self.clock()
        if keypad.rated is not None:
            rated_transaction, rated_at = keypad.rated
            if event.transaction == rated_transaction:
                if keypad.told != event.transaction:
                    keypad.told = event.transaction
                    if event.key in event.keys_down:
                        logger.warning("%s: key %d held down; its repeats are ignored, the first press counts",
                                       where, event.key)
                    else:
                        soon = " within 2 s" if now - rated_at < DOUBLE_PRESS_WINDOW else ""
                        logger.warning("%s: pressed again for transaction %d%s; the first press counts",
                                       where, event.transaction, soon)
                return
            if now - rated_at < DOUBLE_PRESS_WINDOW:
                logger.warning("%s: key %d pressed within 2 s of the last rating; ignored", where, event.key)
                return
        if event.transaction != keypad.prompted:
            logger.warning("%s: key %d for transaction %d, but %s; ignored", where, event.key, event.transaction,
                           f"transaction {keypad.prompted} is prompted" if keypad.prompted else "nothing is prompted")
            return
        keypad.rated = (event.transaction, now)
        keypad.prompted = None
        self._call(self.on_key, KeyPressed(keypad.address, event.transaction, event.level))

    def _set_status(self, keypad: _Keypad, status: KeypadStatus, detail: str) -> None:
        if keypad.status is status:
            return
        was, keypad.status = keypad.status, status
        if status is KeypadStatus.OFFLINE:
            logger.warning("rating keypad %d on %s is offline: %s", keypad.address, self.url, detail)
        elif was is not None:
            logger.info("rating keypad %d on %s answers again", keypad.address, self.url)
        self._call(self.on_status, keypad.address, status, detail)

    def _call(self, callback: Callable, *arguments: object) -> None:
        """A failing callback is the bridge's bug: log it, keep the line polled."""
        try:
            callback(*arguments)
        except Exception:
            logger.exception("rating keypad line %s: a handler failed", self.url)


def open_keypad_line(url: str, addresses: Iterable[int], *, on_key: Callable[[KeyPressed], None],
                     on_status: Callable[[int, KeypadStatus, str], None] = lambda address, status, detail: None,
                     **options: float) -> KeypadLine:
    """Open the line a URL names (forms in the module docstring) and start polling the
    keypads at ``addresses``. Raises BadDeviceUrl for a URL we cannot read and
    KeypadUnavailable when the line cannot be opened now; once open, it is opened again by
    itself after it went away."""
    line = KeypadLine(url, addresses, on_key=on_key, on_status=on_status, **options)
    line.open()
    return line.start()
