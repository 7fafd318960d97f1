"""Receipts printed at a counter (受理回执): the hall keeps no printer of its own. A counter's
terminal drives the printer beside it and tells the hall it has one (a device report of its
part ID/receipt-printer); staff ask for a case's receipt there, which is an event the
terminal hears on its live events (receipt_requested, the job being the event's id); the
terminal fetches the printout, prints it and answers with the outcome, another event the
console hears. Each job has one outcome."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import events
from hall.models import Device, DeviceStatus, LoggedEvent
from hall.schemas import DeviceKind
from hall.tickets import EventKind

RECEIPT_PRINTER = "receipt-printer"   # the part a counter terminal reports its receipt printer as
OUTCOMES = (EventKind.RECEIPT_PRINTED.value, EventKind.RECEIPT_NOT_PRINTED.value)
# A job is printed within this time of its asking or not at all: the console tells staff after
# 30 s that the terminal did not answer, and they print from the browser or ask again; a
# receipt coming out once the terminal's link is back, an hour later, would find nobody.
FRESH = timedelta(seconds=60)


def printer_counters(session: Session, *, hall_id: str) -> frozenset[str]:
    """The counters whose terminal has reported a receipt printer, in whatever state."""
    parts = set(session.scalars(select(DeviceStatus.device_id).where(
        DeviceStatus.hall_id == hall_id, DeviceStatus.device_id.like(f"%/{RECEIPT_PRINTER}"))))
    terminals = session.execute(select(Device.device_id, Device.counters).where(
        Device.hall_id == hall_id, Device.kind == DeviceKind.COUNTER.value))
    return frozenset(counter for device_id, counters in terminals if f"{device_id}/{RECEIPT_PRINTER}" in parts
                     for counter in counters.split(",") if counter)


def request(session: Session, *, hall_id: str, counter: str, case_id: int, language: str, now: datetime) -> int:
    """Asks the counter's terminal for the case's receipt; the job's id."""
    events.append(session, hall_id=hall_id, kind=EventKind.RECEIPT_REQUESTED, at=now, counter=counter,
                  payload={"case_id": case_id, "language": language})
    # The insert holds the lock that orders the event log's commits (hall.events): the
    # hall's last event is this one until the commit.
    return events.last_event_id(session, hall_id=hall_id)


def requested(session: Session, *, hall_id: str, counter: str, job: int) -> LoggedEvent | None:
    """The request of job `job` at `counter`, or None if there was none."""
    row = session.get(LoggedEvent, job)
    if row is None or (row.hall_id, row.kind, row.counter) != (hall_id, EventKind.RECEIPT_REQUESTED.value, counter):
        return None
    return row


def outcome(session: Session, *, hall_id: str, job: LoggedEvent) -> dict | None:
    """What the terminal answered for `job` (the outcome event's payload), or None so far."""
    answers = session.scalars(select(LoggedEvent.payload).where(
        LoggedEvent.hall_id == hall_id, LoggedEvent.kind.in_(OUTCOMES), LoggedEvent.at >= job.at,
        LoggedEvent.counter == job.counter))
    return next((p for p in map(json.loads, answers) if p.get("job") == job.id), None)


def answer(session: Session, *, hall_id: str, job: LoggedEvent, printed: bool, problem: str | None,
           paper_low: bool, detail: str, now: datetime) -> dict:
    """Records the terminal's outcome of `job`; its payload."""
    payload = {"job": job.id, "case_id": json.loads(job.payload).get("case_id"), "printed": printed,
               "problem": problem, "paper_low": paper_low}
    events.append(session, hall_id=hall_id, at=now, counter=job.counter, payload=payload, detail=detail,
                  kind=EventKind.RECEIPT_PRINTED if printed else EventKind.RECEIPT_NOT_PRINTED)
    return payload
