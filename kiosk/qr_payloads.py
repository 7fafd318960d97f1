"""What a scanned code says: a booking to check in, or a ticket of this hall. Parsing only.

Two kinds of code reach a kiosk's scanner or camera (docs/booking-qr.md):

- a **booking code**, ``HKB1.HALL.BOOKING.SERVICE.YYYYMMDD.HHMM-HHMM.SIGNATURE``, made by the
  hall's booking service and signed with the hall's key;
- a **ticket link**, the hall server's ticket page ``https://HOST[/PREFIX]/t/TOKEN`` that a
  ticket's QR code holds, the token signed by the hall.

Checking a signature is the hall's business (it holds the key): the parsers return the signed
part and the signature apart, so the hall verifies exactly the bytes that were signed.
Anything else, however garbled, raises one of the :class:`PayloadError` subclasses below,
whose ``key`` names the citizen's message in the translation layer.
"""
from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass
from datetime import date, time

BOOKING_PREFIX = "HKB1"  # hall-kiosk booking, format version 1
SEPARATOR = "."
SIGNATURE_BYTES = 16  # HMAC-SHA256 cut to 128 bits
SIGNATURE_CHARACTERS = 26  # base32 of 16 bytes, without padding
TICKET_PATH = "t"  # the ticket page is {hall server}[/prefix]/t/{token}
MAX_PAYLOAD = 512  # longer than any code we make: refused before any parsing

_HALL = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,63}")  # hall.spec's hall id, upper-cased
_BOOKING = re.compile(r"[A-Z0-9]{1,20}")
_SERVICE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")  # hall.spec's service code, upper-cased
_DAY = re.compile(r"[0-9]{8}")
_WINDOW = re.compile(r"([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})")
_BASE32 = re.compile(r"[A-Z2-7]{%d}" % SIGNATURE_CHARACTERS)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_TOKEN_LENGTH = (16, 256)
_WEB = re.compile(r"https?://", re.IGNORECASE)


class PayloadError(ValueError):
    """A scanned code the kiosk cannot use; the message says why, for logs."""

    key = "qr.unknown"


class UnknownCode(PayloadError):
    """Neither a booking code nor a ticket link: another QR code, or noise."""

    key = "qr.unknown"


class BadBookingCode(PayloadError):
    """Starts like a booking code but is not a whole, well-formed one."""

    key = "qr.bad_booking"


class BadTicketLink(PayloadError):
    """A web address, but not a ticket page of a hall server."""

    key = "qr.bad_ticket"


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


@dataclass(frozen=True)
class TicketLink:
    url: str  # the page, as scanned
    origin: str  # scheme://host[:port] of the hall server
    token: str  # signed by the hall; opaque to the kiosk


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _clean(text: str) -> str:
    """The payload without the whitespace scanners add; refuses what no code of ours holds."""
    text = text.strip()
    if not text:
        raise UnknownCode("the code is empty")
    if len(text) > MAX_PAYLOAD:
        raise UnknownCode(f"the code holds {len(text)} characters, more than any code of a hall")
    if not text.isprintable():
        raise UnknownCode(f"the code holds control characters: {_excerpt(text)}")
    return text


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


def parse_booking_code(text: str) -> BookingCode:
    """The booking a code holds; BadBookingCode (or UnknownCode) says what is wrong.

    Case does not matter (a keyboard-wedge scanner with Caps Lock on swaps it): the signed
    part is returned in its canonical upper case, which is what the hall signs.
    """
    code = _clean(text)
    if not code.upper().startswith(BOOKING_PREFIX + SEPARATOR):
        raise UnknownCode(f"not a booking code: {_excerpt(text)}")
    if not code.isascii():
        raise BadBookingCode(f"a booking code is plain ASCII: {_excerpt(text)}")
    code = code.upper()
    parts = code.split(SEPARATOR)
    if len(parts) != 7:
        raise BadBookingCode(f"a booking code has 7 parts separated by '.', this one {len(parts)}: {_excerpt(text)}")
    _, hall, booking, service, day_text, window, signature_text = parts
    for name, value, form in (("hall", hall, _HALL), ("booking", booking, _BOOKING), ("service", service, _SERVICE)):
        if not form.fullmatch(value):
            raise BadBookingCode(f"booking code: the {name} part {_excerpt(value)} is not in its form")
    try:
        if not _DAY.fullmatch(day_text):
            raise ValueError
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        raise BadBookingCode(f"booking code: the day {_excerpt(day_text)} is not a date YYYYMMDD") from None
    match = _WINDOW.fullmatch(window)
    try:
        if not match:
            raise ValueError
        start = time(int(match[1]), int(match[2]))
        end = time(int(match[3]), int(match[4]))
    except ValueError:
        raise BadBookingCode(f"booking code: the time window {_excerpt(window)} is not HHMM-HHMM") from None
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


def parse_ticket_link(text: str) -> TicketLink:
    """The hall server and token of a ticket page link; BadTicketLink (or UnknownCode) says why not."""
    url = _clean(text)
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadTicketLink(f"not a web address: {_excerpt(text)}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UnknownCode(f"not a ticket link: {_excerpt(text)}")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise BadTicketLink(f"a ticket link names a hall server: {_excerpt(text)}")
    if parts.query or parts.fragment:
        raise BadTicketLink(f"a ticket link carries nothing after its token: {_excerpt(text)}")
    segments = parts.path.split("/")
    if len(segments) < 3 or segments[-2] != TICKET_PATH:
        raise BadTicketLink(f"not a hall's ticket page (…/{TICKET_PATH}/TOKEN): {_excerpt(text)}")
    token = segments[-1]
    low, high = _TOKEN_LENGTH
    if not low <= len(token) <= high or not _TOKEN.fullmatch(token):
        raise BadTicketLink(f"the ticket link's token is not in its form: {_excerpt(token)}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")
    return TicketLink(url=url, origin=origin, token=token)


def parse_scanned(text: str) -> BookingCode | TicketLink:
    """Whichever of the two kinds a scanned code is; UnknownCode when it is neither."""
    cleaned = _clean(text)
    if cleaned.upper().startswith(BOOKING_PREFIX + SEPARATOR):
        return parse_booking_code(cleaned)
    if _WEB.match(cleaned):
        return parse_ticket_link(cleaned)
    raise UnknownCode(f"neither a booking code nor a ticket link: {_excerpt(text)}")
