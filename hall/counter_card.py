"""What the counter terminal facing the citizen shows between transactions and at the end of
one: the counter, the staff member signed in there, the number being served, and the rating
prompt open at that counter (a completed transaction not yet rated, its time not up). Read in
one transaction with the event log's last id, so that a terminal that reads the card and then
follows the live events from that id misses nothing and sees nothing twice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import accounts, calling, events
from hall.models import ServedTicket, Staff, Ticket
from hall.ratings.terms import RatingState
from hall.spec import HallSpec
from hall.tickets import CounterState


@dataclass(frozen=True)
class Prompt:
    ticket_id: int
    number: str
    until: datetime
    callback_offered: bool


@dataclass(frozen=True)
class CounterCard:
    state: CounterState
    staff: Staff | None
    photo: bool
    prompt: Prompt | None
    last_event_id: int


def counter_card(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> CounterCard:
    staff = accounts.signed_in_at(session, hall_id=spec.hall.id, counter=counter, now=now)
    photo = staff is not None and accounts.has_photo(session, hall_id=spec.hall.id, job_no=staff.job_no)
    return CounterCard(state=calling.counter_state(session, spec=spec, counter=counter, now=now), staff=staff,
                       photo=photo, prompt=open_prompt(session, spec=spec, counter=counter, now=now),
                       last_event_id=events.last_event_id(session, hall_id=spec.hall.id))


def open_prompt(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> Prompt | None:
    row = session.execute(
        select(ServedTicket, Ticket.number).join(Ticket, Ticket.id == ServedTicket.ticket_id)
        .where(ServedTicket.hall_id == spec.hall.id, ServedTicket.counter == counter,
               ServedTicket.rating_state == RatingState.AWAITING.value, ServedTicket.prompt_until > now)
        .order_by(ServedTicket.ticket_id.desc()).limit(1)).first()
    if row is None:
        return None
    served, number = row
    return Prompt(ticket_id=served.ticket_id, number=number, until=served.prompt_until,
                  callback_offered=served.callback_due and served.callback_at is None)
