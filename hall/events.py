"""The hall's event log: appended in the transaction of each change, read back in order.

Listeners (the live stream, the upward sync) read "every event after id N", so an id must
never become visible after a larger one: on PostgreSQL two transactions could take ids 10
and 11 and commit 11 first, and a reader that saw 11 would skip 10 for ever. Writers of
events therefore take one lock (hall.db.order_commits) before their insert and hold it to
their commit (on PostgreSQL the insert takes it itself: hall.db.insert_event); SQLite has
only one writer at a time anyway.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, event, func, select
from sqlalchemy.orm import Session

from hall.db import insert_event
from hall.models import LoggedEvent, Ticket
from hall.tickets import EventKind, TicketStatus

_events = LoggedEvent.__table__
_AT_COMMIT = "hall.events at commit"  # the session's events to write at its commit
_tickets = Ticket.__table__

_TICKET_FACTS = select(_tickets.c.hall_id, _tickets.c.number, _tickets.c.service, _tickets.c.priority,
                       _tickets.c.status, _tickets.c.counter, _tickets.c.target_counter,
                       _tickets.c.day).where(_tickets.c.id == bindparam("ticket"))
_WAITING_IN = select(func.count()).select_from(_tickets).where(
    _tickets.c.hall_id == bindparam("hall"), _tickets.c.day == bindparam("day"),
    _tickets.c.status == TicketStatus.WAITING.value, _tickets.c.service == bindparam("service"))
_AFTER = (select(_events.c.id, _events.c.kind, _events.c.ticket_id, _events.c.counter, _events.c.at,
                 _events.c.payload)
          .where(_events.c.hall_id == bindparam("hall"), _events.c.id > bindparam("after"))
          .order_by(_events.c.id).limit(bindparam("limit")))
_LAST = select(func.max(_events.c.id)).where(_events.c.hall_id == bindparam("hall"))


@dataclass(frozen=True)
class EventRecord:
    id: int
    kind: str
    at: datetime
    ticket_id: int | None
    counter: str | None
    payload: dict


def append(session: Session, *, hall_id: str, kind: EventKind, at: datetime, payload: dict,
           ticket_id: int | None = None, counter: str | None = None, detail: str = "",
           at_commit: bool = False) -> None:
    """Appends an event to the log. `at_commit` writes it as the transaction's last
    statement, so that the lock which orders the commits (hall.db.order_commits) is held
    for that statement and the commit alone, not for the rest of the transaction: a
    writer whose other locks were taken before the event's (a ticket's number) may."""
    values = {"hall_id": hall_id, "kind": kind.value, "ticket_id": ticket_id, "counter": counter, "at": at,
              "detail": detail, "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":"))}
    if at_commit:
        session.info.setdefault(_AT_COMMIT, []).append(values)
    else:
        insert_event(session, values)


@event.listens_for(Session, "before_commit")
def _append_at_commit(session: Session) -> None:
    for values in session.info.pop(_AT_COMMIT, ()):
        insert_event(session, values)


@event.listens_for(Session, "after_rollback")
def _forget_at_rollback(session: Session) -> None:
    session.info.pop(_AT_COMMIT, None)


def append_ticket_event(session: Session, *, ticket_id: int, kind: EventKind, at: datetime,
                        counter: str | None = None, detail: str = "", ticket: Row | None = None,
                        at_commit: bool = False) -> None:
    """The ticket as it stands after the change, and how many now wait in its queue: what a
    hall display or a staff console needs to redraw without asking again. `ticket` is its
    row as the change left it, if the caller holds it."""
    if ticket is None:
        session.flush()  # the ticket's pending ORM changes, for the Core reads below
        ticket = session.execute(_TICKET_FACTS, {"ticket": ticket_id}).one()
    t = ticket
    waiting = session.scalar(_WAITING_IN, {"hall": t.hall_id, "day": t.day, "service": t.service})
    payload = {
        "ticket": {"id": ticket_id, "number": t.number, "service": t.service, "priority": t.priority,
                   "status": t.status, "counter": t.counter, "target_counter": t.target_counter},
        "waiting": {t.service: waiting},
    }
    append(session, hall_id=t.hall_id, kind=kind, at=at, payload=payload, ticket_id=ticket_id,
           counter=counter, detail=detail, at_commit=at_commit)


def events_after(session: Session, *, hall_id: str, after: int, limit: int = 500) -> list[EventRecord]:
    rows = session.execute(_AFTER, {"hall": hall_id, "after": after, "limit": limit})
    return [EventRecord(id=r.id, kind=r.kind, at=r.at, ticket_id=r.ticket_id, counter=r.counter,
                        payload=json.loads(r.payload or "{}")) for r in rows]


def last_event_id(session: Session, *, hall_id: str) -> int:
    return session.scalar(_LAST, {"hall": hall_id}) or 0
