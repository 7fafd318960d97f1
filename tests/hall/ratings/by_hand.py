"""The figures' totals counted by hand from the transactions' own rows, and the totals as the
writes kept them, in one shape for comparison."""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import select

from hall.models import DurationTotal, Rating, RatingTotal, ServedTicket, Ticket
from hall.ratings import figures
from hall.ratings.terms import Grouping

KEY = ("day", "staff_job_no", "counter", "service", "department")


def counted_by_hand(session, spec) -> tuple[dict, dict]:
    """From the rows: per (day, staff, counter, service, department) how many transactions
    await, were not rated, were rated at each level, or had their rating set aside; and per
    (day, measure) how many fell in each bucket of minutes (an edge opens its bucket)."""
    states: dict[tuple, Counter] = defaultdict(Counter)
    times: dict[tuple, Counter] = defaultdict(Counter)
    rows = session.execute(select(ServedTicket, Rating, Ticket).join(Ticket, Ticket.id == ServedTicket.ticket_id)
                           .outerjoin(Rating, Rating.ticket_id == ServedTicket.ticket_id)
                           .where(ServedTicket.hall_id == spec.hall.id)).all()
    for served, rating, ticket in rows:
        key = (served.day, served.staff_job_no or "", served.counter, served.service, served.department)
        if rating is None:
            states[key][served.rating_state] += 1
        else:
            states[key]["set_aside" if rating.set_aside else f"level_{rating.level}"] += 1
        for measure, start, end, edges in (("wait", ticket.issued_at, ticket.called_at, figures.WAIT_EDGES),
                                           ("service", ticket.called_at, served.completed_at, figures.SERVICE_EDGES)):
            times[(served.day, measure)][bisect_right(edges, (end - start).total_seconds() / 60)] += 1
    return states, times


def kept_totals(session) -> tuple[dict, dict]:
    """The totals as the writes kept them, without their zeros."""
    states = {}
    for row in session.scalars(select(RatingTotal)):
        counts = Counter({name: getattr(row, name) for name in
                          ("awaiting", "not_rated", "set_aside", *(f"level_{lv}" for lv in range(1, 6)))})
        states[tuple(getattr(row, k) for k in KEY)] = nonzero(counts)
    times: dict[tuple, Counter] = defaultdict(Counter)
    for row in session.scalars(select(DurationTotal)):
        times[(row.day, row.measure)][row.bucket] += row.transactions
    return states, {k: nonzero(v) for k, v in times.items()}


def nonzero(counts: Counter) -> dict:
    """The counts without their zeros (a negative one stays, to be seen)."""
    return {k: v for k, v in counts.items() if v != 0}


def as_kept(counted: tuple[dict, dict]) -> tuple[dict, dict]:
    return tuple({k: nonzero(v) for k, v in part.items()} for part in counted)


def hand_figures(states: dict, by: Grouping, threshold: int) -> dict[str, tuple]:
    """(transactions, rated, not rated, satisfied, bad, below the threshold) per key."""
    position = {Grouping.DAY: 0, Grouping.STAFF: 1, Grouping.COUNTER: 2, Grouping.SERVICE: 3, Grouping.DEPARTMENT: 4}
    summed: dict[str, Counter] = defaultdict(Counter)
    for key, counts in states.items():
        value = key[position[by]]
        summed[value.isoformat() if isinstance(value, date) else value].update(counts)
    out = {}
    for key, c in summed.items():
        satisfied = c["level_3"] + c["level_4"] + c["level_5"]
        rated = satisfied + c["level_1"] + c["level_2"]
        out[key] = (sum(c.values()), rated, c["not_rated"], satisfied, c["level_1"] + c["level_2"],
                    rated > 0 and satisfied / rated < threshold / 100)
    return out
