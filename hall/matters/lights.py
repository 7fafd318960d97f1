"""The lights of the open cases (电子监察), recomputed when the hall's day changes.

A light depends on the day alone: red once the due day has passed, yellow from the hall's
`yellow_days` working days before it. So a new day needs two bounds from the calendar, not a
computation per case, and the cases that change are found and changed by two statements
whatever their number; a case waiting for documents keeps its light, its clock standing
still. Each change is written with the notices it owes (hall.matters.notices, one per
channel) and one event for the console's alarm line, in one transaction: a change is never
without its notices, and a notice never without its change.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, literal, select, update
from sqlalchemy.orm import Session

from hall import events
from hall.db import order_commits
from hall.hours import add_working_days
from hall.matters.states import Light
from hall.matters.supervision import Supervision
from hall.models import MatterCase, MatterNotice
from hall.spec import HallSpec
from hall.tickets import EventKind

log = logging.getLogger(__name__)
SHOWN = 20  # the case numbers an event and a log line name; the rest are counted

_cases = MatterCase.__table__


@dataclass(frozen=True)
class LightChange:
    light: Light
    numbers: list[str]


def recompute(session: Session, *, spec: HallSpec, supervision: Supervision, now: datetime) -> list[LightChange]:
    """Turns yellow the green cases near their due day and red those past it, as of the
    hall's day at `now`; returns what changed. The event log's lock comes first, as for
    every writer of events."""
    order_commits(session)
    today = now.astimezone(spec.zone).date()
    yellow_until = add_working_days(spec.hours, today, supervision.yellow_days)
    at = literal(now, MatterNotice.created_at.type)
    changes = []
    # Read from the open cases' index by light and due day (ix_matter_open): only the few
    # about to turn are visited, however many are open.
    for light, before, bound in ((Light.RED, (Light.GREEN, Light.YELLOW), _cases.c.due < today),
                                 (Light.YELLOW, (Light.GREEN,), _cases.c.due.between(today, yellow_until))):
        turning = and_(_cases.c.hall_id == spec.hall.id, _cases.c.closed_at.is_(None),
                       _cases.c.light.in_([b.value for b in before]), bound, _cases.c.paused_since.is_(None))
        for channel in supervision.channels:
            session.execute(insert(MatterNotice).from_select(
                ["hall_id", "matter_id", "light", "channel", "created_at", "attempts", "next_try_at", "last_error"],
                select(_cases.c.hall_id, _cases.c.id, literal(light.value), literal(channel), at, literal(0), at,
                       literal("")).where(turning)))
        numbers = list(session.scalars(update(_cases).where(turning).values(light=light.value)
                                       .returning(_cases.c.number)))
        if numbers:
            changes.append(LightChange(light=light, numbers=sorted(numbers)))
    for change in changes:
        shown = ", ".join(change.numbers[:SHOWN]) + (" …" if len(change.numbers) > SHOWN else "")
        log.warning("%d case(s) turned %s: %s", len(change.numbers), change.light.value, shown)
        events.append(session, hall_id=spec.hall.id, kind=EventKind.MATTER_LIGHT, at=now,
                      payload={"light": change.light.value, "count": len(change.numbers),
                               "numbers": change.numbers[:SHOWN], "day": today.isoformat()})
    return changes

