"""Call-backs (回访): a citizen chosen for one leaves a phone number at the counter terminal or
on the phone page; supervisors list whom to call and record each call, whose answer is the
transaction's rating (channel callback)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from hall import accounts
from hall.api.deps import CounterTerminal, HallDep, IdempotencyKey, Supervisor
from hall.models import MAX_ID
from hall.ratings import callbacks, records
from hall.schemas import (CallbackDone, CallbackPublic, CallRecord, CounterPhoneRequest, PhoneRequest, Problem,
                          RatingStatusPublic)

router = APIRouter(prefix="/callbacks", tags=["callbacks"], responses={
    404: {"model": Problem}, 409: {"model": Problem, "description": "error=rating_refused, reason=no_callback, ..."}})


@router.get("", response_model=list[CallbackPublic],
            summary="Whom to phone back: chosen, not rated, not yet called, a number left (supervisors)")
def due(hall: HallDep, _who: Supervisor, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[CallbackPublic]:
    with hall.engine.reading() as session:
        return [CallbackPublic(ticket_id=c.served.ticket_id, number=c.number, service=c.served.service,
                               counter=c.served.counter, completed_at=c.served.completed_at, phone=c.served.phone)
                for c in callbacks.due_calls(session, spec=hall.spec, limit=limit)]


@router.post("/phone", response_model=RatingStatusPublic,
             summary="The citizen leaves a number for the call-back (the counter terminal of its counter)")
def phone_at_counter(body: CounterPhoneRequest, request: Request, hall: HallDep, who: CounterTerminal,
                     key: IdempotencyKey = None):
    def write(session) -> str:
        counters = accounts.bound_counters(session, hall_id=hall.hall_id, device_id=who.device_id)
        return _left(session, hall, body.ticket_id, body.phone, counters)
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


@router.post("/by-link/{token}/phone", response_model=RatingStatusPublic,
             summary="The citizen leaves a number for the call-back (public: the ticket's phone page)")
def phone_by_link(token: Annotated[str, Path(max_length=100)], body: PhoneRequest, request: Request, hall: HallDep,
                  key: IdempotencyKey = None):
    ticket_id = hall.engine.ticket_by_token(token).id
    return hall.write(request, principal=f"ticket:{ticket_id}", key=key, body=body.model_dump_json(),
                      write=lambda session: _left(session, hall, ticket_id, body.phone, None))


def _left(session, hall, ticket_id: int, phone: str, counters: tuple[str, ...] | None) -> str:
    now = hall.clock()
    callbacks.leave_phone(session, spec=hall.spec, ticket_id=ticket_id, phone=phone, now=now, counters=counters)
    return RatingStatusPublic.of(records.status(session, spec=hall.spec, ticket_id=ticket_id)).model_dump_json()


@router.post("/{ticket_id}", response_model=CallbackDone,
             summary="Record the call made (supervisors): its answer is the rating; the number is removed")
def record_call(ticket_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: CallRecord, request: Request, hall: HallDep,
                who: Supervisor, key: IdempotencyKey = None):
    def write(session) -> str:
        rating = callbacks.record_call(session, spec=hall.spec, ticket_id=ticket_id, outcome=body.outcome,
                                       job_no=who.job_no, now=hall.clock(), level=body.level, reasons=body.reasons,
                                       comment=body.comment)
        return CallbackDone(ticket_id=ticket_id, outcome=body.outcome, rated=rating is not None).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)
