"""What supervisors count of the cases (电子监察): the open ones by light, department and
staff member, and each month's on-time rate (按时办结率) per department and service: the
completed cases not late among all completed in the month."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hall.matters.states import OPEN_STATES, MatterState
from hall.models import MatterCase
from hall.spec import HallSpec


@dataclass(frozen=True)
class OpenCount:
    key: str
    green: int
    yellow: int
    red: int
    waiting: int       # waiting for documents


@dataclass(frozen=True)
class OnTime:
    key: str
    completed: int
    late: int

    @property
    def rate(self) -> float | None:
        return None if not self.completed else (self.completed - self.late) / self.completed


def open_counts(session: Session, *, spec: HallSpec, by: str) -> list[OpenCount]:
    """Open cases per department or per staff member (`by`: department or accepted_by)."""
    column = getattr(MatterCase, by)
    counted = [func.sum(case((MatterCase.light == light, 1), else_=0)) for light in ("green", "yellow", "red")]
    waiting = func.sum(case((MatterCase.state == MatterState.WAITING_DOCUMENTS.value, 1), else_=0))
    rows = session.execute(select(column, *counted, waiting).where(
        MatterCase.hall_id == spec.hall.id, MatterCase.state.in_([s.value for s in OPEN_STATES]),
        MatterCase.closed_at.is_(None))   # read through the open cases' partial index
        .group_by(column).order_by(column)).all()
    return [OpenCount(key, int(g or 0), int(y or 0), int(r or 0), int(w or 0)) for key, g, y, r, w in rows]


def on_time(session: Session, *, spec: HallSpec, month: date, by: str) -> list[OnTime]:
    """The month's completed cases per department or service (`by`), and how many late."""
    first = month.replace(day=1)
    start = datetime.combine(first, time(), tzinfo=spec.zone)
    end = datetime.combine((first + timedelta(days=32)).replace(day=1), time(), tzinfo=spec.zone)
    column = getattr(MatterCase, by)
    rows = session.execute(select(column, func.count(), func.sum(case((MatterCase.late.is_(True), 1), else_=0)))
                           .where(MatterCase.hall_id == spec.hall.id,
                                  MatterCase.state == MatterState.COMPLETED.value,
                                  MatterCase.closed_at >= start, MatterCase.closed_at < end)
                           .group_by(column).order_by(column)).all()
    return [OnTime(key, int(n), int(late or 0)) for key, n, late in rows]
