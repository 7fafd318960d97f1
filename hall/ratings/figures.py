"""The figures a supervisor reads, per staff member, counter, service, department or day of
the transactions completed in a period (definitions: docs/ratings.md). Counted by the database
in one grouped query over the period's transactions, whatever the number of ratings.

A rating set aside by an upheld appeal counts nowhere: the transaction is then neither rated
nor not rated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from hall.models import Rating, ServedTicket
from hall.ratings.terms import BAD_UP_TO, SATISFIED_FROM, Grouping, RatingState
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
