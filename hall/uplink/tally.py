"""The figures of each hall below, kept as its events arrive, in the transaction that
stores them: a ticket's standing (for the waiting now, the longest wait and one hall's
queues and counters), each hall's day (issued, served, waits, ratings), its devices in
alarm, its counters, and its open cases (bad ratings' follow-ups and matters' cases). The
central page reads these few rows and never the events themselves.

A batch is added up in memory first: one read of the tickets it names, then one write per
ticket, per hall and day, per device and per counter, however many events it holds. Cases'
events are rare beside tickets', and are written as they come.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy.orm import Session

from hall.db import order_commits
from hall.matters.states import OPEN_STATES, Light, MatterState
from hall.models import MAX_ID, HallDay, ReportedCase, ReportedCounter, ReportedDevice, ReportedTicket
from hall.ratings.terms import CASE_FINISHED, SATISFIED_FROM
from hall.tickets import EventKind, TicketStatus
from hall.uplink.wire import UplinkEvent

TICKET_KINDS = frozenset({EventKind.ISSUED.value, EventKind.CALLED.value, EventKind.RECALLED.value,
                          EventKind.ABSENT.value, EventKind.HELD.value, EventKind.CALLED_BACK.value,
                          EventKind.TRANSFERRED.value, EventKind.COMPLETED.value})
DAY_FIELDS = ("issued", "served", "waits", "wait_seconds", "rated", "satisfied")
RATING, MATTER = "rating", "matter"   # the two kinds of case
_FINISHED_RATING_CASE = frozenset(state.value for state in CASE_FINISHED)
_OPEN_MATTER = frozenset(state.value for state in OPEN_STATES)
# The widths of the columns that payload strings go in (hall.models).
_LENGTHS = {"number": 8, "service": 32, "counter": 8, "status": 12, "state": 20, "light": 8, "device": 128}
_COUNTER_KINDS = frozenset({EventKind.COUNTER_STAFF.value, EventKind.COUNTER_PAUSED.value,
                            EventKind.COUNTER_RESUMED.value})


def add(session: Session, events: list[UplinkEvent]) -> None:
    tickets = _tickets(session, events)
    days: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    devices: dict[tuple[str, str], tuple[bool, object]] = {}
    counters: dict[tuple[str, str], dict] = {}
    cases: dict[tuple[str, str, int], ReportedCase | None] = {}
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
            device = _text(event.payload.get("device"), _LENGTHS["device"])
            if device is not None:
                alarm = (event.kind == EventKind.DEVICE_OFFLINE.value
                         or (event.kind == EventKind.DEVICE_STATUS.value and event.payload.get("status") != "ok"))
                devices[(event.origin, device)] = (alarm, event.at)
        elif event.kind in _COUNTER_KINDS:
            _counter_event(event, counters)
        elif event.kind in (EventKind.CASE_OPENED.value, EventKind.CASE_STEP.value):
            _case(session, cases, event.origin, RATING, event.payload.get("case"),
                  open_=lambda case: case.get("state") not in _FINISHED_RATING_CASE)
        elif event.kind == EventKind.MATTER_STEP.value:
            _case(session, cases, event.origin, MATTER, event.payload.get("matter"),
                  open_=lambda case: case.get("state") in _OPEN_MATTER)
        elif event.kind == EventKind.MATTER_LIGHT.value:
            _matters_red(session, event)
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
    for (origin, counter), change in counters.items():
        row = session.get(ReportedCounter, (origin, counter))
        if row is None:
            session.add(ReportedCounter(origin=origin, counter=counter, **{"staffed": False, "paused": False,
                                                                            **change}))
        else:
            for name, value in change.items():
                setattr(row, name, value)


def forget_past_tickets(session: Session, *, today: date) -> int:
    """Deletes the ticket rows of the days before `today` (the parent's): they back what is
    waiting now and one hall's queues today, and a day's figures stay in its HallDay row.
    Returns how many went. It takes turns with the batches (hall.uplink.receiver takes the
    same lock first), so that a batch never updates a row deleted under it; and only when
    there is something to delete."""
    past = ReportedTicket.day < today
    if session.scalar(select(ReportedTicket.ticket_id).where(past).limit(1)) is None:
        return 0
    order_commits(session)
    return session.execute(delete(ReportedTicket).where(past)).rowcount


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
    status = _text(event.payload.get("ticket", {}).get("status"), _LENGTHS["status"])
    if event.ticket is None or status is None:
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
        ticket.waited = max(0, round((event.at - ticket.issued_at).total_seconds()))
        figures["waits"] += 1
        figures["wait_seconds"] += ticket.waited
    elif event.kind == EventKind.COMPLETED.value and status == TicketStatus.COMPLETED.value:
        figures["served"] += 1
    shown = event.payload["ticket"]
    for name in ("number", "service", "counter"):
        if (value := _text(shown.get(name), _LENGTHS[name])) is not None:
            setattr(ticket, name, value)
    ticket.status = status


def _counter_event(event: UplinkEvent, counters: dict) -> None:
    counter = _text(event.payload.get("counter", event.counter), _LENGTHS["counter"])
    if counter is None:
        return
    change = counters.setdefault((event.origin, counter), {})
    change["at"] = event.at
    if event.kind == EventKind.COUNTER_STAFF.value and isinstance(event.payload.get("signed_in"), bool):
        change["staffed"] = event.payload["signed_in"]
    elif isinstance(event.payload.get("paused"), bool):
        change["paused"] = event.payload["paused"]


def _case(session: Session, cases: dict, origin: str, kind: str, case: object, *, open_) -> None:
    """Keeps an open case's row as its last event tells it, and drops it once finished;
    `cases` holds the rows this batch touched, one opened and finished in it included."""
    if not isinstance(case, dict) or not _an_id(case.get("id")) or not isinstance(case.get("state"), str):
        return
    key = (origin, kind, case["id"])
    row = cases[key] if key in cases else session.get(ReportedCase, key)
    if not open_(case):
        if row in session.new:
            session.expunge(row)
        elif row is not None:
            session.delete(row)
        cases[key] = None
        return
    if row is None:
        row = ReportedCase(origin=origin, kind=kind, case_id=case["id"])
        session.add(row)
    cases[key] = row
    row.state, row.due = case["state"][:_LENGTHS["state"]], _day(case.get("due"))
    row.light = _text(case.get("light"), _LENGTHS["light"]) if kind == MATTER else None


def _matters_red(session: Session, event: UplinkEvent) -> None:
    """A hall's lights turned on a new day: its event names at most a few of the cases, so
    the rule the hall applied (hall.matters.lights) is applied here to the open cases this
    parent knows: red once past the due day, a case waiting for documents keeping its light."""
    day = _day(event.payload.get("day"))
    if event.payload.get("light") != Light.RED.value or day is None:
        return
    turning = select(ReportedCase).where(
        ReportedCase.origin == event.origin, ReportedCase.kind == MATTER, ReportedCase.due < day,
        ReportedCase.state != MatterState.WAITING_DOCUMENTS.value,
        or_(ReportedCase.light.is_(None), ReportedCase.light != Light.RED.value))
    for row in session.scalars(turning):
        row.light = Light.RED.value


def _text(value: object, length: int) -> str | None:
    """A string of the payload that fits its column; anything else is left out, never let
    to fail the batch's transaction."""
    return value if isinstance(value, str) and len(value) <= length else None


def _an_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
