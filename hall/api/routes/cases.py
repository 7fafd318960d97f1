"""Follow-up cases of bad ratings, for supervisors: the list (overdue ones flagged by the
hall's calendar), one case with its history, and its next step with a note."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from hall.api.deps import HallDep, IdempotencyKey, Supervisor
from hall.models import MAX_ID
from hall.ratings import cases
from hall.ratings.terms import CaseState
from hall.schemas import CasePublic, CaseStepRequest, Problem

router = APIRouter(prefix="/cases", tags=["cases"], responses={404: {"model": Problem}})

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[CasePublic], summary="Cases, the soonest due first (supervisors)")
def case_list(hall: HallDep, _who: Supervisor, state: CaseState | None = None,
              unfinished: Annotated[bool, Query(description="only those not closed nor upheld")] = False,
              overdue: Annotated[bool, Query(description="only unfinished ones past their due day")] = False,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[CasePublic]:
    with hall.engine.reading() as session:
        return [CasePublic.of(c) for c in cases.cases(session, spec=hall.spec, now=hall.clock(), state=state,
                                                      unfinished=unfinished, only_overdue=overdue, limit=limit)]


@router.get("/{case_id}", response_model=CasePublic, summary="A case with its steps (supervisors)")
def one_case(case_id: CaseId, hall: HallDep, _who: Supervisor) -> CasePublic:
    with hall.engine.reading() as session:
        return _with_history(session, hall, case_id)


@router.post("/{case_id}/steps", response_model=CasePublic,
             responses={409: {"model": Problem, "description": "error=rating_refused, reason=step_not_allowed"}},
             summary="Take the case's next step with a note (supervisors): verify, rectify, callback, close; "
                     "appeal, review, uphold or withdraw")
def take_step(case_id: CaseId, body: CaseStepRequest, request: Request, hall: HallDep, who: Supervisor,
              key: IdempotencyKey = None):
    def write(session) -> str:
        cases.take_step(session, spec=hall.spec, case_id=case_id, step=body.step, note=body.note,
                        job_no=who.job_no, now=hall.clock())
        return _with_history(session, hall, case_id).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


def _with_history(session, hall, case_id: int) -> CasePublic:
    record = cases.one_case(session, spec=hall.spec, case_id=case_id, now=hall.clock())
    return CasePublic.of(record, cases.history(session, spec=hall.spec, case=record.case))
