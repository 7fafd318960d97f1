"""The rating keypad's frames, as bytes in and out (no I/O here).

Five-key rating keypads (评价器) share one RS-485 line per hall, each at its own address.
No public protocol exists for them, so this one is ours; docs/rating-keypad.md is the
protocol of record ("the protocol" below, section by section). The host is the master: it
addresses one keypad at a time and only that keypad answers.

Frames (the protocol, "Frames")::

    A5 | ADDR | SEQ | CMD | LEN | DATA (LEN bytes) | CRC_LO CRC_HI

CRC is CRC-16/MODBUS over every byte before it, low byte first. SEQ is the host's sequence
number for the request, echoed in the reply; a request sent again keeps its SEQ and the
keypad answers it again without acting twice. The host, the simulator and the tests all
build and check frames here, and cut byte streams with :class:`KeypadFramer`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from devices.errors import KeypadFrameError
from devices.framing import PreambleFramer

# The protocol, "Frames".
SOF = b"\xa5"
HEADER_SIZE = 5  # SOF ADDR SEQ CMD LEN
CRC_SIZE = 2
MAX_DATA = 32
MIN_ADDRESS, MAX_ADDRESS = 1, 247  # 0 and 248..255 are no keypad's
# Sequence numbers run 1..255 and wrap to 1: 0 is "none yet", what a keypad holds at power-on.
MAX_SEQ = 255
DEFAULT_BAUDRATE = 9600  # 8N1

# The protocol, "Host commands" (host to keypad).
POLL = 0x01
ACK = 0x02
PROMPT = 0x10
LIGHT = 0x11
BEEP = 0x12
SHOW = 0x13
IDLE = 0x14
# The protocol, "Keypad replies" (keypad to host): the high bit set.
STATUS = 0x80
KEY = 0x81
REFUSED = 0x8F

# The protocol, "Keys and levels": key 1 (leftmost, 非常满意) is level 5 ... key 5 (非常不满意) level 1.
KEYS = (1, 2, 3, 4, 5)
KEY_LEVELS = {key: 6 - key for key in KEYS}
# The protocol, "Display": what a keypad's 8-character LED display shows.
DISPLAY_SIZE = 8
DISPLAY_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -")
MAX_TRANSACTION = 0xFFFF  # 0 is "no transaction"
MAX_BEEPS = 9


class KeypadState(enum.IntEnum):
    """STATE in a STATUS reply (the protocol, "STATUS")."""

    IDLE = 0
    PROMPTING = 1
    RATED = 2  # a key was taken for the prompt; keys dark until the next prompt


class RefusedReason(enum.IntEnum):
    """REASON in a REFUSED reply (the protocol, "REFUSED")."""

    UNKNOWN_COMMAND = 1
    BAD_DATA = 2


_CRC_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _CRC_TABLE.append(_crc)


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0x8005 reflected, init 0xFFFF): ``b"123456789"`` gives 0x4B37."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def next_seq(seq: int) -> int:
    """The sequence number after ``seq``: 1..255, wrapping past 0."""
    return seq % MAX_SEQ + 1


@dataclass(frozen=True)
class Frame:
    """A frame that passed its length and CRC."""

    address: int
    seq: int
    command: int
    data: bytes = b""


def encode_frame(frame: Frame) -> bytes:
    if not MIN_ADDRESS <= frame.address <= MAX_ADDRESS:
        raise ValueError(f"keypad address {frame.address} is outside {MIN_ADDRESS}..{MAX_ADDRESS}")
    if not 1 <= frame.seq <= MAX_SEQ:
        raise ValueError(f"sequence number {frame.seq} is outside 1..{MAX_SEQ}")
    if len(frame.data) > MAX_DATA:
        raise ValueError(f"{len(frame.data)} data bytes do not fit LEN 0..{MAX_DATA}")
    head = SOF + bytes((frame.address, frame.seq, frame.command, len(frame.data))) + frame.data
    return head + crc16_modbus(head).to_bytes(CRC_SIZE, "little")


class KeypadFramer(PreambleFramer):
    """Cuts a byte stream into keypad frames (devices.framing); refused frames are
    :class:`KeypadFrameError` with the reason ``"length"`` or ``"crc"``."""

    PREAMBLE = SOF
    HEADER_SIZE = HEADER_SIZE
    ERROR = KeypadFrameError

    def frame_size(self, header: bytes) -> int:
        length = header[4]
        if length > MAX_DATA:
            raise KeypadFrameError(f"frame length {length} is over {MAX_DATA}", reason="length")
        return HEADER_SIZE + length + CRC_SIZE

    def parse(self, raw: bytes) -> Frame:
        expected, got = crc16_modbus(raw[:-CRC_SIZE]), int.from_bytes(raw[-CRC_SIZE:], "little")
        if expected != got:
            raise KeypadFrameError(f"bad CRC in a {len(raw)}-byte frame: got 0x{got:04x}, expected 0x{expected:04x}",
                                   reason="crc")
        return Frame(raw[1], raw[2], raw[3], raw[HEADER_SIZE:-CRC_SIZE])


# Requests (the protocol, "Host commands"): each knows its command byte and its data.

@dataclass(frozen=True)
class Poll:
    command = POLL

    def data(self) -> bytes:
        return b""


@dataclass(frozen=True)
class Ack:
    event: int  # the EVT_SEQ of the key event acknowledged
    command = ACK

    def data(self) -> bytes:
        return bytes((self.event,))


@dataclass(frozen=True)
class Prompt:
    transaction: int
    ticket: str  # what the display shows, such as "A001"
    timeout: int  # seconds the keys stay lit; 0: until IDLE
    command = PROMPT

    def data(self) -> bytes:
        return self.transaction.to_bytes(2, "big") + bytes((self.timeout,)) + self.ticket.encode("ascii")


@dataclass(frozen=True)
class Light:
    keys: frozenset[int]
    command = LIGHT

    def data(self) -> bytes:
        return bytes((key_mask(self.keys),))


@dataclass(frozen=True)
class Beep:
    count: int = 1
    length_ms: int = 100
    command = BEEP

    def data(self) -> bytes:
        return bytes((self.count, self.length_ms // 10))


@dataclass(frozen=True)
class Show:
    text: str
    command = SHOW

    def data(self) -> bytes:
        return self.text.encode("ascii")


@dataclass(frozen=True)
class Idle:
    command = IDLE

    def data(self) -> bytes:
        return b""


Request = Poll | Ack | Prompt | Light | Beep | Show | Idle


# Replies (the protocol, "Keypad replies").

@dataclass(frozen=True)
class Status:
    state: KeypadState
    transaction: int  # the prompt's, or 0
    keys_down: frozenset[int]  # the keys held down as the keypad answers
    command = STATUS

    def data(self) -> bytes:
        return bytes((self.state,)) + self.transaction.to_bytes(2, "big") + bytes((key_mask(self.keys_down),))


@dataclass(frozen=True)
class KeyEvent:
    event: int  # EVT_SEQ, 1..255: the same number each time the keypad reports this press again
    transaction: int  # the prompt the press answers
    key: int
    keys_down: frozenset[int]
    command = KEY

    @property
    def level(self) -> int:
        return KEY_LEVELS[self.key]

    def data(self) -> bytes:
        return (bytes((self.event,)) + self.transaction.to_bytes(2, "big")
                + bytes((self.key, key_mask(self.keys_down))))


@dataclass(frozen=True)
class Refused:
    reason: int
    command = REFUSED

    def data(self) -> bytes:
        return bytes((self.reason,))


Reply = Status | KeyEvent | Refused


def key_mask(keys: Iterable[int]) -> int:
    """Bit ``key - 1`` set for each key."""
    mask = 0
    for key in keys:
        if key not in KEYS:
            raise ValueError(f"key {key} is not one of {KEYS[0]}..{KEYS[-1]}")
        mask |= 1 << (key - 1)
    return mask


def mask_keys(mask: int) -> frozenset[int]:
    return frozenset(key for key in KEYS if mask & (1 << (key - 1)))


def check_display(text: str) -> str:
    """Display text as the keypad shows it: up to 8 of 0-9, A-Z, space and minus."""
    if len(text) > DISPLAY_SIZE or not set(text) <= DISPLAY_CHARACTERS:
        raise ValueError(f"{text!r} does not fit the keypad's display: up to {DISPLAY_SIZE} of 0-9, A-Z, space, -")
    return text


def display_text(text: str) -> str:
    """What the display can show of ``text`` (a ticket number): upper case, its displayable
    characters, the first 8."""
    return "".join(c for c in text.upper() if c in DISPLAY_CHARACTERS)[:DISPLAY_SIZE]


def check_request(request: Request) -> Request:
    """Raises ValueError for values the frame cannot carry."""
    if isinstance(request, Ack) and not 1 <= request.event <= MAX_SEQ:
        raise ValueError(f"event number {request.event} is outside 1..{MAX_SEQ}")
    if isinstance(request, Prompt):
        if not 1 <= request.transaction <= MAX_TRANSACTION:
            raise ValueError(f"transaction {request.transaction} is outside 1..{MAX_TRANSACTION}")
        if not 0 <= request.timeout <= 255:
            raise ValueError(f"a prompt's timeout is 0..255 s, not {request.timeout}")
        check_display(request.ticket)
    if isinstance(request, Light):
        key_mask(request.keys)
    if isinstance(request, Beep) and not (1 <= request.count <= MAX_BEEPS and 10 <= request.length_ms <= 2550):
        raise ValueError(f"a beep is 1..{MAX_BEEPS} times 10..2550 ms, not {request.count} x {request.length_ms} ms")
    if isinstance(request, Show):
        check_display(request.text)
    return request


def encode_request(address: int, seq: int, request: Request) -> bytes:
    return encode_frame(Frame(address, seq, request.command, check_request(request).data()))


def encode_reply(address: int, seq: int, reply: Reply) -> bytes:
    return encode_frame(Frame(address, seq, reply.command, reply.data()))


def _sized(frame: Frame, size: int | range, what: str) -> bytes:
    sizes = range(size, size + 1) if isinstance(size, int) else size
    if len(frame.data) not in sizes:
        raise KeypadFrameError(f"{what} from address {frame.address} has {len(frame.data)} data bytes, "
                               f"expected {sizes.start}" + (f"..{sizes.stop - 1}" if len(sizes) > 1 else ""))
    return frame.data


def decode_request(frame: Frame) -> Request:
    """The request a frame carries; KeypadFrameError for an unknown command or bad data."""
    data = frame.data
    try:
        if frame.command == POLL:
            _sized(frame, 0, "POLL")
            return Poll()
        if frame.command == ACK:
            return check_request(Ack(_sized(frame, 1, "ACK")[0]))
        if frame.command == PROMPT:
            _sized(frame, range(3, 4 + DISPLAY_SIZE), "PROMPT")
            return check_request(Prompt(int.from_bytes(data[:2], "big"), data[3:].decode("ascii"), data[2]))
        if frame.command == LIGHT:
            return Light(mask_keys(_sized(frame, 1, "LIGHT")[0]))
        if frame.command == BEEP:
            count, tens = _sized(frame, 2, "BEEP")
            return check_request(Beep(count, tens * 10))
        if frame.command == SHOW:
            return check_request(Show(_sized(frame, range(0, 1 + DISPLAY_SIZE), "SHOW").decode("ascii")))
        if frame.command == IDLE:
            _sized(frame, 0, "IDLE")
            return Idle()
    except (ValueError, UnicodeDecodeError) as e:  # UnicodeDecodeError is a ValueError; named for the reader
        raise KeypadFrameError(f"command 0x{frame.command:02x} to address {frame.address}: {e}") from None
    raise KeypadFrameError(f"unknown command 0x{frame.command:02x} to address {frame.address}", reason="command")


def decode_reply(frame: Frame) -> Reply:
    """The reply a frame carries; KeypadFrameError for an unknown reply or bad data."""
    data = frame.data
    if frame.command == STATUS:
        _sized(frame, 4, "STATUS")
        try:
            state = KeypadState(data[0])
        except ValueError:
            raise KeypadFrameError(f"STATUS from address {frame.address}: unknown state {data[0]}") from None
        return Status(state, int.from_bytes(data[1:3], "big"), mask_keys(data[3]))
    if frame.command == KEY:
        _sized(frame, 5, "KEY")
        if data[3] not in KEYS or data[0] == 0:
            raise KeypadFrameError(f"KEY from address {frame.address}: key {data[3]}, event {data[0]}")
        return KeyEvent(data[0], int.from_bytes(data[1:3], "big"), data[3], mask_keys(data[4]))
    if frame.command == REFUSED:
        return Refused(_sized(frame, 1, "REFUSED")[0])
    raise KeypadFrameError(f"unknown reply 0x{frame.command:02x} from address {frame.address}")
