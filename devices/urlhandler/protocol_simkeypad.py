"""``simkeypad://``: rating keypads on a simulated RS-485 line behind a pyserial port.

Each simulated keypad keeps to docs/rating-keypad.md as a real one should: it answers only
frames to its address with a good CRC, echoes the request's SEQ, answers a request sent
again (same SEQ and command) with the same reply without acting twice, takes one press per
prompt (a key held down is one press; a second press within 2 s is ignored) and reports it
as a KEY event, again at every poll, until the host acknowledges that event's number.

Faults make it misbehave the ways a line and a cheap keypad do, so that the host's own
defences can be seen at work: ``garbage`` (noise before a reply), ``split`` (a reply cut in
two, its rest arriving glued before the next reply), ``silent`` (a keypad that stops
answering), ``held`` (a held key whose keypad reports a repeat at each poll while it is
down), ``double`` (a press reported twice, as by a keypad without the 2 s rule) and
``repeat`` (an acknowledgement lost, so the same event is reported again). The same
:class:`SimulatedKeypadLine` can serve a real pty
(:func:`devices.urlhandler.simulated_port.serve_fd`) for tests over a tty.

URL form::

    simkeypad://[?keypads=1,2,3][&rate=ADDR:KEY,...][&baudrate=N]
                [&fault=garbage|split|silent|held|double|repeat][&fault_address=N][&fault_times=N]

``keypads`` lists the addresses on the line (default 1); ``rate`` makes a keypad press that
key whenever it is prompted (a citizen who always answers); ``baudrate`` paces replies at
that wire speed (default: at once). A fault strikes keypad ``fault_address`` (default every
one), the next ``fault_times`` times (default every time): replies for garbage and split,
requests for silent, presses for held and double, acknowledgements for repeat.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from devices import keypad_protocol as kp
from devices.errors import KeypadFrameError
from devices.urlhandler.simulated_port import SimulatedPort

logger = logging.getLogger("devices.simkeypad")

EXPECTED_FORM = ('"simkeypad://[?keypads=1,2,3][&rate=ADDR:KEY,...][&baudrate=N]'
                 '[&fault=garbage|split|silent|held|double|repeat][&fault_address=N][&fault_times=N]"')
FAULTS = ("garbage", "split", "silent", "held", "double", "repeat")
# Line noise as a disturbed RS-485 pair gives it, a stray start byte among it.
GARBAGE = b"\x00\xff\x13\xa5\x07\xfe"
HELD_REPEATS = 3  # the repeats a held key's keypad reports before the key is let go
DOUBLE_PRESS_WINDOW = 2.0  # seconds: a second press this soon after a taken one is ignored


class SimulatedKeypad:
    """One keypad: its prompt, display, lights, keys down and the events it has to report."""

    def __init__(self, address: int, *, rate: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.address = address
        self.rate = rate  # the key pressed at each prompt, or None
        self.clock = clock
        self.state = kp.KeypadState.IDLE
        self.transaction = 0
        self.display = ""
        self.lit: frozenset[int] = frozenset()
        self.keys_down: set[int] = set()
        self.beeps = 0
        self.requests: list[kp.Request] = []  # every request acted on, in order (not the repeats)
        self.events: deque[kp.KeyEvent] = deque()  # reported at each poll until acknowledged
        self.answering = True
        self._prompt_ends: float | None = None
        self._taken_at: float | None = None  # when the last press was taken
        self._event_seq = 0
        self._held: tuple[int, int, int] | None = None  # a held key: key, transaction, repeats to report
        self._last: tuple[int, int, bytes] | None = None  # SEQ, CMD and the reply, for a request sent again

    # What a citizen does.

    def press(self, key: int, *, hold: bool = False, repeats: int = 0, twice: bool = False) -> bool:
        """Press ``key``; whether the keypad took it. ``hold`` keeps it down (until
        :meth:`release`), ``repeats`` makes a held key reported again at that many polls, and
        ``twice`` reports the press twice: the faults of a keypad that breaks our rules."""
        if key not in kp.KEYS:
            raise ValueError(f"key {key} is not one of {kp.KEYS}")
        if hold:
            self.keys_down.add(key)
        self._expire()
        now = self.clock()
        if self.state != kp.KeypadState.PROMPTING:
            logger.debug("keypad %d: key %d pressed without a prompt: ignored", self.address, key)
            return False
        if self._taken_at is not None and now - self._taken_at < DOUBLE_PRESS_WINDOW:
            logger.debug("keypad %d: key %d pressed again within 2 s: ignored", self.address, key)
            return False
        self._taken_at = now
        self._report(key, self.transaction)
        if twice:
            self._report(key, self.transaction)
        self._held = (key, self.transaction, repeats) if hold and repeats else None
        self.state = kp.KeypadState.RATED
        self.lit = frozenset((key,))
        return True

    def release(self) -> None:
        self.keys_down.clear()
        self._held = None

    @property
    def settled(self) -> bool:
        """Nothing left to report: every event acknowledged, no held key's repeats to come."""
        return not self.events and self._held is None

    def _report(self, key: int, transaction: int) -> None:
        self._event_seq = kp.next_seq(self._event_seq)
        self.events.append(kp.KeyEvent(self._event_seq, transaction, key, frozenset(self.keys_down)))

    def _expire(self) -> None:
        if self._prompt_ends is not None and self.clock() >= self._prompt_ends:
            self._go_idle()

    def _go_idle(self) -> None:
        self.state = kp.KeypadState.IDLE
        self.transaction = 0
        self.display = ""
        self.lit = frozenset()
        self._prompt_ends = None

    # What the host does.

    def answer(self, frame: kp.Frame) -> bytes:
        """The reply to a frame addressed here."""
        if self._last is not None and self._last[:2] == (frame.seq, frame.command):
            return self._last[2]  # the host did not hear the reply: the same again, nothing done twice
        try:
            request = kp.decode_request(frame)
        except KeypadFrameError as e:
            logger.info("simulated keypad %d: %s", self.address, e)
            reason = kp.RefusedReason.UNKNOWN_COMMAND if e.reason == "command" else kp.RefusedReason.BAD_DATA
            reply = kp.encode_reply(self.address, frame.seq, kp.Refused(reason))
        else:
            self.requests.append(request)
            reply = kp.encode_reply(self.address, frame.seq, self._act(request))
        self._last = (frame.seq, frame.command, reply)
        return reply

    def _act(self, request: kp.Request) -> kp.Reply:
        self._expire()
        if isinstance(request, kp.Ack):
            if self.events and self.events[0].event == request.event:
                self.events.popleft()
        elif isinstance(request, kp.Prompt):
            self.state = kp.KeypadState.PROMPTING
            self.transaction = request.transaction
            self.display = request.ticket
            self.lit = frozenset(kp.KEYS)
            self._prompt_ends = self.clock() + request.timeout if request.timeout else None
            self.beeps += 1
            if self.rate is not None:
                self.press(self.rate)
        elif isinstance(request, kp.Light):
            self.lit = request.keys
        elif isinstance(request, kp.Beep):
            self.beeps += request.count
        elif isinstance(request, kp.Show):
            self.display = request.text
        elif isinstance(request, kp.Idle):
            self._go_idle()
        elif isinstance(request, kp.Poll) and self._held is not None and not self.events:
            key, transaction, repeats = self._held  # the held key's keypad repeats it as a new press
            self._report(key, transaction)
            self._held = (key, transaction, repeats - 1) if repeats > 1 else None
            if self._held is None:
                self.release()
        if self.events:
            return self.events[0]
        return kp.Status(self.state, self.transaction, frozenset(self.keys_down))


