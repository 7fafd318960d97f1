"""The SAM frame protocol of resident ID card readers, as bytes in and out (no I/O here).

Readers of the second-generation resident ID card (二代证) expose a SAM module over serial,
usually 115200 8N1. The interface standard is GA/T 467 (GA 467-2013 before 2019); what
follows is the frame protocol as public driver code uses it, summarised in
docs/id-card-reader.md ("the reference" below, section by section).

Frames (reference, "Frames")::

    request   AA AA AA 96 69 | LEN_HI LEN_LO | CMD PARA    | DATA... | CHK
    response  AA AA AA 96 69 | LEN_HI LEN_LO | SW1 SW2 SW3 | DATA... | CHK

LEN (big-endian) counts every byte after itself, CHK included; CHK is the XOR of every byte
after the preamble up to itself. The host and the simulator both build and check frames
here, and both cut their byte streams with :class:`SamFramer`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce

from devices.errors import IdReaderFrameError
from devices.framing import PreambleFramer

# Reference, "Frames": the five bytes every frame starts with.
PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
LENGTH_SIZE = 2
HEADER_SIZE = len(PREAMBLE) + LENGTH_SIZE
# The shortest body is a request's CMD PARA; with CHK, LEN is at least 3.
MIN_LENGTH = 3
# The longest reply in the reference (text, photo and fingerprint) is under 2,400 bytes; a
# larger LEN is line noise, and waiting for its bytes would stall the reader until timeout.
MAX_LENGTH = 4096

# Reference, "Commands": CMD PARA of each request (a request carries no data).
SAM_STATUS = b"\x11\xff"  # 00 03 11 FF ED
FIND_CARD = b"\x20\x01"  # 00 03 20 01 22
SELECT_CARD = b"\x20\x02"  # 00 03 20 02 21
READ_TEXT_AND_PHOTO = b"\x30\x01"  # 00 03 30 01 32


class SamStatus(enum.IntEnum):
    """SW3, the status byte of every response (reference, "Status byte SW3")."""

    OK = 0x90
    CARD_FOUND = 0x9F  # the answer to FIND_CARD when a card lies on the reader
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81
    READ_FAILED = 0x41
    CHECKSUM_ERROR = 0x10  # the SAM received our request with a bad CHK
    LENGTH_ERROR = 0x11
    BAD_COMMAND = 0x21
    CARD_AUTH_FAILED = 0x31
    SAM_AUTH_FAILED = 0x32
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    ITEM_EMPTY = 0x91

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    SamStatus.OK: "ok",
    SamStatus.CARD_FOUND: "card found",
    SamStatus.FIND_FAILED: "no card found",
    SamStatus.SELECT_FAILED: "card select failed",
    SamStatus.READ_FAILED: "card read failed",
    SamStatus.CHECKSUM_ERROR: "the SAM received a frame with a bad checksum",
    SamStatus.LENGTH_ERROR: "the SAM received a frame with a bad length",
    SamStatus.BAD_COMMAND: "the SAM does not know the command",
    SamStatus.CARD_AUTH_FAILED: "card authentication failed",
    SamStatus.SAM_AUTH_FAILED: "SAM authentication failed",
    SamStatus.SAM_SELF_TEST_FAILED: "SAM self-test failed",
    SamStatus.SAM_NOT_AUTHORISED: "SAM not authorised",
    SamStatus.ITEM_EMPTY: "item empty",
}


def status_meaning(sw3: int) -> str:
    """Words for any SW3 byte, known or not, for messages and logs."""
    try:
        return SamStatus(sw3).meaning
    except ValueError:
        return f"unknown status 0x{sw3:02x}"


def checksum(data: bytes) -> int:
    """XOR of the bytes: over LEN and the body it gives a frame's CHK."""
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_frame(body: bytes) -> bytes:
    """A whole frame around ``body`` (CMD PARA DATA, or SW1 SW2 SW3 DATA)."""
    length = len(body) + 1
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"a frame body of {len(body)} bytes does not fit LEN {MIN_LENGTH}..{MAX_LENGTH}")
    head = length.to_bytes(LENGTH_SIZE, "big")
    return PREAMBLE + head + body + bytes((checksum(head + body),))


def encode_request(command: bytes, data: bytes = b"") -> bytes:
    return encode_frame(command + data)


def encode_response(status: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    return encode_frame(bytes((sw1, sw2, status)) + data)


@dataclass(frozen=True)
class Frame:
    """A frame that passed its length and checksum: the bytes between LEN and CHK."""

    body: bytes


@dataclass(frozen=True)
class Request:
    command: bytes  # CMD PARA
    data: bytes


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def meaning(self) -> str:
        return status_meaning(self.sw3)


def parse_request(frame: Frame) -> Request:
    if len(frame.body) < 2:
        raise IdReaderFrameError(f"a request needs CMD and PARA, got {frame.body.hex(' ') or 'nothing'}")
    return Request(frame.body[:2], frame.body[2:])


def parse_response(frame: Frame) -> Response:
    if len(frame.body) < 3:
        raise IdReaderFrameError(f"a response needs SW1 SW2 SW3, got {frame.body.hex(' ') or 'nothing'}")
    return Response(frame.body[0], frame.body[1], frame.body[2], frame.body[3:])


class SamFramer(PreambleFramer):
    """Cuts a byte stream into SAM frames (devices.framing): a frame's size comes from LEN,
    its validity from CHK; refused frames are :class:`IdReaderFrameError` with the reason
    ``"length"`` or ``"checksum"``."""

    PREAMBLE = PREAMBLE
    HEADER_SIZE = HEADER_SIZE
    ERROR = IdReaderFrameError

    def frame_size(self, header: bytes) -> int:
        length = int.from_bytes(header[len(PREAMBLE) : HEADER_SIZE], "big")
        if not MIN_LENGTH <= length <= MAX_LENGTH:
            raise IdReaderFrameError(f"frame length {length} is outside {MIN_LENGTH}..{MAX_LENGTH}", reason="length")
        return HEADER_SIZE + length

    def parse(self, raw: bytes) -> Frame:
        expected, got = checksum(raw[len(PREAMBLE) : -1]), raw[-1]
        if expected != got:
            raise IdReaderFrameError(f"bad checksum in a {len(raw)}-byte frame: got 0x{got:02x}, "
                                     f"expected 0x{expected:02x}", reason="checksum")
        return Frame(raw[HEADER_SIZE:-1])


# Reference, "Read response": the data of a text-and-photo reply starts with the two lengths.
CARD_DATA_LENGTHS_SIZE = 4


def encode_card_data(text: bytes, photo: bytes) -> bytes:
    """The data of a READ_TEXT_AND_PHOTO reply: text length, photo length (big-endian), text, photo."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def card_text(data: bytes) -> bytes:
    """The text block of a READ_TEXT_AND_PHOTO reply's data; the photo is skipped, never kept."""
    if len(data) < CARD_DATA_LENGTHS_SIZE:
        raise IdReaderFrameError(f"a card read reply needs its two lengths, got {len(data)} bytes")
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if len(data) != CARD_DATA_LENGTHS_SIZE + text_length + photo_length:
        raise IdReaderFrameError(
            f"a card read reply announces {text_length} text and {photo_length} photo bytes "
            f"but carries {len(data) - CARD_DATA_LENGTHS_SIZE}")
    return data[CARD_DATA_LENGTHS_SIZE : CARD_DATA_LENGTHS_SIZE + text_length]
