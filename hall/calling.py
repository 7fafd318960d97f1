"""What staff do at a counter: call the next ticket in the hall's order, recall it, mark it
absent, hold it, call it back, transfer it, complete it (or complete it and call the next at
once); pause and resume the counter; and
what a counter sees (its state, its waiting list).

Each operation runs in the caller's writing transaction holding the counter's row, so that
operations on one counter run one after the other even from two browsers.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from hall import events
from hall.errors import CounterOperationError
from hall.estimates import ticket_info
from hall.models import CounterRow, Ticket
from hall.spec import Counter, HallSpec
from hall.ticket_queries import TICKET, TICKET_BY_NUMBER, TICKET_NUMBER, calling_order, tickets
from hall.tickets import CounterState, EventKind, Priority, TicketInfo, TicketStatus, WaitingTicket

log = logging.getLogger(__name__)


@dataclass
class _Op:
    """What a counter operation works with, inside its transaction."""

    session: Session
    spec: HallSpec
    row: CounterRow
    counter: Counter
    now: datetime
    today: date

    def info(self, ticket: Ticket) -> TicketInfo:
        return ticket_info(self.session, spec=self.spec, ticket=ticket, now=self.now)

    def log(self, ticket: Ticket, kind: EventKind, detail: str = "") -> None:
        events.append_ticket_event(self.session, ticket_id=ticket.id, kind=kind, counter=self.counter.id,
                                   at=self.now, detail=detail)


def counter_of(spec: HallSpec, counter: str) -> Counter:
    found = next((c for c in spec.counters if c.id == counter), None)
    if found is None:
        raise CounterOperationError("unknown_counter", f"no counter {counter!r} in this hall")
    return found


def ensure_counters(session: Session, *, spec: HallSpec) -> None:
    """A row per configured counter, so that every later operation can lock one."""
    known = set(session.scalars(select(CounterRow.counter_id).where(CounterRow.hall_id == spec.hall.id)))
    session.add_all(CounterRow(hall_id=spec.hall.id, counter_id=c.id, paused=False)
                    for c in spec.counters if c.id not in known)


def call_next(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> TicketInfo | None:
    """The next ticket in calling order for this counter, or None when nobody waits."""
    op = _at_counter(session, spec, counter, now)
    if op.row.paused:
        raise CounterOperationError("paused", f"counter {counter} is paused; resume it first")
    _not_busy(op)
    params = {"hall": spec.hall.id, "today": op.today, "counter": counter, "services": list(op.counter.services)}
    order = calling_order(tuple(spec.hall.priority_first))
    while True:
        ticket_id = session.scalar(order.next_for_counter, params)
        if ticket_id is None:
            return None
        # Another counter may take the same ticket between the select and here on a
        # database with row locks; the status condition makes the loser look again.
        if _claim(session, ticket_id, {TicketStatus.WAITING}, counter=counter, at=op.now):
            break
    return _called(op, session.get(Ticket, ticket_id), EventKind.CALLED)


def recall(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> TicketInfo:
    op = _at_counter(session, spec, counter, now)
    ticket = _current(op)
    limit = spec.hall.max_recalls
    if ticket.recalls >= limit:
        raise CounterOperationError(
            "recall_limit", f"{ticket.number} was recalled {ticket.recalls} times, the most allowed "
                            f"is {limit}; mark it absent or hold it")
    ticket.recalls += 1
    op.log(ticket, EventKind.RECALLED, detail=str(ticket.recalls))
    return op.info(ticket)


def mark_absent(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> TicketInfo:
    return _set_aside(_at_counter(session, spec, counter, now), TicketStatus.ABSENT, EventKind.ABSENT)


def hold(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> TicketInfo:
    return _set_aside(_at_counter(session, spec, counter, now), TicketStatus.HELD, EventKind.HELD)


def call_back(session: Session, *, spec: HallSpec, counter: str, number: str, now: datetime) -> TicketInfo:
    """Calls again a held or absent ticket of today, when its holder comes back."""
    if not isinstance(number, str) or not TICKET_NUMBER.fullmatch(number.strip().upper()):
        raise CounterOperationError("bad_number", f"{number!r} is not a ticket number such as A001")
    number = number.strip().upper()
    op = _at_counter(session, spec, counter, now)
    if op.row.paused:
        raise CounterOperationError("paused", f"counter {counter} is paused; resume it first")
    _not_busy(op)
    row = session.execute(TICKET_BY_NUMBER, {"hall": spec.hall.id, "today": op.today, "number": number}).first()
    if row is None:
        raise CounterOperationError("not_found", f"no ticket {number} today")
    set_aside = {TicketStatus.HELD, TicketStatus.ABSENT}
    if (TicketStatus(row.status) not in set_aside or not _may_call(op.counter, row)
            or not _claim(session, row.id, set_aside, counter=counter, at=op.now)):
        raise CounterOperationError(
            "not_callable", f"{number} is {row.status} for {row.service}; counter {counter} "
                            "can call back only a held or absent ticket it serves")
    return _called(op, session.get(Ticket, row.id), EventKind.CALLED_BACK)


def check_transfer(*, spec: HallSpec, counter: str, to_service: str | None, to_counter: str | None) -> None:
    """CounterOperationError for a transfer that no state of the counter makes possible."""
    counter_of(spec, counter)
    if (to_service is None) == (to_counter is None):
        raise CounterOperationError("bad_transfer", "transfer to a service or to a counter, one of them")
    if to_service is not None and spec.service(to_service) is None:
        raise CounterOperationError("unknown_service", f"no service {to_service!r} in this hall")
    if to_counter is not None:
        counter_of(spec, to_counter)
        if to_counter == counter:
            raise CounterOperationError("bad_transfer", f"the ticket is already at counter {counter}")


def transfer(session: Session, *, spec: HallSpec, counter: str, to_service: str | None, to_counter: str | None,
             now: datetime) -> TicketInfo:
    """Sends the ticket being served to another queue with its number and its place
    (its issue time), so that the citizen does not start again at the back."""
    check_transfer(spec=spec, counter=counter, to_service=to_service, to_counter=to_counter)
    op = _at_counter(session, spec, counter, now)
    ticket = _current(op)
    if ticket.day < op.today:
        raise CounterOperationError(
            "stale_ticket", f"{ticket.number} was issued on {ticket.day}: a ticket is valid on its "
                            "own day only; complete it or mark it absent")
    if to_service is not None and to_service == ticket.service and ticket.target_counter is None:
        # It would start over with no recalls: a way round the recall limit.
        raise CounterOperationError("same_queue", f"{ticket.number} already waits for {to_service}")
    if to_service is not None:
        ticket.service, ticket.target_counter = to_service, None
        detail = f"service={to_service}"
    else:
        ticket.target_counter = to_counter
        detail = f"counter={to_counter}"
    ticket.status = TicketStatus.WAITING.value
    ticket.called_at = None
    ticket.recalls = 0
    op.row.current_ticket_id = None
    op.log(ticket, EventKind.TRANSFERRED, detail=detail)
    return op.info(ticket)


def complete(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> TicketInfo:
    op = _at_counter(session, spec, counter, now)
    ticket = _current(op)
    ticket.status = TicketStatus.COMPLETED.value
    ticket.completed_at = op.now
    op.row.current_ticket_id = None
    op.log(ticket, EventKind.COMPLETED)
    return op.info(ticket)


def complete_and_call_next(session: Session, *, spec: HallSpec, counter: str,
                           now: datetime) -> tuple[TicketInfo, TicketInfo | None]:
    """The ticket being served completed and the next one called, in one transaction: the
    one key staff press between two citizens. A paused counter refuses before completing,
    so a refusal changes nothing."""
    op = _at_counter(session, spec, counter, now)
    _current(op)
    if op.row.paused:
        raise CounterOperationError("paused", f"counter {counter} is paused; complete the ticket, then resume")
    done = complete(session, spec=spec, counter=counter, now=now)
    return done, call_next(session, spec=spec, counter=counter, now=now)


def set_paused(session: Session, *, spec: HallSpec, counter: str, paused: bool, now: datetime) -> None:
    """A paused counter calls nobody and counts for no estimate; the ticket it is
    serving stays with it until completed."""
    op = _at_counter(session, spec, counter, now)
    if op.row.paused != paused:
        op.row.paused = paused
        events.append(session, hall_id=spec.hall.id, at=op.now, counter=counter,
                      kind=EventKind.COUNTER_PAUSED if paused else EventKind.COUNTER_RESUMED,
                      payload={"counter": counter, "paused": paused})


def counter_state(session: Session, *, spec: HallSpec, counter: str, now: datetime) -> CounterState:
    counter_of(spec, counter)
    row = session.get(CounterRow, (spec.hall.id, counter))
    if row is None:
        return CounterState(id=counter, paused=False, current=None)
    current = None
    if row.current_ticket_id is not None:
        ticket = session.execute(TICKET, {"ticket": row.current_ticket_id}).first()
        current = ticket_info(session, spec=spec, ticket=ticket, now=now)
    return CounterState(id=counter, paused=row.paused, current=current)


def waiting_list(session: Session, *, spec: HallSpec, counter: str, limit: int, now: datetime) -> list[WaitingTicket]:
    """The tickets this counter may call, in calling order, then the held and absent
    ones it may call back, oldest first; at most `limit` in all."""
    spec_counter = counter_of(spec, counter)
    rows = session.execute(calling_order(tuple(spec.hall.priority_first)).queue_for_counter, {
        "hall": spec.hall.id, "today": now.astimezone(spec.zone).date(), "counter": counter,
        "services": list(spec_counter.services), "limit": limit}).all()
    return [WaitingTicket(id=r.id, number=r.number, service=r.service, priority=Priority(r.priority),
                          status=TicketStatus(r.status), issued_at=r.issued_at.astimezone(spec.zone),
                          target_counter=r.target_counter) for r in rows]


def _at_counter(session: Session, spec: HallSpec, counter: str, now: datetime) -> _Op:
    """The operation's counter, its row locked until the transaction ends."""
    spec_counter = counter_of(spec, counter)
    row = session.scalars(select(CounterRow).where(
        CounterRow.hall_id == spec.hall.id, CounterRow.counter_id == counter).with_for_update()).first()
    if row is None:  # the counter was added to the configuration while running
        row = CounterRow(hall_id=spec.hall.id, counter_id=counter, paused=False)
        session.add(row)
        session.flush()
    return _Op(session=session, spec=spec, row=row, counter=spec_counter, now=now,
               today=now.astimezone(spec.zone).date())


