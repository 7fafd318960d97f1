"""The hall's event log: appended in the transaction of each change, read back in order.

Listeners (the live stream, the upward sync) read "every event after id N", so an id must
never become visible after a larger one: on PostgreSQL two transactions could take ids 10
and 11 and commit 11 first, and a reader that saw 11 would skip 10 for ever. Writers of
events therefore take one lock (hall.db.order_commits) before their insert and hold it to
their commit; SQLite has only one writer at a time anyway.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hall.db import order_commits
from hall.models import LoggedEvent, Ticket
from hall.tickets import EventKind, TicketStatus

_events = LoggedEvent.__table__
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
           ticket_id: int | None = None, counter: str | None = None, detail: str = "") -> None:
    order_commits(session)
    session.execute(_events.insert(), {
        "hall_id": hall_id, "kind": kind.value, "ticket_id": ticket_id, "counter": counter, "at": at,
        "detail": detail, "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":"))})


def append_ticket_event(session: Session, *, ticket_id: int, kind: EventKind, at: datetime,
                        counter: str | None = None, detail: str = "") -> None:
    """The ticket as it stands after the change, and how many now wait in its queue: what a
    hall display or a staff console needs to redraw without asking again."""
    session.flush()  # the ticket's pending ORM changes, for the Core reads below
    t = session.execute(_TICKET_FACTS, {"ticket": ticket_id}).one()
    waiting = session.scalar(_WAITING_IN, {"hall": t.hall_id, "day": t.day, "service": t.service})
    payload = {
        "ticket": {"id": ticket_id, "number": t.number, "service": t.service, "priority": t.priority,
                   "status": t.status, "counter": t.counter, "target_counter": t.target_counter},
        "waiting": {t.service: waiting},
    }
    append(session, hall_id=t.hall_id, kind=kind, at=at, payload=payload, ticket_id=ticket_id,
           counter=counter, detail=detail)


def events_after(session: Session, *, hall_id: str, after: int, limit: int = 500) -> list[EventRecord]:
    rows = session.execute(_AFTER, {"hall": hall_id, "after": after, "limit": limit})
    return [EventRecord(id=r.id, kind=r.kind, at=r.at, ticket_id=r.ticket_id, counter=r.counter,
                        payload=json.loads(r.payload or "{}")) for r in rows]


def last_event_id(session: Session, *, hall_id: str) -> int:
    return session.scalar(_LAST, {"hall": hall_id}) or 0
