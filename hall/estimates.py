"""Where a ticket stands and how long its holder will wait; each service's queue as a kiosk
shows it.

The wait is played forward from the counters as they are, the way hall.calling calls: an
open counter is free once the ticket it serves now is done (its service's mean less the time
it has taken so far, or a share of the mean once it has run over), and whenever it is free it
calls the first waiting ticket it may call in the hall's calling order, whatever its service,
and is busy for that service's mean. So a counter shared by several services gives each the
share the calling order gives it, and the tickets of the other services it serves count.
A ticket's wait is when the play reaches it; those ahead of it are the tickets that the
counters which may call it call before that moment (one called at the same moment at another
counter is beside it, not ahead). A paused counter calls nobody until it resumes;
a ticket whose counters are all paused is marked paused, its minutes counted as if they
resumed now, since nobody can say when they will.

The means are taken over the day's last RECENT_SERVICES completed services once there are
MIN_RECENT_SERVICES, the configured ones before.
"""
from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from hall import hours
from hall.issuing import issued_today, limit_reached
from hall.models import Ticket
from hall.spec import HallSpec
from hall.ticket_queries import COMPLETED, COUNTERS, TODAY, WAITING, calling_order, tickets
from hall.tickets import Priority, ServiceStatus, TicketInfo, TicketStatus

RECENT_SERVICES = 20       # completed services the mean service time is taken over
MIN_RECENT_SERVICES = 3    # fewer than this and the configured mean is a better guess
# A service that has run past its mean is not about to end: service times spread so widely
# (a lognormal with a spread of half its mean, as in halls) that about half the mean is
# still to come, however long it has run.
OVERRUN_SHARE = 1 / 2      # of the mean, what is left of a service near or past its mean

_WAITING_BY_SERVICE = (select(tickets.c.service, func.count()).where(
    *TODAY, tickets.c.status == WAITING).group_by(tickets.c.service))


def _recent_durations() -> Select:
    """Call and completion times of each service's last RECENT_SERVICES completions today."""
    recent = func.row_number().over(partition_by=tickets.c.service,
                                    order_by=(tickets.c.completed_at.desc(), tickets.c.id.desc()))
    inner = select(tickets.c.service, tickets.c.called_at, tickets.c.completed_at, recent.label("recent")).where(
        *TODAY, tickets.c.status == COMPLETED,
        tickets.c.called_at.is_not(None), tickets.c.completed_at.is_not(None)).subquery()
    return (select(inner.c.service, inner.c.called_at, inner.c.completed_at)
            .where(inner.c.recent <= RECENT_SERVICES))


_RECENT = _recent_durations()


class _Waiting(Protocol):
    """A waiting ticket as the play sees it: a row of hall.ticket_queries.CallingOrder's
    queue, or the ticket itself."""

    service: str
    target_counter: str | None


@dataclass(frozen=True)
class _Counter:
    id: str
    services: frozenset[str]
    paused: bool
    free_in: float   # minutes until the ticket it serves now is done

    def may_call(self, service: str, target_counter: str | None) -> bool:
        if target_counter is not None:
            return target_counter == self.id
        return service in self.services


@dataclass(frozen=True)
class _Hall:
    """What a wait is played from: the counters and the service means, read once."""

    counters: tuple[_Counter, ...]
    means: dict[str, float]

    @property
    def open(self) -> tuple[_Counter, ...]:
        return tuple(c for c in self.counters if not c.paused)


@dataclass(frozen=True)
class _Wait:
    ahead: int
    minutes: int
    paused: bool


