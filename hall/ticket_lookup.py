"""Finding one ticket of this hall, by its id (a ticket link's, a kiosk's) or by today's
number (a ticket code's, a scan at a hall without a server), as callers see it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hall import issuing
from hall.errors import InvalidInput, TicketNotFound, bounded
from hall.estimates import ticket_info
from hall.models import MAX_ID, Ticket
from hall.spec import HallSpec
from hall.ticket_queries import OPEN, TICKET, TICKET_BY_NUMBER, TICKET_NUMBER, TODAY, tickets
from hall.tickets import PersonTickets, TicketInfo


def ticket_by_id(session: Session, *, spec: HallSpec, ticket_id: int, now: datetime) -> TicketInfo:
    if not isinstance(ticket_id, int) or not 0 < ticket_id <= MAX_ID:
        raise TicketNotFound(f"no ticket {ticket_id!r} in hall {spec.hall.id!r}")
    row = session.execute(TICKET, {"ticket": ticket_id}).first()
    if row is None or row.hall_id != spec.hall.id:
        raise TicketNotFound(f"no ticket {ticket_id} in hall {spec.hall.id!r}")
    return ticket_info(session, spec=spec, ticket=row, now=now)


def check_number(number: str) -> str:
    """The number in its canonical spelling (A001), or InvalidInput."""
    if not isinstance(number, str) or not TICKET_NUMBER.fullmatch(number.strip().upper()):
        raise InvalidInput("number", f"{number!r} is not a ticket number such as A001")
    return number.strip().upper()


def ticket_by_number(session: Session, *, spec: HallSpec, number: str, now: datetime) -> TicketInfo:
    """Today's ticket of that number (a ticket is valid on its day only)."""
    number = check_number(number)
    today = now.astimezone(spec.zone).date()
    row = session.execute(TICKET_BY_NUMBER, {"hall": spec.hall.id, "today": today, "number": number}).first()
    if row is None:
        raise TicketNotFound(f"no ticket {number} today in hall {spec.hall.id!r}")
    return ticket_info(session, spec=spec, ticket=row, now=now)


_PERSON_TICKETS = (select(tickets).where(*TODAY, tickets.c.person_hash == bindparam("person_hash"),
                                         tickets.c.status.in_(OPEN)).order_by(tickets.c.id))


def person_tickets(session: Session, *, spec: HallSpec, person_hash: str, now: datetime) -> PersonTickets:
    """The open tickets today of the person with this hash (kiosk.identity's), and the
    services they may still take a ticket for."""
    bounded("person_hash", person_hash, Ticket.__table__.c.person_hash.type.length)
    rows = session.execute(_PERSON_TICKETS, {"hall": spec.hall.id, "today": now.astimezone(spec.zone).date(),
                                             "person_hash": person_hash}).all()
    held = [row.issued_service for row in rows]
    open_to = []
    for svc in spec.services:
        services, limit = issuing.person_limit(spec, svc)
        if sum(code in services for code in held) < limit:
            open_to.append(svc.code)
    return PersonTickets(tickets=tuple(ticket_info(session, spec=spec, ticket=row, now=now) for row in rows),
                         open_to=tuple(open_to))
