"""The figures a supervisor reads, per staff member, counter, service, department or day of
the transactions completed in a period (definitions: docs/ratings.md): satisfaction, the
levels given, and how long citizens waited and were served. Each is counted by the database
in one grouped query over the period's transactions, whatever the number of ratings.

A rating set aside by an upheld appeal counts nowhere: the transaction is then neither rated
nor not rated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Float, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from hall.models import Rating, ServedTicket, Ticket
from hall.ratings.terms import BAD_UP_TO, LEVELS, SATISFIED_FROM, Grouping, RatingState
from hall.spec import HallSpec

_KEYS = {Grouping.STAFF: ServedTicket.staff_job_no, Grouping.COUNTER: ServedTicket.counter,
         Grouping.SERVICE: ServedTicket.service, Grouping.DEPARTMENT: ServedTicket.department,
         Grouping.DAY: ServedTicket.day}


@dataclass(frozen=True)
class Figure:
    key: str                        # the job number, counter, service code, department or day; "" if unknown
    transactions: int               # completed in the period
    rated: int
    not_rated: int                  # the prompt ended unanswered and no late rating came
    satisfied: int                  # rated 基本满意 or better
    bad: int                        # rated 不满意 or 非常不满意
    satisfaction_rate: float | None  # satisfied / rated; None with nothing rated
    bad_rate: float | None          # bad / rated
    not_rated_share: float | None   # not_rated / transactions
    below_threshold: bool           # satisfaction under the hall's threshold


def figures(session: Session, *, spec: HallSpec, by: Grouping, start: date, end: date) -> list[Figure]:
    key = _KEYS[Grouping(by)]
    counted = and_(Rating.id.is_not(None), Rating.set_aside.is_(False))

    def tally(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(key.label("key"), func.count().label("transactions"), tally(counted).label("rated"),
               tally(ServedTicket.rating_state == RatingState.NOT_RATED.value).label("not_rated"),
               tally(and_(counted, Rating.level >= SATISFIED_FROM)).label("satisfied"),
               tally(and_(counted, Rating.level <= BAD_UP_TO)).label("bad"))
        .select_from(ServedTicket).outerjoin(Rating, Rating.ticket_id == ServedTicket.ticket_id)
        .where(ServedTicket.hall_id == spec.hall.id, ServedTicket.day >= start, ServedTicket.day <= end)
        .group_by(key)).all()
    threshold = spec.ratings.satisfaction_threshold
    out = []
    for row in rows:
        rated, satisfied = int(row.rated), int(row.satisfied)
        out.append(Figure(
            key="" if row.key is None else (row.key.isoformat() if isinstance(row.key, date) else row.key),
            transactions=row.transactions, rated=rated, not_rated=int(row.not_rated), satisfied=satisfied,
            bad=int(row.bad), satisfaction_rate=satisfied / rated if rated else None,
            bad_rate=int(row.bad) / rated if rated else None,
            not_rated_share=int(row.not_rated) / row.transactions if row.transactions else None,
            below_threshold=rated > 0 and satisfied * 100 < threshold * rated))
    return sorted(out, key=lambda f: f.key)


@dataclass(frozen=True)
class Levels:
    """How the period's transactions were rated: a count per level 1-5 (ratings set aside by
    an upheld appeal left out), the transactions not rated and those still awaiting."""

    counts: dict[int, int]
    not_rated: int
    awaiting: int
    set_aside: int


def levels(session: Session, *, spec: HallSpec, start: date, end: date) -> Levels:
    rows = session.execute(
        select(Rating.level, Rating.set_aside, ServedTicket.rating_state, func.count())
        .select_from(ServedTicket).outerjoin(Rating, Rating.ticket_id == ServedTicket.ticket_id)
        .where(ServedTicket.hall_id == spec.hall.id, ServedTicket.day >= start, ServedTicket.day <= end)
        .group_by(Rating.level, Rating.set_aside, ServedTicket.rating_state)).all()
    counts, not_rated, awaiting, set_aside = dict.fromkeys(sorted(LEVELS), 0), 0, 0, 0
    for level, aside, state, n in rows:
        if level is not None and aside:
            set_aside += n
        elif level is not None:
            counts[level] += n
        elif state == RatingState.NOT_RATED.value:
            not_rated += n
        elif state == RatingState.AWAITING.value:
            awaiting += n
    return Levels(counts=counts, not_rated=not_rated, awaiting=awaiting, set_aside=set_aside)


# Bucket edges in minutes: a transaction waited (or was served) under the first edge, from
# one edge to the next, or the last edge and more.
WAIT_EDGES = (5, 10, 15, 20, 30, 45, 60)
SERVICE_EDGES = (2, 5, 10, 15, 20, 30)


@dataclass(frozen=True)
class Durations:
    """How many of the period's transactions waited, and were served, for how long: counts
    per bucket, len(edges) + 1 of them (edges in minutes)."""

    wait_edges: tuple[int, ...]
    waits: list[int]
    service_edges: tuple[int, ...]
    services: list[int]


class _Seconds(FunctionElement):
    """Seconds from one timestamp column to another, in the database's own arithmetic."""

    type = Float()
    inherit_cache = True


@compiles(_Seconds, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday's doubles are exact to some 50 µs: rounded to the millisecond, 300 s stays 300.
    return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(_Seconds, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


def _bucket(start, end, edges: tuple[int, ...]):
    """The bucket's index; null for a time that runs backwards (a clock set back) or is unknown."""
    seconds = _Seconds(start, end)
    return case((seconds < 0, None), *((seconds < edge * 60, i) for i, edge in enumerate(edges)),
                else_=len(edges))


def durations(session: Session, *, spec: HallSpec, start: date, end: date) -> Durations:
    """Waiting: from the ticket's issue to its (last) call, so a transferred ticket's wait
    runs from its issue; service: from that call to the completion."""
    wait = _bucket(Ticket.issued_at, Ticket.called_at, WAIT_EDGES).label("wait")
    service = _bucket(Ticket.called_at, ServedTicket.completed_at, SERVICE_EDGES).label("service")
    rows = session.execute(
        select(wait, service, func.count()).select_from(ServedTicket)
        .join(Ticket, Ticket.id == ServedTicket.ticket_id)
        .where(ServedTicket.hall_id == spec.hall.id, ServedTicket.day >= start, ServedTicket.day <= end)
        .group_by(wait, service)).all()
    waits, services = [0] * (len(WAIT_EDGES) + 1), [0] * (len(SERVICE_EDGES) + 1)
    for w, s, n in rows:
        if w is not None:
            waits[int(w)] += n
        if s is not None:
            services[int(s)] += n
    return Durations(wait_edges=WAIT_EDGES, waits=waits, service_edges=SERVICE_EDGES, services=services)