def ticket_info(session: Session, *, spec: HallSpec, ticket: Ticket | Row, now: datetime) -> TicketInfo:
    """A ticket as callers see it, with the people ahead and the wait while it waits today;
    `ticket` is an ORM object or a row of `tickets`."""
    session.flush()  # Core statements below do not flush pending ORM changes
    status = TicketStatus(ticket.status)
    today = now.astimezone(spec.zone).date()
    wait = _Wait(ahead=0, minutes=0, paused=False)
    if status is TicketStatus.WAITING and ticket.day == today:
        order = calling_order(tuple(spec.hall.priority_first))
        rank = order.ranks[Priority(ticket.priority)]
        before = session.execute(order.waiting_before, {
            "hall": spec.hall.id, "today": today, "rank": rank, "ticket": ticket.id}).all()
        wait = _wait_for(_hall_now(session, spec=spec, now=now), before, ticket)
    if ticket.target_counter is not None:
        counters = (ticket.target_counter,)
    else:
        counters = tuple(c.id for c in spec.counters_for(ticket.service))
    return TicketInfo(
        id=ticket.id, number=ticket.number, service=ticket.service,
        priority=Priority(ticket.priority), status=status, day=ticket.day,
        issued_at=ticket.issued_at.astimezone(spec.zone), ahead=wait.ahead,
        estimated_wait_minutes=wait.minutes, counters=counters,
        counter=None if status is TicketStatus.WAITING else ticket.counter,  # a transfer's is history
        recalls=ticket.recalls, paused=wait.paused)


def services_status(session: Session, *, spec: HallSpec, now: datetime) -> list[ServiceStatus]:
    """Every service in the hall's order, from five queries whatever their number; the wait
    is that of a normal ticket issued now."""
    today = now.astimezone(spec.zone).date()
    key = {"hall": spec.hall.id, "today": today}
    waiting = dict(session.execute(_WAITING_BY_SERVICE, key).all())
    issued = issued_today(session, hall_id=spec.hall.id, today=today)
    hall = _hall_now(session, spec=spec, now=now)
    order = calling_order(tuple(spec.hall.priority_first))
    queue = session.execute(order.waiting, key).all()
    rank = order.ranks[Priority.NORMAL]  # a new ticket comes after every one of its class or before
    waits = _new_ticket_waits(hall, queue[:bisect_right([row.rank for row in queue], rank)],
                              [svc.code for svc in spec.services])
    reason, reopens_at = hours.issuing_refusal(spec.hours, spec.zone, now)
    out = []
    for svc in spec.services:
        refusal, reopens = reason, reopens_at
        if refusal is None:
            refusal = limit_reached(svc.daily_quota, issued.get(svc.code, 0), svc.last_seq)
            reopens = hours.opening_after(spec.hours, spec.zone, today) if refusal else None
        out.append(ServiceStatus(
            code=svc.code, waiting=waiting.get(svc.code, 0),
            open_counters=sum(1 for c in hall.open if svc.code in c.services),
            estimated_wait_minutes=waits[svc.code], issued_today=issued.get(svc.code, 0),
            quota=svc.daily_quota, refusal=refusal, reopens_at=reopens))
    return out


def _hall_now(session: Session, *, spec: HallSpec, now: datetime) -> _Hall:
    """The configured counters as they are now; one without its row yet is open and free."""
    today = now.astimezone(spec.zone).date()
    means = {s.code: s.mean_service_minutes for s in spec.services}
    means.update(mean_minutes(session.execute(_RECENT, {"hall": spec.hall.id, "today": today})))
    rows = {row.counter_id: row for row in session.execute(COUNTERS, {"hall": spec.hall.id})}
    counters = []
    for c in spec.counters:
        row = rows.get(c.id)
        free_in = 0.0
        # A ticket left open on an earlier day no longer holds its counter (hall.calling).
        if row is not None and row.called_at is not None and row.day == today:
            mean = means.get(row.service, 0.0)
            taken = max((now - row.called_at).total_seconds() / 60, 0.0)
            free_in = max(mean - taken, mean * OVERRUN_SHARE)
        counters.append(_Counter(id=c.id, services=frozenset(c.services), paused=row is not None and row.paused,
                                 free_in=free_in))
    return _Hall(counters=tuple(counters), means=means)