class SimulatedKeypadLine:
    """The keypads on one line, by address, and the faults; tests act on it while a port is
    open (``press``, ``silence``, ``resume``). Thread-safe: the host's bytes arrive on the
    port's thread, a test presses keys on its own."""

    def __init__(self, addresses: Iterable[int] = (1,), *, rate: dict[int, int] | None = None,
                 fault: str | None = None, fault_address: int | None = None, fault_times: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {'|'.join(FAULTS)}, not {fault!r}")
        rate = rate or {}
        self.keypads = {a: SimulatedKeypad(a, rate=rate.get(a), clock=clock) for a in addresses}
        if not self.keypads:
            raise ValueError("a line needs at least one keypad")
        for address in [*rate, *([fault_address] if fault_address is not None else [])]:
            if address not in self.keypads:
                raise ValueError(f"no keypad at address {address} on this line")
        self.fault = fault
        self.fault_address = fault_address
        self.faults_left = fault_times  # None: every time
        self.struck = 0  # faults that struck
        self._framer = kp.KeypadFramer()
        self._rest = b""  # the second half of a split reply, sent before the next one
        self._lost_ack: kp.KeyEvent | None = None  # the event whose acknowledgement a repeat fault lost
        self._lock = threading.RLock()

    def __getitem__(self, address: int) -> SimulatedKeypad:
        return self.keypads[address]

    def _strikes(self, fault: str, address: int) -> bool:
        """Whether ``fault`` strikes keypad ``address`` now (and counts it if so)."""
        if self.fault != fault or self.faults_left == 0 or self.fault_address not in (None, address):
            return False
        if self.faults_left is not None:
            self.faults_left -= 1
        self.struck += 1
        return True

    def press(self, address: int, key: int) -> bool:
        """A citizen presses ``key`` on keypad ``address`` (held or twice, as the fault says)."""
        with self._lock:
            keypad = self.keypads[address]
            if self._strikes("held", address):
                return keypad.press(key, hold=True, repeats=HELD_REPEATS)
            return keypad.press(key, twice=self._strikes("double", address))

    def silence(self, address: int) -> None:
        with self._lock:
            self.keypads[address].answering = False

    def resume(self, address: int) -> None:
        with self._lock:
            self.keypads[address].answering = True

    def receive(self, data: bytes) -> bytes:
        """Take the host's bytes; return what the addressed keypads answer."""
        with self._lock:
            self._framer.data_received(data)
            out = bytearray()
            while self._framer.events:
                event = self._framer.events.popleft()
                if isinstance(event, KeypadFrameError):
                    logger.info("simulated keypad line: %s; no keypad answers", event)
                    continue
                out += self._answer(event)
            return bytes(out)

    def _answer(self, frame: kp.Frame) -> bytes:
        keypad = self.keypads.get(frame.address)
        if keypad is None or frame.command & 0x80:  # nobody there, or another keypad's reply
            return b""
        if not keypad.answering or self._strikes("silent", frame.address):
            return b""
        if (frame.command == kp.ACK and keypad.events and keypad.events[0] is not self._lost_ack
                and self._strikes("repeat", frame.address)):
            self._lost_ack = keypad.events[0]  # lost on the line: the keypad reports the event again
            return b""
        reply = keypad.answer(frame)
        rest, self._rest = self._rest, b""
        reports = reply[3] == kp.KEY  # garbage and split strike the replies that carry a press
        if reports and self._strikes("garbage", frame.address):
            reply = GARBAGE + reply
        if reports and self._strikes("split", frame.address):
            cut = len(reply) // 2
            reply, self._rest = reply[:cut], reply[cut:]
        return rest + reply


class Serial(SimulatedPort):
    """The port surface of the simulated line."""

    @property
    def line(self) -> SimulatedKeypadLine:
        device = self._device()
        assert isinstance(device, SimulatedKeypadLine)
        return device

    def from_url(self, url: str) -> SimulatedKeypadLine:
        """Build the simulated line the URL describes, refusing what it does not know."""
        return self.device_from_url(url, "simkeypad", EXPECTED_FORM, _read_option, SimulatedKeypadLine)


def _read_option(option: str, value: str, options: dict[str, object]) -> None:
    if option == "keypads":
        options["addresses"] = [_address(a) for a in value.split(",")]
    elif option == "rate":
        options["rate"] = dict(_rate(pair) for pair in value.split(","))
    elif option == "fault":
        options["fault"] = value
    elif option == "fault_address":
        options["fault_address"] = _address(value)
    else:
        raise ValueError(f"unknown option: {option!r}")


def _address(text: str) -> int:
    address = int(text)
    if not kp.MIN_ADDRESS <= address <= kp.MAX_ADDRESS:
        raise ValueError(f"address {address} is outside {kp.MIN_ADDRESS}..{kp.MAX_ADDRESS}")
    return address


def _rate(pair: str) -> tuple[int, int]:
    address, _, key = pair.partition(":")
    if int(key) not in kp.KEYS:
        raise ValueError(f"rate {pair!r}: the key is one of {kp.KEYS[0]}..{kp.KEYS[-1]}")
    return _address(address), int(key)
