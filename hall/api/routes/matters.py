"""Cases of the catalogue's matters (办件) for staff: accepted at a counter (for the ticket
being served or a walk-in), listed, read with their timeline, and moved step by step. A step
that does not follow is a 409 naming the steps that would; nothing is written. A phone number
the citizen left for their notices is shown masked and kept out of the request's digest."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from hall.api.deps import HallDep, IdempotencyKey, StaffMember
from hall.api.server import HallServer
from hall.errors import InvalidInput
from hall.matters import cases, notices
from hall.matters.applicants import Applicant, lookup_hash, masked, masked_phone, national
from hall.matters.schemas import MatterCasePublic, MatterCaseRequest, MatterStepRequest
from hall.matters.states import Light, MatterState
from hall.models import MAX_ID
from hall.schemas import Problem

router = APIRouter(prefix="/matters", tags=["matters"], responses={404: {"model": Problem}})

CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[MatterCasePublic], summary="Cases, open ones the soonest due first (staff)")
def case_list(hall: HallDep, _who: StaffMember, state: MatterState | None = None, light: Light | None = None,
              department: Annotated[str | None, Query(max_length=80)] = None,
              staff: Annotated[str | None, Query(max_length=32, description="accepted by this job number")] = None,
              open_only: Annotated[bool, Query(alias="open", description="only those not yet closed")] = False,
              closed_on: Annotated[date | None, Query(description="only those closed on this day (hall-local)")] = None,
              from_below: Annotated[bool, Query(description="only those accepted at halls below for this hall to "
                                                            "decide (县务镇办)")] = False,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[MatterCasePublic]:
    with hall.engine.reading() as session:
        found = cases.cases(session, spec=hall.spec, state=state, light=light, department=department, staff=staff,
                            open_only=open_only, closed_on=closed_on, from_below=from_below, limit=limit)
        told = notices.told_citizens(session, case_ids=[case.id for case in found])
        return [public(hall, case, told[case.id]) for case in found]


@router.post("", response_model=MatterCasePublic, status_code=201,
             responses={409: {"model": Problem}, 422: {"model": Problem, "description": "error=matter_refused: "
                        "unknown_matter, reason_required, agent_not_offered or unknown_document; or invalid"}},
             summary="Accept a case of a matter (受理), or record it not accepted with its reason (staff)")
def open_case(body: MatterCaseRequest, request: Request, hall: HallDep, who: StaffMember, key: IdempotencyKey = None):
    applicant = None
    if body.id_number is not None:
        applicant = Applicant(masked=masked(body.id_number), person_hash=lookup_hash(hall.person_keys, body.id_number))
    phone = None if body.phone is None else national(body.phone)
    if phone is not None and not hall.supervision.citizen_channels:
        raise InvalidInput("phone", "this hall tells citizens nothing by phone: its supervision.toml names no "
                                    "channel for them, so no number is taken")
    # The request's digest is kept with its idempotency key: it is made without the numbers.
    kept = body.model_copy(update={"id_number": applicant.person_hash if applicant else None,
                                   "phone": phone and masked_phone(phone)})

    def write(session) -> str:
        case = cases.open_case(session, spec=hall.spec, catalogue=hall.catalogue, code=body.matter_code,
                               job_no=who.job_no, now=hall.clock(), ticket_id=body.ticket_id, applicant=applicant,
                               documents=body.documents, agent=body.agent, refused_reason=body.refused_reason,
                               yellow_days=hall.supervision.yellow_days, phone=phone)
        return public(hall, case, [], session).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=kept.model_dump_json(), write=write, status_code=201)


@router.get("/{case_id}", response_model=MatterCasePublic, summary="A case with its timeline (staff)")
def one_case(case_id: CaseId, hall: HallDep, _who: StaffMember) -> MatterCasePublic:
    with hall.engine.reading() as session:
        case = cases.one_case(session, spec=hall.spec, case_id=case_id)
        return public(hall, case, notices.told_citizens(session, case_ids=[case.id])[case.id], session)


@router.post("/{case_id}/steps", response_model=MatterCasePublic,
             responses={409: {"model": Problem, "description": "error=matter_refused, reason=step_not_allowed"},
                        422: {"model": Problem, "description": "error=matter_refused: reason_required or "
                                                                "unknown_document; or invalid"}},
             summary="Take the case's next step (staff): start, request_documents (its clock stops), resume, "
                     "complete, return; the citizen who left a number is told of request_documents and complete")
def take_step(case_id: CaseId, body: MatterStepRequest, request: Request, hall: HallDep, who: StaffMember,
              key: IdempotencyKey = None):
    def write(session) -> str:
        case = cases.take_step(session, spec=hall.spec, catalogue=hall.catalogue, case_id=case_id, step=body.step,
                               job_no=who.job_no, now=hall.clock(), note=body.note, documents=body.documents,
                               citizen_channels=hall.supervision.citizen_channels,
                               progress=hall.case_link(request, case_id))
        told = notices.told_citizens(session, case_ids=[case.id])[case.id]
        return public(hall, case, told, session).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


def public(hall: HallServer, case, told, session=None) -> MatterCasePublic:
    """The case as the API shows it, with its citizens' notices (notices.told_citizens); with
    its timeline when `session` is given."""
    today = hall.clock().astimezone(hall.spec.zone).date()
    return MatterCasePublic.of(case, entry=hall.catalogue.entry(case.matter_code),
                               due=cases.due_now(case, spec=hall.spec, today=today), received=cases.received(case),
                               notices=told, steps=None if session is None else cases.timeline(session, case=case))
