"""What a scanned code says: a booking to check in, a ticket of this hall, or a case (办件)
of it. Parsing only.

Four kinds of code reach a kiosk's scanner or camera (docs/booking-qr.md):

- a **booking code**, ``HKB1.HALL.BOOKING.SERVICE.YYYYMMDD.HHMM-HHMM.SIGNATURE``, made by the
  hall's booking service and signed with the hall's key (its format is the hall's:
  hall.booking_codes);
- a **ticket link**, the hall server's ticket page ``https://HOST[/PREFIX]/t/TOKEN`` that a
  ticket's QR code holds, the token signed by the hall;
- a **ticket code**, ``HALL/YYYYMMDD/NUMBER``, what a ticket from a hall without a server
  holds (after the hall's progress page address, if it has one);
- a **case link**, the hall server's page of a case's progress ``https://HOST[/PREFIX]/m/TOKEN``
  that the case's acceptance receipt (受理回执) prints as its QR code, the token signed by the hall.

Checking a signature is the hall's business (it holds the key): the parsers return the signed
part and the signature apart, so the hall verifies exactly the bytes that were signed.
Anything else, however garbled, raises one of the :class:`PayloadError` subclasses below,
whose ``key`` names the citizen's message in the translation layer.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import date

from hall.booking_codes import (BadBookingCode, BookingCode, booking_signed_part, excerpt as _excerpt,
                                format_booking_code, is_booking_code, parse_booking_code)

TICKET_PATH = "t"  # the ticket page is {hall server}[/prefix]/t/{token}
CASE_PATH = "m"    # a case's progress page is {hall server}[/prefix]/m/{token}
MAX_PAYLOAD = 512  # longer than any code we make: refused before any parsing

_TOKEN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_TOKEN_LENGTH = (16, 256)
_WEB = re.compile(r"https?://", re.IGNORECASE)
# kiosk.ticket_view.ticket_code: the hall's id, the day and the number, at the end of the text.
_TICKET_CODE = re.compile(r"(?:^|/)([a-z0-9][a-z0-9_-]{0,63})/([0-9]{8})/([A-Z][0-9]{3,7})")


class PayloadError(ValueError):
    """A scanned code the kiosk cannot use; the message says why, for logs."""

    key = "qr.unknown"


class UnknownCode(PayloadError):
    """Neither a booking code nor a ticket link: another QR code, or noise."""

    key = "qr.unknown"


class BadBookingScan(PayloadError):
    """Starts like a booking code but is not a whole, well-formed one (the hall's
    booking_codes.BadBookingCode says what is wrong)."""

    key = "qr.bad_booking"


class BadTicketLink(PayloadError):
    """A web address, but not a ticket's or a case's page of a hall server."""

    key = "qr.bad_ticket"


@dataclass(frozen=True)
class TicketLink:
    url: str  # the page, as scanned
    origin: str  # scheme://host[:port] of the hall server
    token: str  # signed by the hall; opaque to the kiosk


@dataclass(frozen=True)
class CaseLink:
    """A case's progress page, as its receipt's QR code holds it."""

    url: str
    origin: str
    token: str  # signed by the hall; opaque to the kiosk


@dataclass(frozen=True)
class TicketCode:
    """A ticket of a hall without a server: its number is its name for the day."""

    hall_id: str
    day: date
    number: str


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


def _booking(code: str) -> BookingCode:
    """The booking of a cleaned code that starts as a booking code does."""
    try:
        return parse_booking_code(code)
    except BadBookingCode as exc:
        raise BadBookingScan(str(exc)) from None


def parse_ticket_link(text: str) -> TicketLink | CaseLink:
    """The hall server and token of a ticket's (or a case's) page link; BadTicketLink (or
    UnknownCode) says why not."""
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
    if len(segments) < 3 or segments[-2] not in (TICKET_PATH, CASE_PATH):
        raise BadTicketLink(f"not a hall's ticket page (…/{TICKET_PATH}/TOKEN) nor a case's (…/{CASE_PATH}/TOKEN): "
                            f"{_excerpt(text)}")
    token = segments[-1]
    low, high = _TOKEN_LENGTH
    if not low <= len(token) <= high or not _TOKEN.fullmatch(token):
        raise BadTicketLink(f"the ticket link's token is not in its form: {_excerpt(token)}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")
    return (TicketLink if segments[-2] == TICKET_PATH else CaseLink)(url=url, origin=origin, token=token)


def parse_ticket_code(text: str) -> TicketCode | None:
    """The ticket code at the end of the text (after a progress page's address), or None."""
    found = _TICKET_CODE.search(text)
    if found is None or found.end() != len(text):
        return None
    hall_id, day, number = found.groups()
    try:
        return TicketCode(hall_id=hall_id, day=date(int(day[:4]), int(day[4:6]), int(day[6:])), number=number)
    except ValueError:
        return None


def parse_scanned(text: str) -> BookingCode | TicketLink | CaseLink | TicketCode:
    """Whichever kind a scanned code is; UnknownCode when it is none of them."""
    cleaned = _clean(text)
    if is_booking_code(cleaned):
        return _booking(cleaned)
    code = parse_ticket_code(cleaned)
    if code is not None and (not _WEB.match(cleaned) or f"/{TICKET_PATH}/" not in cleaned):
        return code
    if _WEB.match(cleaned):
        return parse_ticket_link(cleaned)
    raise UnknownCode(f"neither a booking code nor a ticket link: {_excerpt(text)}")


__all__ = ["BadBookingScan", "BadTicketLink", "BookingCode", "CaseLink", "PayloadError", "TicketCode", "TicketLink",
           "UnknownCode", "booking_signed_part", "format_booking_code", "parse_scanned", "parse_ticket_code",
           "parse_ticket_link"]
