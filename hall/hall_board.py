"""The hall as it stands, at a glance: each counter with its staff member, the ticket it
serves and since when, or since when it is paused or idle; per service the people waiting,
the longest wait now and the tickets served today; the open help calls and the device
alarms. A supervisor's live board shows it, and it is what a county is given of each hall,
so it is one plain structure from one function.

Everything is read from today's rows alone: tickets and served tickets by their day, the
event log from today's first event on (found by bisecting the log's ids, see
`_first_event_since`), so the cost does not grow with the days before. The present state
(counters, live sessions, open help calls, devices) is small by nature.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hall import accounts, help_calls
from hall.device_reports import DeviceState, hall_health
from hall.models import CounterRow, LoggedEvent, ServedTicket, Staff, StaffSession
from hall.spec import HallSpec
from hall.ticket_queries import COMPLETED, TODAY, WAITING, tickets
from hall.tickets import EventKind

_events = LoggedEvent.__table__
_served = ServedTicket.__table__

# What a counter did last tells since when it is as it is: paused since its pause; idle since
# it last let a citizen go, was resumed, or was signed in to.
_PAUSED = EventKind.COUNTER_PAUSED.value
_IDLE_FROM = tuple(k.value for k in (EventKind.COMPLETED, EventKind.ABSENT, EventKind.HELD, EventKind.TRANSFERRED,
                                     EventKind.COUNTER_RESUMED, EventKind.COUNTER_STAFF))

_QUEUES = (select(tickets.c.service, tickets.c.status, func.count(), func.min(tickets.c.issued_at))
           .where(*TODAY, tickets.c.status.in_([WAITING, COMPLETED]))
           .group_by(tickets.c.service, tickets.c.status))
_SERVING = select(tickets.c.id, tickets.c.number, tickets.c.service, tickets.c.called_at).where(
    tickets.c.id.in_(bindparam("ids", expanding=True)))
_LAST_SERVED_BY = (select(_served.c.counter, _served.c.staff_job_no)
                   .where(_served.c.hall_id == bindparam("hall"), _served.c.day == bindparam("today"),
                          _served.c.staff_job_no.is_not(None))
                   .order_by(_served.c.completed_at, _served.c.ticket_id))
_COUNTER_EVENTS = (select(_events.c.counter, _events.c.kind, func.max(_events.c.at))
                   .where(_events.c.hall_id == bindparam("hall"), _events.c.id >= bindparam("first"),
                          _events.c.counter.is_not(None), _events.c.kind.in_((_PAUSED, *_IDLE_FROM)))
                   .group_by(_events.c.counter, _events.c.kind))
_FIRST_ID = select(func.min(_events.c.id)).where(_events.c.hall_id == bindparam("hall"))
_LAST_ID = select(func.max(_events.c.id)).where(_events.c.hall_id == bindparam("hall"))
_AT_OR_AFTER = (select(_events.c.at).where(_events.c.hall_id == bindparam("hall"), _events.c.id >= bindparam("id"))
                .order_by(_events.c.id).limit(1))


class CounterActivity(str, Enum):
    SERVING = "serving"
    PAUSED = "paused"    # wins over serving: a paused counter calls nobody, whatever it still serves
    IDLE = "idle"


@dataclass(frozen=True)
class CounterNow:
    counter: str
    job_no: str | None           # who signed in there, else who last completed a ticket there today
    staff_name: str | None
    activity: CounterActivity
    since: datetime | None       # when the activity began; None: before today
    ticket: str | None           # the number it serves (also while paused)
    service: str | None
    serving_since: datetime | None


@dataclass(frozen=True)
class ServiceNow:
    service: str
    waiting: int
    longest_wait_seconds: int    # of the one waiting longest, now; 0 when nobody waits
    served_today: int


@dataclass(frozen=True)
class HelpCallNow:
    id: int
    device_id: str
    location: str
    raised_at: datetime


@dataclass(frozen=True)
class DeviceAlarm:
    device_id: str
    kind: str
    location: str                # where a kiosk stands, as far as the hall knows; "" if not
    state: str                   # paper_near_end, paper_out, offline or error
    since: datetime | None
    part: str | None


@dataclass(frozen=True)
class HallBoard:
    hall: str
    now: datetime
    counters: list[CounterNow]
    services: list[ServiceNow]
    help_calls: list[HelpCallNow]
    device_alarms: list[DeviceAlarm]


def hall_board(session: Session, *, spec: HallSpec, now: datetime, offline_after: timedelta) -> HallBoard:
    hall_id = spec.hall.id
    today = now.astimezone(spec.zone).date()
    key = {"hall": hall_id, "today": today}
    start = datetime.combine(today, time(0), tzinfo=spec.zone)
    locations = accounts.device_locations(session, hall_id=hall_id)
    return HallBoard(
        hall=hall_id, now=now,
        counters=_counters(session, spec=spec, now=now, key=key, start=start),
        services=_services(session, spec=spec, now=now, key=key),
        help_calls=[HelpCallNow(id=c.id, device_id=c.device_id, location=c.location or locations.get(c.device_id, ""),
                                raised_at=c.raised_at) for c in help_calls.open_calls(session, hall_id=hall_id)],
        device_alarms=[DeviceAlarm(device_id=d.device_id, kind=d.kind, location=locations.get(d.device_id, ""),
                                   state=d.state.value, since=d.since, part=d.part)
                       for d in hall_health(session, hall_id=hall_id, now=now, offline_after=offline_after)
                       if d.state is not DeviceState.OK])


def _counters(session: Session, *, spec: HallSpec, now: datetime, key: dict, start: datetime) -> list[CounterNow]:
    hall_id = spec.hall.id
    rows = {r.counter_id: r for r in session.scalars(select(CounterRow).where(CounterRow.hall_id == hall_id))}
    serving = {r.id: r for r in session.execute(_SERVING, {"ids": [r.current_ticket_id for r in rows.values()
                                                                   if r.current_ticket_id is not None]})}
    staff = dict(session.execute(_LAST_SERVED_BY, key).all())
    signed_in = session.execute(select(StaffSession.counter, StaffSession.job_no).where(
        StaffSession.hall_id == hall_id, StaffSession.counter.is_not(None), StaffSession.expires_at > now)
        .order_by(StaffSession.created_at))
    staff.update(signed_in.all())
    names = dict(session.execute(select(Staff.job_no, Staff.name).where(
        Staff.hall_id == hall_id, Staff.job_no.in_(set(staff.values())))).all())
    last: dict[tuple[str, str], datetime] = {
        (counter, kind): at for counter, kind, at in session.execute(
            _COUNTER_EVENTS, {**key, "first": _first_event_since(session, hall_id=hall_id, start=start)})}
    out = []
    for counter in spec.counters:
        row = rows.get(counter.id)
        ticket = serving.get(row.current_ticket_id) if row is not None else None
        if row is not None and row.paused:
            activity, since = CounterActivity.PAUSED, last.get((counter.id, _PAUSED))
        elif ticket is not None:
            activity, since = CounterActivity.SERVING, ticket.called_at
        else:
            idle_from = [at for (c, kind), at in last.items() if c == counter.id and kind in _IDLE_FROM]
            activity, since = CounterActivity.IDLE, max(idle_from, default=None)
        job_no = staff.get(counter.id)
        out.append(CounterNow(counter=counter.id, job_no=job_no, staff_name=names.get(job_no), activity=activity,
                              since=since, ticket=ticket.number if ticket else None,
                              service=ticket.service if ticket else None,
                              serving_since=ticket.called_at if ticket else None))
    return out


def _services(session: Session, *, spec: HallSpec, now: datetime, key: dict) -> list[ServiceNow]:
    waiting: dict[str, tuple[int, datetime]] = {}
    served: dict[str, int] = {}
    for service, status, count, oldest in session.execute(_QUEUES, key):
        if status == WAITING:
            waiting[service] = (count, oldest)
        else:
            served[service] = count
    out = []
    for svc in spec.services:
        count, oldest = waiting.get(svc.code, (0, None))
        longest = max(0, int((now - oldest).total_seconds())) if oldest is not None else 0
        out.append(ServiceNow(service=svc.code, waiting=count, longest_wait_seconds=longest,
                              served_today=served.get(svc.code, 0)))
    return out


def _first_event_since(session: Session, *, hall_id: str, start: datetime) -> int:
    """The id of the hall's first event at or after `start` (one past the last if none).
    Ids grow with time, so the log is bisected on them: each probe is one step down the
    (hall_id, id) index, some twenty-five for a log of thirty million events. A clock
    stepped back across `start` can misplace the boundary by the events of that step."""
    low = session.scalar(_FIRST_ID, {"hall": hall_id})
    if low is None:
        return 1
    high = session.scalar(_LAST_ID, {"hall": hall_id}) + 1
    while low < high:
        middle = (low + high) // 2
        at = session.scalar(_AT_OR_AFTER, {"hall": hall_id, "id": middle})
        if at is None or at >= start:
            high = middle
        else:
            low = middle + 1
    return low
