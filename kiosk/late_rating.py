"""The late rating at the ticket kiosk (好差评): a citizen who missed the counter's prompt scans
the ticket and rates the transaction, until the hall's late-rating time (the end of its next
working day by default; the hall decides, and refuses what comes after).

A scanned ticket's transaction stands one of a few ways (`Standing`): open to a rating, rated
already (at the counter, on the phone page, at a kiosk), past its time, not completed, or
unknown while the hall cannot be asked. The progress screen says which; only an open one
offers 评价本次服务. The five faces are the counter terminal's (kiosk.rating_faces); 不满意
and 非常不满意 need at least one of the hall's reasons. The kiosk has no keyboard (a scanner types into its window), so the reasons that
ask for a written comment (其他) are left to the counter and the phone page.

A rating is sent once: its idempotency key is the ticket's, so a double tap, a retry after a
lost answer or a second kiosk never rate twice; the hall refuses a second rating with the
reason, which the progress screen then says. The level is in no log.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hall.ratings.terms import BAD_UP_TO, LEVELS, RatingRefusal, RatingRefused, RatingState
from hall.spec import HallSpec, Reason
from hall.tickets import TicketInfo, TicketStatus
from kiosk.hall_client import Hall, HallUnavailable

if TYPE_CHECKING:
    from hall.schemas import RatingReceipt, RatingStatusPublic

log = logging.getLogger(__name__)


class Standing(enum.Enum):
    OPEN = "open"                    # completed, rateable now: 评价本次服务
    RATED = "rated"                  # one rating each: it has had its own
    CLOSED = "closed"                # the late-rating time has passed
    NOT_COMPLETED = "not_completed"  # not served to its end: nothing to rate yet
    UNKNOWN = "unknown"              # the hall could not be asked: nothing said, nothing offered


# What the hall's refusal of a rating means for the ticket's standing; the other refusals
# (a missing reason, an unknown one) are the kiosk's own mistakes and leave it open.
REFUSED_STANDING = {RatingRefusal.ALREADY_RATED: Standing.RATED, RatingRefusal.WINDOW_CLOSED: Standing.CLOSED,
                    RatingRefusal.NOT_COMPLETED: Standing.NOT_COMPLETED, RatingRefusal.NOT_FOUND: Standing.UNKNOWN,
                    RatingRefusal.OTHER_HALL: Standing.UNKNOWN}


@dataclass
class LateRating:
    """A scanned ticket's transaction, and the rating the citizen is giving for it."""

    ticket_id: int
    number: str
    standing: Standing
    level: int | None = None
    reasons: list[str] = field(default_factory=list)
    sending: bool = False  # on its way to the hall: a second tap is dropped
    failed: bool = False   # the last attempt did not reach the hall: tap again

    @property
    def key(self) -> str:
        """The rating's idempotency key: one per ticket, whatever is tapped or retried."""
        return f"kiosk-rating-{self.ticket_id}"

    @property
    def bad(self) -> bool:
        return self.level is not None and self.level <= BAD_UP_TO

    def sendable(self) -> bool:
        return self.level in LEVELS and not self.sending and (not self.bad or bool(self.reasons))


def standing(ticket: TicketInfo, status: RatingStatusPublic | None, now: datetime) -> Standing:
    """How the hall's word on the transaction (None: not had) stands for a kiosk now. A
    completed ticket the hall has no rating record of (completed by a hall engine without a
    server) is open: the hall writes it down with the rating, or says why not."""
    if ticket.status is not TicketStatus.COMPLETED:
        return Standing.NOT_COMPLETED
    if status is None:
        return Standing.UNKNOWN
    if status.state is RatingState.RATED:
        return Standing.RATED
    if status.rateable_until is not None and now >= status.rateable_until:
        return Standing.CLOSED
    return Standing.OPEN


def look_up(hall: Hall, ticket: TicketInfo, now: datetime) -> LateRating:
    """The transaction's standing, asked of the hall for a completed ticket (a job's work)."""
    status = None
    if ticket.status is TicketStatus.COMPLETED:
        try:
            status = hall.rating_status(ticket.id)
        except (HallUnavailable, RatingRefused) as exc:
            log.warning("rating of ticket %s not asked: %s", ticket.id, exc)
    return LateRating(ticket.id, ticket.number, standing(ticket, status, now))


def send(hall: Hall, rating: LateRating, level: int, reasons: list[str]) -> RatingReceipt:
    """The rating, to the hall under the ticket's key (a job's work); raises RatingRefused
    with the hall's reason, or HallUnavailable."""
    return hall.rate(rating.ticket_id, level, reasons=list(reasons), idempotency_key=rating.key)


def reasons(spec: HallSpec) -> list[Reason]:
    """The hall's reasons a kiosk offers: those that need no written comment."""
    return [r for r in spec.ratings.reasons if not r.needs_comment]
