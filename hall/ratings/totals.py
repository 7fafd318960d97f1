"""The daily totals the supervisor's figures are read from (rating_totals, duration_totals),
kept by the writes that change a transaction, in their transaction: its completion, the end
of its prompt, its rating, and an upheld appeal setting its rating aside. A month of a large
hall is then a few thousand rows to add up, not a million transactions to join and count.

Each change is an upsert that adds to the counts in the database (INSERT … ON CONFLICT DO
UPDATE SET n = n + excluded.n), never a count read and written back, so two writers at once
each add theirs: PostgreSQL makes the second wait on the row the first holds, SQLite has
one writer at a time.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hall.models import DurationTotal, RatingTotal, ServedTicket, Ticket
from hall.ratings.terms import LEVELS, RatingState

# Bucket edges in minutes: a transaction waited (or was served) under the first edge, from
# one edge to the next, or the last edge and more. A time on an edge counts in the bucket it
# opens. Changing them needs the duration_totals counted again from the transactions.
WAIT_EDGES = (5, 10, 15, 20, 30, 45, 60)
SERVICE_EDGES = (2, 5, 10, 15, 20, 30)


class Measure(str, Enum):
    WAIT = "wait"          # from the ticket's issue to its (last) call
    SERVICE = "service"    # from that call to the completion


def level_column(level: int) -> str:
    return f"level_{level}"


LEVEL_COLUMNS = tuple(level_column(level) for level in sorted(LEVELS))
STATE_COLUMNS = {RatingState.AWAITING: "awaiting", RatingState.NOT_RATED: "not_rated"}


def served(session: Session, *, row: ServedTicket, ticket: Ticket) -> None:
    """A transaction completed: it awaits its prompt, and its times fall in their buckets."""
    _add(session, RatingTotal, _key(row), {STATE_COLUMNS[RatingState.AWAITING]: 1})
    times = ((Measure.WAIT, ticket.issued_at, ticket.called_at, WAIT_EDGES),
             (Measure.SERVICE, ticket.called_at, row.completed_at, SERVICE_EDGES))
    for measure, start, end, edges in times:
        index = bucket(start, end, edges)
        if index is not None:
            _add(session, DurationTotal, {"hall_id": row.hall_id, "day": row.day, "measure": measure.value,
                                          "bucket": index}, {"transactions": 1})


def prompt_ended(session: Session, *, row: ServedTicket) -> None:
    """Awaiting → not rated."""
    _add(session, RatingTotal, _key(row), {STATE_COLUMNS[RatingState.AWAITING]: -1,
                                           STATE_COLUMNS[RatingState.NOT_RATED]: 1})


def rated(session: Session, *, row: ServedTicket, was: RatingState, level: int) -> None:
    """Awaiting or not rated (`was`) → rated at `level`."""
    _add(session, RatingTotal, _key(row), {STATE_COLUMNS[was]: -1, level_column(level): 1})


def set_aside(session: Session, *, row: ServedTicket, level: int) -> None:
    """An upheld appeal: the rating at `level` counts no more."""
    _add(session, RatingTotal, _key(row), {level_column(level): -1, "set_aside": 1})


def bucket(start: datetime | None, end: datetime | None, edges: tuple[int, ...]) -> int | None:
    """The bucket's index; None for a time unknown or running backwards (a clock set back)."""
    if start is None or end is None or end < start:
        return None
    seconds = (end - start).total_seconds()
    return next((i for i, edge in enumerate(edges) if seconds < edge * 60), len(edges))


def _key(row: ServedTicket) -> dict:
    return {"hall_id": row.hall_id, "day": row.day, "staff_job_no": row.staff_job_no or "", "counter": row.counter,
            "service": row.service, "department": row.department}


def _add(session: Session, table, key: dict, counts: dict[str, int]) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**key, **counts)
    session.execute(statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: getattr(table, name) + getattr(statement.excluded, name) for name in counts}))
