"""The statements over today's tickets that issuing, calling and estimates share, and the
hall's calling order.

Built once and reused: SQLAlchemy then skips rebuilding and re-keying them on every call,
which is most of the cost of a ticket, and the database lock is held for less time. Their
parameters are named alike: `hall`, `today`, `ticket`, `number`, `counter`, `services`.
"""
from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import and_, bindparam, case, literal, or_, select

from hall.models import CounterRow, Ticket
from hall.tickets import Priority, TicketStatus

TICKET_NUMBER = re.compile(r"[A-Z][0-9]{3,7}")

tickets = Ticket.__table__
_counters = CounterRow.__table__
WAITING = TicketStatus.WAITING.value
COMPLETED = TicketStatus.COMPLETED.value
# A ticket its holder still waits on or is served with; completed and absent ones are over.
OPEN = [TicketStatus.WAITING.value, TicketStatus.CALLED.value, TicketStatus.HELD.value]

TODAY = (tickets.c.hall_id == bindparam("hall"), tickets.c.day == bindparam("today"))
TICKET = select(tickets).where(tickets.c.id == bindparam("ticket"))
TICKET_BY_NUMBER = select(tickets).where(*TODAY, tickets.c.number == bindparam("number"))
# Each counter as it is: paused or not, and the ticket it serves now (its service, since when).
COUNTERS = (select(_counters.c.counter_id, _counters.c.paused, tickets.c.service, tickets.c.day, tickets.c.called_at)
            .select_from(_counters.outerjoin(tickets, tickets.c.id == _counters.c.current_ticket_id))
            .where(_counters.c.hall_id == bindparam("hall")))


class CallingOrder:
    """The statements that depend on the hall's calling order (priority_first)."""

    def __init__(self, priority_first: tuple[Priority, ...]):
        priority_first = [Priority(p).value for p in priority_first]
        t = tickets.c
        self.ranks = {p: priority_first.index(p.value) if p.value in priority_first
                      else len(priority_first) for p in Priority}
        rank = (case({p: i for i, p in enumerate(priority_first)}, value=t.priority,
                     else_=len(priority_first))
                if priority_first else literal(0))
        waiting = (*TODAY, t.status == WAITING)
        # A ticket sent to one counter is that counter's alone; the others are every
        # serving counter's.
        callable_by = or_(t.target_counter == bindparam("counter"),
                          and_(t.target_counter.is_(None),
                               t.service.in_(bindparam("services", expanding=True))))
        # Within a class, by issue: the id grows with every ticket issued, whereas the wall
        # clock may step back (an NTP correction) and would reorder the queue.
        before = or_(rank < bindparam("rank"), and_(rank == bindparam("rank"), t.id < bindparam("ticket")))
        self.next_for_counter = (select(t.id).where(*waiting, callable_by)
                                 .order_by(rank, t.id).limit(1))
        # The staff console's list: who waits, in calling order, then who was set aside.
        self.queue_for_counter = (
            select(t.id, t.number, t.service, t.priority, t.status, t.issued_at, t.target_counter)
            .where(*TODAY, t.status.in_([WAITING, TicketStatus.HELD.value, TicketStatus.ABSENT.value]),
                   callable_by)
            .order_by(case((t.status == WAITING, 0), else_=1), rank, t.id)
            .limit(bindparam("limit")))
        # Every waiting ticket in calling order, and those called before one ticket: what
        # hall.estimates plays forward.
        queue = select(t.id, t.service, t.target_counter, rank.label("rank")).order_by(rank, t.id)
        self.waiting = queue.where(*waiting)
        self.waiting_before = queue.where(*waiting, before)


@lru_cache(maxsize=16)
def calling_order(priority_first: tuple[Priority, ...]) -> CallingOrder:
    """The order's statements, built once per order a hall is configured with."""
    return CallingOrder(priority_first)
