"""The down path: cases a child sent up (hall.matters.referrals) are worked on here, and each
step taken on them goes back to the child with the answer to its next batch.

The parent keeps nothing per child for it: each batch names the last of the parent's steps
its sender applied (`steps_after`), and the answer carries those after it, in the order of
their ids, which is their commit order (every step takes the event log's lock first:
hall.db.order_commits). The child applies them and writes the last one's id in the
transaction that applies them, so a sender killed between the answer and that commit is
sent the same steps again, and one killed after it is not: each step is applied once, in
order. A child is sent the steps of its own cases alone.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall.matters import referrals
from hall.matters.cases import received
from hall.matters.catalogue import Catalogue
from hall.models import MatterCase, MatterCaseStep
from hall.spec import HallSpec
from hall.uplink.wire import DownStep

log = logging.getLogger(__name__)

STEPS_PER_ANSWER = 200


def steps_for(session: Session, *, spec: HallSpec, child_id: str, after: int,
              limit: int = STEPS_PER_ANSWER) -> tuple[list[DownStep], bool]:
    """The steps taken here on the cases `child_id` sent up, after the step `after`; and
    whether more follow them."""
    query = (select(MatterCaseStep, MatterCase).join(MatterCase, MatterCase.id == MatterCaseStep.matter_id)
             .where(MatterCase.hall_id == spec.hall.id, MatterCase.origin == child_id, MatterCaseStep.id > after,
                    MatterCaseStep.step != "open")
             .order_by(MatterCaseStep.id).limit(limit + 1))
    rows = session.execute(query).all()
    place = spec.hall.name.zh_CN
    return [DownStep(cursor=step.id, case=case.origin_case, number=case.origin_number, step=step.step,
                     state=step.state, by=step.by, place=place, at=step.at, note=step.note, received=received(case))
            for step, case in rows[:limit]], len(rows) > limit


def apply(session: Session, *, spec: HallSpec, catalogue: Catalogue, steps: list[DownStep], applied: int,
          citizen_channels: list[str], progress: Callable[[int], str]) -> int:
    """Applies the parent's steps that follow `applied`, in order, and returns the last one's
    cursor: what the next batch names. A repeat, or a step out of order, is passed over; a
    step for a case this hall did not send up, or that does not follow from its state, is
    logged with its reason and passed over, for it can never apply."""
    for step in steps:
        if step.cursor <= applied:
            log.info("uplink: the parent's step %s came again or out of order; applied already up to %s",
                     step.cursor, applied)
            continue
        refused = referrals.apply_step(session, spec=spec, catalogue=catalogue, case_id=step.case,
                                       number=step.number, step=step.step, by=step.by, place=step.place, at=step.at,
                                       note=step.note, received=step.received, citizen_channels=citizen_channels,
                                       progress=progress)
        if refused is not None:
            log.warning("uplink: the parent's step %s (%s of case %s) not applied: %s", step.cursor, step.step.value,
                        step.number, refused)
        applied = step.cursor
    return applied
