"""The figures of each hall below, kept as its events arrive, in the transaction that
stores them: a ticket's standing (for the waiting now and the longest wait), each hall's
day (issued, served, waits, ratings) and its devices in alarm. The central page reads these
few rows and never the events themselves.

A batch is added up in memory first: one read of the tickets it names, then one write per
ticket, per hall and day, and per device, however many events it holds.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from hall.models import HallDay, ReportedDevice, ReportedTicket
from hall.tickets import EventKind, TicketStatus
from hall.uplink.wire import UplinkEvent

TICKET_KINDS = frozenset({EventKind.ISSUED.value, EventKind.CALLED.value, EventKind.RECALLED.value,
                          EventKind.ABSENT.value, EventKind.HELD.value, EventKind.CALLED_BACK.value,
                          EventKind.TRANSFERRED.value, EventKind.COMPLETED.value})
SATISFIED_FROM = 3  # 基本满意 and better (docs/ratings.md)
DAY_FIELDS = ("issued", "served", "waits", "wait_seconds", "rated", "satisfied")


def add(session: Session, events: list[UplinkEvent]) -> None:
    tickets = _tickets(session, events)
    days: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    devices: dict[tuple[str, str], tuple[bool, object]] = {}
    for event in events:
        if event.kind in TICKET_KINDS:
            _ticket_event(session, event, tickets, days)
        elif event.kind == EventKind.RATED.value:
            level = event.payload.get("rating", {}).get("level")
            if isinstance(level, int):
                figures = days[(event.origin, event.day)]
                figures["rated"] += 1
                figures["satisfied"] += level >= SATISFIED_FROM
        elif event.kind in (EventKind.DEVICE_STATUS.value, EventKind.DEVICE_OFFLINE.value,
                            EventKind.DEVICE_ONLINE.value):
            device = event.payload.get("device")
            if isinstance(device, str):
                alarm = (event.kind == EventKind.DEVICE_OFFLINE.value
                         or (event.kind == EventKind.DEVICE_STATUS.value and event.payload.get("status") != "ok"))
                devices[(event.origin, device)] = (alarm, event.at)
    for (origin, day), figures in days.items():
        row = session.get(HallDay, (origin, day), with_for_update=True)
        if row is None:
            session.add(HallDay(origin=origin, day=day, **figures))
        else:
            for name, value in figures.items():
                setattr(row, name, getattr(row, name) + value)
    for (origin, device), (alarm, at) in devices.items():
        row = session.get(ReportedDevice, (origin, device))
        if row is None:
            session.add(ReportedDevice(origin=origin, device_id=device, alarm=alarm, at=at))
        else:
            row.alarm, row.at = alarm, at


def _tickets(session: Session, events: list[UplinkEvent]) -> dict[tuple[str, int], ReportedTicket]:
    keys = {(e.origin, e.ticket) for e in events if e.kind in TICKET_KINDS and e.ticket is not None}
    found: dict[tuple[str, int], ReportedTicket] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        query = select(ReportedTicket).where(tuple_(ReportedTicket.origin, ReportedTicket.ticket_id).in_(chunk))
        found.update({(t.origin, t.ticket_id): t for t in session.scalars(query)})
    return found


def _ticket_event(session: Session, event: UplinkEvent, tickets: dict, days: dict) -> None:
    status = event.payload.get("ticket", {}).get("status")
    if event.ticket is None or not isinstance(status, str):
        return
    ticket = tickets.get((event.origin, event.ticket))
    if ticket is None:
        # Its first event here: its issue, or the first one after the parent began to listen.
        ticket = ReportedTicket(origin=event.origin, ticket_id=event.ticket, day=event.day, issued_at=event.at,
                                status=status, called=False)
        tickets[(event.origin, event.ticket)] = ticket
        session.add(ticket)
    figures = days[(event.origin, ticket.day)]
    if event.kind == EventKind.ISSUED.value:
        figures["issued"] += 1
    elif event.kind == EventKind.CALLED.value and not ticket.called:
        ticket.called = True
        figures["waits"] += 1
        figures["wait_seconds"] += max(0, round((event.at - ticket.issued_at).total_seconds()))
    elif event.kind == EventKind.COMPLETED.value and status == TicketStatus.COMPLETED.value:
        figures["served"] += 1
    ticket.status = status
