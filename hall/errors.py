"""What can go wrong in the hall: one base class, narrow subclasses a caller can act on."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class HallError(Exception):
    """Base of every error the hall package raises on purpose."""


class RefusalReason(enum.Enum):
    """Why a ticket was not issued; the kiosk turns each into a sentence for the citizen."""

    UNKNOWN_SERVICE = "unknown_service"
    CLOSED_TODAY = "closed_today"          # a weekend or holiday
    NOT_YET_OPEN = "not_yet_open"          # before the first session of the day
    BREAK = "break"                        # between two sessions (lunch)
    CLOSED_FOR_TODAY = "closed_for_today"  # after the last ticket time
    QUOTA_REACHED = "quota_reached"        # the service's daily quota is used up
    NUMBERS_EXHAUSTED = "numbers_exhausted"  # a service's last number (999, or 9999) given today
    ALREADY_HAS_TICKET = "already_has_ticket"  # the person's open tickets of the day (or service): `earlier`
    IDENTIFICATION_REQUIRED = "identification_required"  # the service needs the holder's ID card
    # Checking in a booking code (docs/booking-qr.md):
    BOOKING_FORGED = "booking_forged"          # not signed with this hall's booking key
    BOOKING_OTHER_HALL = "booking_other_hall"  # signed, but for another hall
    BOOKING_EARLY = "booking_early"            # before its window: reopens_at says when check-in opens
    BOOKING_EXPIRED = "booking_expired"        # its day or window has passed
    BOOKING_USED = "booking_used"              # checked in before: `earlier` is the ticket it gave


@dataclass(frozen=True)
class EarlierTicket:
    """The ticket that stands in the way of a new one: the person's first open ticket of the
    day, or the one a booking already gave. Nothing about the person."""

    number: str
    service: str
    issued_at: datetime  # aware


class TicketRefused(HallError):
    def __init__(self, reason: RefusalReason, service: str, *, reopens_at: datetime | None = None,
                 detail: str = "", earlier: EarlierTicket | None = None):
        self.reason = reason
        self.service = service
        self.reopens_at = reopens_at
        self.detail = detail
        self.earlier = earlier
        text = f"ticket for {service!r} refused: {reason.value}"
        if reopens_at:
            text += f" (opens again {reopens_at:%Y-%m-%d %H:%M})"
        if earlier:
            text += f" (first ticket {earlier.number} at {earlier.issued_at:%H:%M})"
        if detail:
            text += f": {detail}"
        super().__init__(text)


class CounterOperationError(HallError):
    """A staff operation that cannot be done in the counter's present state."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


class TicketNotFound(HallError, LookupError):
    """No ticket with that id in this hall."""


class HelpCallNotFound(HallError, LookupError):
    """No such help call in this hall (or not one this kiosk raised)."""


class SchemaTooNew(HallError):
    """The database was migrated by a newer release; this one must not write to it."""


class StorageUnusable(HallError, ValueError):
    """The data folder or the database cannot be used as configured (a file where a folder
    should be, a missing folder, a database in memory): the installer's to fix, so the
    program stops with exit code 2 and says what."""


class InvalidInput(HallError, ValueError):
    """A value the hall does not take (of the wrong kind, unknown, too long), with the
    reason: the caller's mistake, answered as a 4xx by the hall server."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def bounded(field: str, value: object, limit: int) -> None:
    """InvalidInput unless `value` is text of at most `limit` characters (its column's)."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidInput(field, f"is {len(value)} characters long; at most {limit}")
