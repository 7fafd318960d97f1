"""A counter's receipt printer: the one beside its counter terminal, which drives it and
tells the hall it has one (hall.matters.receipt_jobs). Staff or a supervisor ask for a case's
acceptance receipt (受理回执) there; the request is an event (receipt_requested) that the
counter's terminal hears on its live events. The terminal fetches the printout, prints it
and answers with the outcome (receipt_printed or receipt_not_printed), which the console
hears in turn. The server reaches no printer and waits on none."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request

from hall import accounts
from hall.api.deps import CounterTerminal, HallDep, IdempotencyKey, OperatedCounter, StaffMember
from hall.api.errors import ApiError
from hall.api.server import HallServer
from hall.matters import receipt_jobs
from hall.matters.case_sheet import case_sheet
from hall.matters.receipt_printout import MAX_QR_PAYLOAD, receipt_printout
from hall.matters.schemas import (ReceiptJobPublic, ReceiptOutcomePublic, ReceiptOutcomeRequest,
                                  ReceiptPrintoutPublic, ReceiptPrintRequest)
from hall.models import MAX_ID
from hall.schemas import CounterId, Problem
from hall.web.i18n import Texts

router = APIRouter(prefix="/counters", tags=["counters"], responses={404: {"model": Problem}})

JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="the job, as its request answered")]
TERMINALS_ONLY = {403: {"model": Problem, "description": "not_your_counter: the counter's own terminal only"}}


def _checked_link(hall: HallServer, request: Request, case_id: int) -> str:
    link = hall.case_link(request, case_id)
    if len(link.encode()) > MAX_QR_PAYLOAD:   # made from the request's Host where no --public-url is set
        raise ApiError(422, "invalid", f"the case's progress link would be {len(link.encode())} bytes, more than "
                                       f"the receipt's QR code holds ({MAX_QR_PAYLOAD}): the request's Host header "
                                       "is too long; send the server's own address, or set --public-url")
    return link


def _own_counter(session, hall: HallServer, who, counter_id: str) -> None:
    if counter_id not in accounts.bound_counters(session, hall_id=hall.hall_id, device_id=who.device_id):
        raise ApiError(403, "not_your_counter", f"{who.name} is not counter {counter_id}'s terminal")


def _job(session, hall: HallServer, counter_id: str, job: int):
    found = receipt_jobs.requested(session, hall_id=hall.hall_id, counter=counter_id, job=job)
    if found is None:
        raise ApiError(404, "not_found", f"no receipt job {job} at counter {counter_id}")
    return found


@router.post("/{counter_id}/printer/receipts", response_model=ReceiptJobPublic, status_code=202,
             responses={409: {"model": Problem, "description": "no_printer: no terminal of the counter has reported "
                                                               "a receipt printer"},
                        422: {"model": Problem, "description": "invalid: the case's link too long for the QR code"}},
             summary="Ask the counter's terminal to print a case's acceptance receipt (its staff, supervisors)")
def print_receipt(counter_id: OperatedCounter, body: ReceiptPrintRequest, request: Request, hall: HallDep,
                  who: StaffMember, key: IdempotencyKey = None):
    today = hall.clock().astimezone(hall.spec.zone).date()
    with hall.engine.reading() as session:
        case_sheet(session, spec=hall.spec, catalogue=hall.catalogue, case_id=body.case_id, today=today)
    _checked_link(hall, request, body.case_id)

    def write(session) -> str:
        if counter_id not in receipt_jobs.printer_counters(session, hall_id=hall.hall_id):
            raise ApiError(409, "no_printer", f"counter {counter_id} has no receipt printer: no terminal of it has "
                                              "reported one (kiosk.toml: [counter] receipt_printer)")
        job = receipt_jobs.request(session, hall_id=hall.hall_id, counter=counter_id, case_id=body.case_id,
                                   language=body.language, now=hall.clock())
        return ReceiptJobPublic(job=job, counter=counter_id, case_id=body.case_id).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(),
                      write=write, status_code=202)


@router.get("/{counter_id}/printer/receipts/{job}", response_model=ReceiptPrintoutPublic,
            responses={**TERMINALS_ONLY, 410: {"model": Problem, "description": "expired: asked for more than a "
                                                                                "minute ago, not to be printed"}},
            summary="A receipt job's printout, laid out by the terminal for its paper (the counter's terminal)")
def printout(counter_id: CounterId, job: JobId, request: Request, hall: HallDep,
             who: CounterTerminal) -> ReceiptPrintoutPublic:
    now = hall.clock()
    with hall.engine.reading() as session:
        _own_counter(session, hall, who, counter_id)
        found = _job(session, hall, counter_id, job)
        if now - found.at > receipt_jobs.FRESH:
            raise ApiError(410, "expired", f"receipt job {job} was asked for more than "
                                           f"{receipt_jobs.FRESH.seconds} s ago: not printed now (ask again)")
        asked = json.loads(found.payload)
        sheet = case_sheet(session, spec=hall.spec, catalogue=hall.catalogue, case_id=asked["case_id"],
                           today=now.astimezone(hall.spec.zone).date())
    language = asked["language"]
    return receipt_printout(sheet, texts=Texts(language), hall_name=hall.spec.hall.name.get(language),
                            link=_checked_link(hall, request, asked["case_id"]))


@router.post("/{counter_id}/printer/receipts/{job}/outcome", response_model=ReceiptOutcomePublic,
             responses={**TERMINALS_ONLY, 409: {"model": Problem, "description": "answered: the job has another "
                                                                                  "outcome already"}},
             summary="What came of a receipt job: printed, or why not (the counter's terminal)")
def outcome(counter_id: CounterId, job: JobId, body: ReceiptOutcomeRequest, request: Request, hall: HallDep,
            who: CounterTerminal, key: IdempotencyKey = None):
    def write(session) -> str:
        _own_counter(session, hall, who, counter_id)
        found = _job(session, hall, counter_id, job)
        given = {"printed": body.printed, "problem": body.problem.value if body.problem else None,
                 "paper_low": body.paper_low}
        before = receipt_jobs.outcome(session, hall_id=hall.hall_id, job=found)
        if before is not None and {k: before.get(k) for k in given} != given:
            raise ApiError(409, "answered", f"receipt job {job} was answered already: "
                                            f"{'printed' if before.get('printed') else before.get('problem')}")
        if before is None:
            receipt_jobs.answer(session, hall_id=hall.hall_id, job=found, **given, detail=body.detail, now=hall.clock())
        return ReceiptOutcomePublic(job=job, counter=counter_id, **given).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)
