"""Call-backs (回访): the hall phones back a share of its citizens after their transaction
(callback_percent of hall.toml, chosen as each completes) to hear how it went. A citizen
chosen may leave a phone number at the counter terminal or on the phone page, never has to;
the number is kept until the call is made, or until the transaction is rated some other way,
and then removed. The answer is the transaction's one rating, with channel callback.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import events
from hall.models import Rating, ServedTicket, Ticket
from hall.ratings import records
from hall.ratings.terms import CallOutcome, Channel, RatingRefusal, RatingRefused, RatingState
from hall.spec import HallSpec
from hall.tickets import EventKind


@dataclass(frozen=True)
class DueCall:
    served: ServedTicket
    number: str


def leave_phone(session: Session, *, spec: HallSpec, ticket_id: int, phone: str, now: datetime,
                counters: tuple[str, ...] | None = None) -> ServedTicket:
    row = records.served_ticket(session, spec=spec, ticket_id=ticket_id, now=now, counters=counters)
    _due(row)
    if now >= row.rateable_until:
        raise RatingRefused(RatingRefusal.WINDOW_CLOSED, f"ticket {ticket_id} took a number until "
                                                         f"{row.rateable_until.isoformat()}")
    row.phone = phone
    return row


def due_calls(session: Session, *, spec: HallSpec, limit: int = 100) -> list[DueCall]:
    """Whom to call: the chosen transactions not yet rated nor called whose citizen left a
    number, the oldest first. Numbers are kept only until the call, so those with one are
    few, and read from their own index (ix_served_phone)."""
    rows = session.execute(
        select(ServedTicket, Ticket.number).join(Ticket, Ticket.id == ServedTicket.ticket_id)
        .where(ServedTicket.hall_id == spec.hall.id, ServedTicket.callback_due.is_(True),
               ServedTicket.callback_at.is_(None), ServedTicket.phone.is_not(None),
               ServedTicket.rating_state != RatingState.RATED.value)
        .order_by(ServedTicket.completed_at, ServedTicket.ticket_id).limit(limit)).all()
    return [DueCall(served=row, number=number) for row, number in rows]


def record_call(session: Session, *, spec: HallSpec, ticket_id: int, outcome: CallOutcome, job_no: str,
                now: datetime, level: int | None = None, reasons: list[str] = (), comment: str = "") -> Rating | None:
    """The call made: an answer is the transaction's rating (channel callback); whatever the
    outcome, the number is removed and the transaction leaves the list."""
    row = records.served_ticket(session, spec=spec, ticket_id=ticket_id, now=now)
    _due(row)
    rating = None
    if CallOutcome(outcome) is CallOutcome.ANSWERED:
        rating = records.rate(session, spec=spec, ticket_id=ticket_id, level=level, reasons=list(reasons),
                              comment=comment, channel=Channel.CALLBACK, identified=False, now=now)
    row.phone, row.callback_at = None, now
    events.append(session, hall_id=spec.hall.id, kind=EventKind.CALLBACK_MADE, at=now, ticket_id=ticket_id,
                  counter=row.counter, payload={"callback": {"ticket_id": ticket_id, "outcome": CallOutcome(outcome).value,
                                                             "by": job_no}})
    return rating


def _due(row: ServedTicket) -> None:
    if not row.callback_due or row.callback_at is not None or row.rating_state == RatingState.RATED.value:
        raise RatingRefused(RatingRefusal.NO_CALLBACK,
                            f"ticket {row.ticket_id} is not to be phoned back (not chosen, already called or rated)")
