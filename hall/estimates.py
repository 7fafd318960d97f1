"""Where a ticket stands and how long its holder will wait; each service's queue as a kiosk
shows it.

estimate = ceil(people ahead × mean service minutes ÷ open counters serving the service),
the mean taken over the day's last RECENT_SERVICES completed services once there are
MIN_RECENT_SERVICES, the configured one before.
"""
from __future__ import annotations

import math
from datetime import date, datetime

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from hall import hours
from hall.issuing import issued_today, limit_reached
from hall.models import Ticket
from hall.spec import HallSpec
from hall.ticket_queries import COMPLETED, PAUSED, TODAY, WAITING, calling_order, tickets
from hall.tickets import Priority, ServiceStatus, TicketInfo, TicketStatus

RECENT_SERVICES = 20       # completed services the mean service time is taken over
MIN_RECENT_SERVICES = 3    # fewer than this and the configured mean is a better guess

_WAITING_BY_SERVICE = (select(tickets.c.service, func.count()).where(
    *TODAY, tickets.c.status == WAITING).group_by(tickets.c.service))


def _recent_durations(*, one_service: bool) -> Select:
    """Call and completion times of each service's last RECENT_SERVICES completions today."""
    recent = func.row_number().over(partition_by=tickets.c.service,
                                    order_by=(tickets.c.completed_at.desc(), tickets.c.id.desc()))
    conditions = [*TODAY, tickets.c.status == COMPLETED,
                  tickets.c.called_at.is_not(None), tickets.c.completed_at.is_not(None)]
    if one_service:
        conditions.append(tickets.c.service == bindparam("code"))
    inner = select(tickets.c.service, tickets.c.called_at, tickets.c.completed_at,
                   recent.label("recent")).where(*conditions).subquery()
    return (select(inner.c.service, inner.c.called_at, inner.c.completed_at)
            .where(inner.c.recent <= RECENT_SERVICES))


_RECENT_ALL = _recent_durations(one_service=False)
_RECENT_ONE = _recent_durations(one_service=True)


def ticket_info(session: Session, *, spec: HallSpec, ticket: Ticket | Row, today: date) -> TicketInfo:
    """A ticket as callers see it, with the people ahead and the wait while it waits today;
    `ticket` is an ORM object or a row of `tickets`."""
    session.flush()  # Core statements below do not flush pending ORM changes
    ahead = estimate = 0
    status = TicketStatus(ticket.status)
    if status is TicketStatus.WAITING and ticket.day == today:
        order = calling_order(tuple(spec.hall.priority_first))
        key = {"hall": spec.hall.id, "today": today, "rank": order.ranks[Priority(ticket.priority)],
               "ticket": ticket.id}
        if ticket.target_counter is not None:
            # It waits for one counter: those before it are all that counter's.
            target = next((c for c in spec.counters if c.id == ticket.target_counter), None)
            ahead = session.scalar(order.ahead_at_counter, {
                **key, "counter": ticket.target_counter,
                "services": list(target.services) if target else []})
            counters_open = 1
        else:
            ahead = session.scalar(order.ahead_in_service, {**key, "code": ticket.service})
            counters_open = open_counters(spec, ticket.service, set(session.scalars(PAUSED, key)))
        svc = spec.service(ticket.service)
        means = mean_minutes(session.execute(_RECENT_ONE, {**key, "code": ticket.service}))
        mean = means.get(ticket.service, svc.mean_service_minutes if svc else 0)
        estimate = wait(ahead, mean, counters_open)
    if ticket.target_counter is not None:
        counters = (ticket.target_counter,)
    else:
        counters = tuple(c.id for c in spec.counters_for(ticket.service))
    return TicketInfo(
        id=ticket.id, number=ticket.number, service=ticket.service,
        priority=Priority(ticket.priority), status=status, day=ticket.day,
        issued_at=ticket.issued_at.astimezone(spec.zone), ahead=ahead,
        estimated_wait_minutes=estimate, counters=counters,
        counter=None if status is TicketStatus.WAITING else ticket.counter,  # a transfer's is history
        recalls=ticket.recalls)


def services_status(session: Session, *, spec: HallSpec, now: datetime) -> list[ServiceStatus]:
    """Every service in the hall's order, from four queries whatever their number."""
    today = now.astimezone(spec.zone).date()
    key = {"hall": spec.hall.id, "today": today}
    waiting = dict(session.execute(_WAITING_BY_SERVICE, key).all())
    issued = issued_today(session, hall_id=spec.hall.id, today=today)
    paused = set(session.scalars(PAUSED, key))
    means = mean_minutes(session.execute(_RECENT_ALL, key))
    reason, reopens_at = hours.issuing_refusal(spec.hours, spec.zone, now)
    out = []
    for svc in spec.services:
        refusal, reopens = reason, reopens_at
        if refusal is None:
            refusal = limit_reached(svc.daily_quota, issued.get(svc.code, 0), svc.last_seq)
            reopens = hours.opening_after(spec.hours, spec.zone, today) if refusal else None
        people = waiting.get(svc.code, 0)
        counters_open = open_counters(spec, svc.code, paused)
        out.append(ServiceStatus(
            code=svc.code, waiting=people, open_counters=counters_open,
            estimated_wait_minutes=wait(people, means.get(svc.code, svc.mean_service_minutes), counters_open),
            issued_today=issued.get(svc.code, 0), quota=svc.daily_quota,
            refusal=refusal, reopens_at=reopens))
    return out


def open_counters(spec: HallSpec, service: str, paused: set[str]) -> int:
    return sum(1 for c in spec.counters_for(service) if c.id not in paused)


def mean_minutes(rows) -> dict[str, float]:
    """Mean minutes from call to completion per service, for the services with at least
    MIN_RECENT_SERVICES recent completions. The subtraction is done here: date arithmetic
    differs in every SQL dialect."""
    durations: dict[str, list[float]] = {}
    for code, called_at, completed_at in rows:
        if completed_at >= called_at:  # a clock stepped back between the two says nothing
            durations.setdefault(code, []).append((completed_at - called_at).total_seconds() / 60)
    return {code: sum(d) / len(d) for code, d in durations.items() if len(d) >= MIN_RECENT_SERVICES}


def wait(people: int, mean_minutes: float, open_counters: int) -> int:
    """Whole minutes, rounded up; rounded first to the microsecond so that 8.000000001
    minutes of float noise does not become 9."""
    return math.ceil(round(people * mean_minutes / max(open_counters, 1), 6))
