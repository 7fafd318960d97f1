"""The figures a supervisor reads, per staff member, counter, service, department or day of
the transactions completed in a period (definitions: docs/ratings.md): satisfaction, the
levels given, and how long citizens waited and were served. Each is added up by the database
from the period's daily totals (hall.ratings.totals), which the writes keep, so a month of a
large hall reads a few thousand rows whatever the number of ratings.

A rating set aside by an upheld appeal counts nowhere: the transaction is then neither rated
nor not rated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import add

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall.models import DurationTotal, RatingTotal
from hall.ratings.terms import BAD_UP_TO, LEVELS, SATISFIED_FROM, Grouping
from hall.ratings.totals import SERVICE_EDGES, WAIT_EDGES, Measure, level_column
from hall.spec import HallSpec

_KEYS = {Grouping.STAFF: RatingTotal.staff_job_no, Grouping.COUNTER: RatingTotal.counter,
         Grouping.SERVICE: RatingTotal.service, Grouping.DEPARTMENT: RatingTotal.department,
         Grouping.DAY: RatingTotal.day}


def _sum(*names: str):
    """The counts of those columns added up over the period's rows."""
    return func.coalesce(func.sum(reduce(add, (getattr(RatingTotal, name) for name in names))), 0)


def _levels(*levels: int) -> tuple[str, ...]:
    return tuple(level_column(lv) for lv in levels)


def _period(query, *, table, spec: HallSpec, start: date, end: date):
    return query.where(table.hall_id == spec.hall.id, table.day >= start, table.day <= end)


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
    rated = _levels(*LEVELS)
    rows = session.execute(_period(
        select(key.label("key"), _sum("awaiting", "not_rated", "set_aside", *rated).label("transactions"),
               _sum(*rated).label("rated"), _sum("not_rated").label("not_rated"),
               _sum(*_levels(*(lv for lv in LEVELS if lv >= SATISFIED_FROM))).label("satisfied"),
               _sum(*_levels(*(lv for lv in LEVELS if lv <= BAD_UP_TO))).label("bad")),
        table=RatingTotal, spec=spec, start=start, end=end).group_by(key)).all()
    threshold = spec.ratings.satisfaction_threshold
    out = []
    for row in rows:
        transactions, rated, not_rated = int(row.transactions), int(row.rated), int(row.not_rated)
        satisfied, bad = int(row.satisfied), int(row.bad)
        out.append(Figure(
            key=row.key.isoformat() if isinstance(row.key, date) else row.key,
            transactions=transactions, rated=rated, not_rated=not_rated, satisfied=satisfied, bad=bad,
            satisfaction_rate=satisfied / rated if rated else None, bad_rate=bad / rated if rated else None,
            not_rated_share=not_rated / transactions if transactions else None,
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
    names = ("awaiting", "not_rated", "set_aside", *_levels(*LEVELS))
    row = session.execute(_period(select(*(_sum(n).label(n) for n in names)), table=RatingTotal, spec=spec,
                                  start=start, end=end)).one()
    return Levels(counts={lv: int(getattr(row, level_column(lv))) for lv in sorted(LEVELS)},
                  not_rated=int(row.not_rated), awaiting=int(row.awaiting), set_aside=int(row.set_aside))


@dataclass(frozen=True)
class Durations:
    """How many of the period's transactions waited, and were served, for how long: counts
    per bucket, len(edges) + 1 of them (edges in minutes)."""

    wait_edges: tuple[int, ...]
    waits: list[int]
    service_edges: tuple[int, ...]
    services: list[int]


def durations(session: Session, *, spec: HallSpec, start: date, end: date) -> Durations:
    """Waiting: from the ticket's issue to its (last) call, so a transferred ticket's wait
    runs from its issue; service: from that call to the completion."""
    rows = session.execute(_period(
        select(DurationTotal.measure, DurationTotal.bucket, func.sum(DurationTotal.transactions)),
        table=DurationTotal, spec=spec, start=start, end=end)
        .group_by(DurationTotal.measure, DurationTotal.bucket)).all()
    counts = {Measure.WAIT: [0] * (len(WAIT_EDGES) + 1), Measure.SERVICE: [0] * (len(SERVICE_EDGES) + 1)}
    for measure, index, n in rows:
        counts[Measure(measure)][index] += int(n)
    return Durations(wait_edges=WAIT_EDGES, waits=counts[Measure.WAIT], service_edges=SERVICE_EDGES,
                     services=counts[Measure.SERVICE])