def _wait_for(hall: _Hall, queue: list[_Waiting], target: _Waiting) -> _Wait:
    """The target's wait behind `queue` (the tickets before it, in calling order); marked
    paused, and counted as if its counters resumed now, when they are all paused."""
    tickets, last = [*queue, target], len(queue)
    for counters, paused in ((hall.open, False), (hall.counters, True)):
        its = [c.may_call(target.service, target.target_counter) for c in counters]
        called = []  # when its counters call the tickets before it
        for at, i, n in _calls(counters, hall.means, tickets):
            if n == last:
                return _Wait(ahead=sum(1 for t in called if t < at), minutes=wait_minutes(at), paused=paused)
            if n is not None and its[i]:
                called.append(at)
    return _Wait(ahead=0, minutes=0, paused=True)  # its counter is no longer in the hall's configuration


def _new_ticket_waits(hall: _Hall, queue: list[_Waiting], services: list[str]) -> dict[str, int]:
    """Per service, what a normal ticket issued now would wait behind `queue`: a counter is
    free for it once it has nothing before it left to call, so one play of the queue tells
    every service. A service whose counters are all paused, as if they resumed now."""
    out: dict[str, int] = {}
    for counters in (hall.open, hall.counters):
        missing = [code for code in services if code not in out]
        if not missing:
            break
        free_from = [math.inf] * len(counters)
        for at, i, n in _calls(counters, hall.means, queue):
            if n is None:
                free_from[i] = at
        for code in missing:
            first = min((f for c, f in zip(counters, free_from) if code in c.services), default=None)
            if first is not None:
                out[code] = wait_minutes(first)
    return out


def _calls(counters: tuple[_Counter, ...], means: dict[str, float],
           queue: list[_Waiting]) -> Iterator[tuple[float, int, int | None]]:
    """The calls the counters would make over `queue` (in calling order), in the order they
    come: when, which counter (its index) and which ticket (its index), or None once the
    counter has nothing left that it may call, free from then on. Each counter, as soon as
    it is free, takes the first ticket left that it may call (hall.calling.call_next); ties
    go to the counter configured first.

    The queue is read as lanes, one per service and target counter, each in calling order:
    every counter that may call a lane takes its tickets front to back, so a lane is used up
    from its front, and a counter's first ticket left is the least of its lanes' fronts. A
    call costs the number of the counter's lanes, not the length of the queue."""
    lanes: dict[tuple[str, str | None], list[int]] = {}
    for n, ticket in enumerate(queue):
        lanes.setdefault((ticket.service, ticket.target_counter), []).append(n)
    fronts = dict.fromkeys(lanes, 0)
    ends = {lane: len(members) for lane, members in lanes.items()}
    mine = [[lane for lane in lanes if counter.may_call(*lane)] for counter in counters]
    free = [(c.free_in, i) for i, c in enumerate(counters)]
    heapq.heapify(free)
    while free:
        at, i = heapq.heappop(free)
        best, n = None, len(queue)
        for lane in mine[i]:
            front = fronts[lane]
            if front < ends[lane] and lanes[lane][front] < n:
                best, n = lane, lanes[lane][front]
        if best is None:
            yield at, i, None
            continue
        fronts[best] += 1
        yield at, i, n
        heapq.heappush(free, (at + means.get(queue[n].service, 0.0), i))


def mean_minutes(rows) -> dict[str, float]:
    """Mean minutes from call to completion per service, for the services with at least
    MIN_RECENT_SERVICES recent completions. The subtraction is done here: date arithmetic
    differs in every SQL dialect."""
    durations: dict[str, list[float]] = {}
    for code, called_at, completed_at in rows:
        if completed_at >= called_at:  # a clock stepped back between the two says nothing
            durations.setdefault(code, []).append((completed_at - called_at).total_seconds() / 60)
    return {code: sum(d) / len(d) for code, d in durations.items() if len(d) >= MIN_RECENT_SERVICES}


def wait_minutes(minutes: float) -> int:
    """Whole minutes, the nearest, but at least 1 for any wait: 0 says that a counter is
    free for it now. Rounded first to the microsecond: float noise is not a wait."""
    minutes = round(minutes, 6)
    return 0 if minutes <= 0 else max(1, round(minutes))
