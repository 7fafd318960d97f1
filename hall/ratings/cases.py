"""The follow-up of bad ratings: each opens a case due within the hall's working days; a
supervisor verifies it, has it rectified, calls the citizen back and closes it, or takes
the staff member's appeal (申诉) to review, where it is upheld (the rating is set aside) or
withdrawn (the follow-up goes on). Every step, with its note and who took it, is an event
in the hall's log, written with the change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import events
from hall.db import order_commits
from hall.errors import InvalidInput
from hall.hours import add_working_days
from hall.models import LoggedEvent, Rating, RatingCase, ServedTicket, Ticket
from hall.ratings import totals
from hall.ratings.terms import CASE_FINISHED, CASE_STEPS, CaseState, CaseStep, RatingRefusal, RatingRefused
from hall.spec import HallSpec
from hall.tickets import EventKind

NOTE_LENGTH = 500
HISTORY_KINDS = (EventKind.CASE_OPENED.value, EventKind.CASE_STEP.value)


@dataclass(frozen=True)
class CaseRecord:
    case: RatingCase
    rating: Rating
    number: str
    day: date          # the transaction's
    overdue: bool


@dataclass(frozen=True)
class CaseEvent:
    step: str          # "open" for the opening, else a CaseStep
    state: str
    note: str
    by: str | None     # the supervisor's job number
    at: datetime


def open_case(session: Session, *, spec: HallSpec, rating: Rating, now: datetime) -> RatingCase:
    opened = now.astimezone(spec.zone).date()
    case = RatingCase(hall_id=spec.hall.id, rating_id=rating.id, ticket_id=rating.ticket_id,
                      state=CaseState.OPEN.value, opened_at=now,
                      due=add_working_days(spec.hours, opened, spec.ratings.case_working_days))
    session.add(case)
    session.flush()
    _log(session, spec=spec, case=case, step="open", note="", by=None, now=now)
    return case


def take_step(session: Session, *, spec: HallSpec, case_id: int, step: CaseStep, note: str, job_no: str,
              now: datetime) -> RatingCase:
    """Moves the case on by one step, if the step follows from its state (terms.CASE_STEPS).
    The event log's lock comes first, as for every writer of ratings (hall.ratings.records):
    an upheld appeal changes the same totals as a rating given meanwhile."""
    if not isinstance(note, str) or not note.strip() or len(note) > NOTE_LENGTH:
        raise InvalidInput("note", f"each step needs a note of 1 to {NOTE_LENGTH} characters saying what was done")
    order_commits(session)
    case = _case(session, spec=spec, case_id=case_id, lock=True)
    state = CaseState(case.state)
    after = CASE_STEPS.get((state, CaseStep(step)))
    if after is None:
        allowed = [s.value for (st, s) in CASE_STEPS if st is state]
        raise RatingRefused(RatingRefusal.STEP_NOT_ALLOWED,
                            f"case {case_id} is {state.value}: {CaseStep(step).value} does not follow; "
                            f"{', '.join(allowed) or 'it is finished'}")
    case.state = after.value
    if after in CASE_FINISHED:
        case.finished_at = now
    if after is CaseState.UPHELD:
        rating = session.get(Rating, case.rating_id)
        rating.set_aside = True
        totals.set_aside(session, row=session.get(ServedTicket, rating.ticket_id), level=rating.level)
    _log(session, spec=spec, case=case, step=CaseStep(step).value, note=note.strip(), by=job_no, now=now)
    return case


def overdue(case: RatingCase, *, spec: HallSpec, now: datetime) -> bool:
    """Not finished by the end of its due day (or finished only after it)."""
    end = (case.finished_at or now).astimezone(spec.zone).date()
    return end > case.due


def cases(session: Session, *, spec: HallSpec, now: datetime, state: CaseState | None = None,
          unfinished: bool = False, only_overdue: bool = False, limit: int = 100) -> list[CaseRecord]:
    """Cases, the oldest due first; overdue ones are found by the calendar, so only unfinished
    ones past their day are read for `only_overdue`. A case is finished once it has its
    finished_at: the unfinished ones are read from their own small index (ix_case_open),
    however many finished ones the years leave."""
    query = _with_rating(select(RatingCase)).where(RatingCase.hall_id == spec.hall.id)
    if state is not None:
        query = query.where(RatingCase.state == state.value)
    if unfinished or only_overdue:
        query = query.where(RatingCase.finished_at.is_(None))
    if only_overdue:
        query = query.where(RatingCase.due < now.astimezone(spec.zone).date())
    rows = session.execute(query.order_by(RatingCase.due, RatingCase.id).limit(limit)).all()
    return [_record(row, spec=spec, now=now) for row in rows]


def one_case(session: Session, *, spec: HallSpec, case_id: int, now: datetime) -> CaseRecord:
    case = _case(session, spec=spec, case_id=case_id)
    return _record(session.execute(_with_rating(select(RatingCase)).where(RatingCase.id == case.id)).one(),
                   spec=spec, now=now)


def _with_rating(query):
    return (query.add_columns(Rating, Ticket.number, ServedTicket.day)
            .join(Rating, Rating.id == RatingCase.rating_id).join(Ticket, Ticket.id == RatingCase.ticket_id)
            .join(ServedTicket, ServedTicket.ticket_id == RatingCase.ticket_id))


def _record(row, *, spec: HallSpec, now: datetime) -> CaseRecord:
    case, rating, number, day = row
    return CaseRecord(case=case, rating=rating, number=number, day=day, overdue=overdue(case, spec=spec, now=now))


def history(session: Session, *, spec: HallSpec, case: RatingCase) -> list[CaseEvent]:
    """The case's steps as the event log holds them."""
    rows = session.execute(select(LoggedEvent.payload, LoggedEvent.at).where(
        LoggedEvent.hall_id == spec.hall.id, LoggedEvent.ticket_id == case.ticket_id, LoggedEvent.kind.in_(HISTORY_KINDS))
        .order_by(LoggedEvent.id)).all()
    out = []
    for payload, at in rows:
        step = json.loads(payload)["case"]
        if step["id"] == case.id:
            out.append(CaseEvent(step=step["step"], state=step["state"], note=step["note"], by=step["by"], at=at))
    return out


def _case(session: Session, *, spec: HallSpec, case_id: int, lock: bool = False) -> RatingCase:
    case = session.get(RatingCase, case_id, with_for_update=lock) if isinstance(case_id, int) else None
    if case is None or case.hall_id != spec.hall.id:
        raise RatingRefused(RatingRefusal.CASE_NOT_FOUND, f"no case {case_id!r} in hall {spec.hall.id!r}")
    return case


def _log(session: Session, *, spec: HallSpec, case: RatingCase, step: str, note: str, by: str | None,
         now: datetime) -> None:
    kind = EventKind.CASE_OPENED if step == "open" else EventKind.CASE_STEP
    events.append(session, hall_id=spec.hall.id, kind=kind, at=now, ticket_id=case.ticket_id, payload={"case": {
        "id": case.id, "rating_id": case.rating_id, "ticket_id": case.ticket_id, "step": step, "state": case.state,
        "note": note, "by": by, "due": case.due.isoformat()}})