def _current(op: _Op) -> Ticket:
    if op.row.current_ticket_id is None:
        raise CounterOperationError("idle", f"counter {op.counter.id} is serving no ticket")
    return op.session.get(Ticket, op.row.current_ticket_id)


def _not_busy(op: _Op) -> None:
    if op.row.current_ticket_id is not None:
        number, day = op.session.execute(select(Ticket.number, Ticket.day).where(
            Ticket.id == op.row.current_ticket_id)).one()
        if day < op.today:
            # Left open at closing time: it must not block the counter the next morning.
            log.info("counter %s: %s of %s released at the start of a new day", op.counter.id, number, day)
            op.row.current_ticket_id = None
            return
        raise CounterOperationError(
            "busy", f"counter {op.counter.id} is serving {number}; complete it, mark it absent, "
                    "hold it or transfer it first")


def _called(op: _Op, ticket: Ticket, kind: EventKind) -> TicketInfo:
    op.session.refresh(ticket)  # _claim changed it behind the session's back
    op.row.current_ticket_id = ticket.id
    op.log(ticket, kind)
    return op.info(ticket)


def _set_aside(op: _Op, status: TicketStatus, kind: EventKind) -> TicketInfo:
    ticket = _current(op)
    ticket.status = status.value
    op.row.current_ticket_id = None
    op.log(ticket, kind)
    return op.info(ticket)


def _claim(session: Session, ticket_id: int, statuses: set[TicketStatus], *, counter: str, at: datetime) -> bool:
    """Makes the ticket CALLED at `counter` if it is still in one of `statuses`."""
    result = session.execute(
        tickets.update().where(tickets.c.id == ticket_id, tickets.c.status.in_([s.value for s in statuses]))
        .values(status=TicketStatus.CALLED.value, counter=counter, called_at=at, recalls=0))
    return result.rowcount == 1


def _may_call(counter: Counter, ticket: Row) -> bool:
    if ticket.target_counter is not None:
        return ticket.target_counter == counter.id
    return ticket.service in counter.services
