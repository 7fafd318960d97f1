"""Cases accepted below and decided above (县务镇办, 镇务村办), on the case's side.

A matter the catalogue marks `decided_at = "parent"` is accepted at a counter as any other;
its case is marked `referred` and goes up with an event written at its acceptance
(hall.matters.cases). The parent opens a case of its own for it (`open_referred`), marked
with the hall and case it came from and keeping the checklist as that hall gave it, whose
light it counts as its own; its staff work on it with the usual steps. Each step comes back
down (hall.uplink.down) and is applied to the original case (`apply_step`) with where and
by whom it was taken, so that the citizen follows it where they left it: its progress page,
the kiosk's 办件进度 and the phone notices of the hall that accepted it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hall.matters import cases, deadlines
from hall.matters.applicants import MASKED_ID
from hall.matters.catalogue import CODE, MAX_DAYS, Catalogue
from hall.matters.states import STEPS, MatterRefused, MatterState, MatterStep
from hall.models import MAX_ID, MatterCase
from hall.spec import HallSpec

Names = Annotated[dict[str, Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=3)]


class Referral(BaseModel):
    """A case as it comes up from the hall that accepted it (hall.uplink.wire keeps no more)."""

    id: int = Field(ge=1, le=MAX_ID)
    number: str = Field(min_length=1, max_length=16)
    code: str = Field(pattern=CODE)
    name: Names
    service: str = Field(min_length=1, max_length=32)
    department: str = Field(min_length=1, max_length=80)
    decided_by: str = Field(min_length=1, max_length=80)
    promised_days: int = Field(ge=0, le=MAX_DAYS)
    due: date
    applicant: str | None = Field(None, pattern=MASKED_ID)
    documents: list[Names] = Field(max_length=30)
    received: list[Annotated[int, Field(ge=0, le=29)]] = Field(max_length=30)


class BadReferral(ValueError):
    """A case from below that cannot be opened here: what is wrong with it."""


def open_referred(session: Session, *, spec: HallSpec, catalogue: Catalogue, origin: str, origin_name: str,
                  payload: object, at: datetime, now: datetime, yellow_days: int = 1) -> MatterCase:
    """The case of this hall for one the hall `origin` accepted at `at` for it to decide: once
    per case there (a repeat finds the one opened before). Its number is this hall's; the
    one on the citizen's receipt is kept beside it. Raises BadReferral for a payload that
    does not describe a case; nothing is written then."""
    try:
        referral = Referral.model_validate(payload.get("matter") if isinstance(payload, dict) else None)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise BadReferral(f"a case from {origin!r} that does not parse: {where}") from None
    if any(i >= len(referral.documents) for i in referral.received):
        raise BadReferral(f"case {referral.number} of {origin!r} names documents its checklist does not have")
    found = session.scalar(select(MatterCase).where(MatterCase.hall_id == spec.hall.id, MatterCase.origin == origin,
                                                    MatterCase.origin_case == referral.id))
    if found is not None:
        return found
    entry = catalogue.entry(referral.code)
    today = now.astimezone(spec.zone).date()
    case = MatterCase(
        hall_id=spec.hall.id, number=cases.next_number(session, hall_id=spec.hall.id, day=today),
        matter_code=referral.code, service=entry.matter.service if entry else referral.service,
        department=entry.department.name.zh_CN if entry else referral.decided_by, ticket_id=None,
        applicant_masked=referral.applicant, phone=None, person_hash=None, state=MatterState.ACCEPTED.value,
        promised_days=referral.promised_days, accepted_at=at, accepted_by=origin, accepted_here=origin_name,
        decided_by=referral.decided_by, agent=None, documents=",".join(map(str, sorted(set(referral.received)))),
        paused_days=0, late=False, due=referral.due, referred=False, origin=origin, origin_case=referral.id,
        origin_number=referral.number, carried=json.dumps({"name": referral.name, "documents": referral.documents},
                                                          ensure_ascii=False, separators=(",", ":")),
        light=deadlines.light_on(spec.hours, due=referral.due, today=today, yellow_days=yellow_days).value)
    session.add(case)
    session.flush()
    cases.record_step(session, spec=spec, case=case, step="open", note="", by=None, now=at, place=origin_name)
    return case


def apply_step(session: Session, *, spec: HallSpec, catalogue: Catalogue, case_id: int, number: str,
               step: MatterStep, by: str | None, place: str, at: datetime, note: str, received: list[int],
               citizen_channels: list[str], progress: Callable[[int], str]) -> str | None:
    """Applies a step the deciding level took to the case sent up from here, as of the moment
    it was taken there (a pause and its resumption count the days they did there), with the
    documents received there; the citizen who left a number is told as of any step. Returns
    why it was not applied (a case this hall did not send up, a step that does not follow),
    or None; nothing is written then."""
    case = session.get(MatterCase, case_id, with_for_update=True)
    if case is None or case.hall_id != spec.hall.id or not case.referred or case.number != number:
        return f"no case {case_id} numbered {number!r} was sent up from this hall"
    if (MatterState(case.state), step) not in STEPS:
        return f"case {number} is {case.state} here: {step.value} does not follow"
    new = sorted(set(received) - set(cases.received(case)))
    try:
        with session.begin_nested():
            cases.take_step(session, spec=spec, catalogue=catalogue, case_id=case.id, step=step, job_no=by, now=at,
                            note=note, documents=new, citizen_channels=citizen_channels, progress=progress(case.id),
                            place=place)
    except MatterRefused as exc:
        return str(exc)
    return None
