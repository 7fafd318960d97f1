"""The booking code's format (docs/booking-qr.md): made by the hall's booking service, shown on
a citizen's phone or on paper, scanned at a kiosk and checked in by the hall.

    HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930.AAAQEAYEAUDAOCAJBIFQYDIOB4

The hall's, because the hall holds the booking key and decides what a code is worth; a kiosk
parses codes with the same functions to tell a booking from another code before it asks.
Pure text and bytes: no database, no signing here (the signature is HMAC-SHA256 with the
hall's key for the purpose BOOKING_PURPOSE, see hall.signing), so a kiosk loads it cheaply.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, time

from hall.errors import HallError

BOOKING_PURPOSE = "booking"  # the signing purpose: its key alone is handed to a booking service
BOOKING_PREFIX = "HKB1"  # hall-kiosk booking, format version 1
SEPARATOR = "."
SIGNATURE_BYTES = 16  # HMAC-SHA256 cut to 128 bits
SIGNATURE_CHARACTERS = 26  # base32 of 16 bytes, without padding
MAX_CODE = 512  # longer than any code we make: refused before any parsing

_HALL = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,63}")  # hall.spec's hall id, upper-cased
_BOOKING = re.compile(r"[A-Z0-9]{1,20}")
_SERVICE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")  # hall.spec's service code, upper-cased
_DAY = re.compile(r"[0-9]{8}")
_WINDOW = re.compile(r"([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})")
_BASE32 = re.compile(r"[A-Z2-7]{%d}" % SIGNATURE_CHARACTERS)
# A whole code in the forms above, in any case and with blanks around it, as JSON Schema
# writes it (no flags) for the API's document; a day or time window that does not exist
# still fits it, and parse_booking_code refuses them.
BOOKING_CODE_FORM = (r"^\s*[Hh][Kk][Bb]1\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.[A-Za-z0-9]{1,20}\.[A-Za-z][A-Za-z0-9_]{1,31}"
                     r"\.[0-9]{8}\.[0-9]{4}-[0-9]{4}\.[A-Za-z2-7]{%d}\s*$" % SIGNATURE_CHARACTERS)


class BadBookingCode(HallError, ValueError):
    """Not a whole, well-formed booking code; the message says what is wrong (for logs: it
    quotes at most 40 characters of the code)."""


@dataclass(frozen=True)
class BookingCode:
    hall_id: str  # as hall.toml spells it (lower case)
    booking_id: str
    service: str  # the service code, as hall.toml spells it
    day: date
    window_start: time
    window_end: time
    signed_part: str  # the canonical text the signature covers, for the hall to verify
    signature: bytes

    @property
    def text(self) -> str:
        """The code in its canonical spelling."""
        return format_booking_code(self.signed_part, self.signature)


def is_booking_code(text: str) -> bool:
    """Whether the text starts as a booking code does (it may still be malformed)."""
    return text.strip().upper().startswith(BOOKING_PREFIX + SEPARATOR)


def excerpt(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def booking_signed_part(*, hall_id: str, booking_id: str, service: str, day: date,
                        window_start: time, window_end: time) -> str:
    """The canonical text a booking's signature covers (everything before the signature)."""
    return SEPARATOR.join((BOOKING_PREFIX, hall_id.upper(), booking_id.upper(), service.upper(),
                           f"{day:%Y%m%d}", f"{window_start:%H%M}-{window_end:%H%M}"))


def format_booking_code(signed_part: str, signature: bytes) -> str:
    """The whole code: the signed part, a separator and the signature in base32."""
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError(f"a booking signature has {SIGNATURE_BYTES} bytes")
    return signed_part + SEPARATOR + base64.b32encode(signature).decode("ascii").rstrip("=")


def make_booking_code(key: bytes, *, hall_id: str, booking_id: str, service: str, day: date,
                      window_start: time, window_end: time) -> str:
    """A signed code, as the booking service makes it with the booking key the hall handed it
    (`python -m hall booking-key`; hall.signing.Signer.key_for(BOOKING_PURPOSE))."""
    signed = booking_signed_part(hall_id=hall_id, booking_id=booking_id, service=service, day=day,
                                 window_start=window_start, window_end=window_end)
    code = format_booking_code(signed, hmac.new(key, signed.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES])
    parse_booking_code(code)  # the parts are in their forms, or say which is not
    return code


def parse_booking_code(text: str) -> BookingCode:
    """The booking a code holds; BadBookingCode says what is wrong.

    Case does not matter (a keyboard-wedge scanner with Caps Lock on swaps it): the signed
    part is returned in its canonical upper case, which is what the hall signs.
    """
    code = text.strip()
    if len(code) > MAX_CODE:
        raise BadBookingCode(f"the code holds {len(code)} characters, more than any booking code")
    if not is_booking_code(code):
        raise BadBookingCode(f"not a booking code: {excerpt(text)}")
    if not code.isascii() or not code.isprintable():
        raise BadBookingCode(f"a booking code is plain ASCII: {excerpt(text)}")
    code = code.upper()
    parts = code.split(SEPARATOR)
    if len(parts) != 7:
        raise BadBookingCode(f"a booking code has 7 parts separated by '.', this one {len(parts)}: {excerpt(text)}")
    _, hall, booking, service, day_text, window, signature_text = parts
    for name, value, form in (("hall", hall, _HALL), ("booking", booking, _BOOKING), ("service", service, _SERVICE)):
        if not form.fullmatch(value):
            raise BadBookingCode(f"booking code: the {name} part {excerpt(value)} is not in its form")
    try:
        if not _DAY.fullmatch(day_text):
            raise ValueError
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        raise BadBookingCode(f"booking code: the day {excerpt(day_text)} is not a date YYYYMMDD") from None
    match = _WINDOW.fullmatch(window)
    try:
        if not match:
            raise ValueError
        start = time(int(match[1]), int(match[2]))
        end = time(int(match[3]), int(match[4]))
    except ValueError:
        raise BadBookingCode(f"booking code: the time window {excerpt(window)} is not HHMM-HHMM") from None
    if end <= start:
        raise BadBookingCode(f"booking code: the time window {window} ends before it starts")
    if not _BASE32.fullmatch(signature_text):
        raise BadBookingCode(f"booking code: the signature is not {SIGNATURE_CHARACTERS} base32 characters")
    try:
        signature = base64.b32decode(signature_text + "=" * 6)
    except binascii.Error:
        raise BadBookingCode("booking code: the signature is not base32") from None
    return BookingCode(hall_id=hall.lower(), booking_id=booking, service=service.lower(), day=day,
                       window_start=start, window_end=end,
                       signed_part=code.rpartition(SEPARATOR)[0], signature=signature)
