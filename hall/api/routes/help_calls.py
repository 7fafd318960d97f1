"""Help calls (呼叫工作人员): a kiosk raises one, staff consoles see it live (events
help_requested and help_taken) and a staff member takes it; the kiosk asks after its call
to tell the citizen that someone is coming."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from hall import help_calls
from hall.api.deps import Anyone, HallDep, IdempotencyKey, Kiosk, StaffMember
from hall.api.errors import ApiError
from hall.models import MAX_ID
from hall.schemas import DeviceKind, HelpCallPublic, HelpRequest, Problem

router = APIRouter(prefix="/help-calls", tags=["help calls"], responses={404: {"model": Problem}})

CallId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", response_model=HelpCallPublic,
             summary="Call for staff from this kiosk; pressing again while its call is open raises no new alert")
def raise_call(body: HelpRequest, request: Request, hall: HallDep, who: Kiosk, key: IdempotencyKey = None):
    def write(session) -> str:
        call = help_calls.raise_call(session, hall_id=hall.hall_id, device_id=who.device_id,
                                     location=body.location.strip(), now=hall.clock())
        return HelpCallPublic.of(call).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


@router.get("", response_model=list[HelpCallPublic], summary="The open help calls, oldest first (staff)")
def open_calls(hall: HallDep, _who: StaffMember) -> list[HelpCallPublic]:
    with hall.engine.reading() as session:
        return [HelpCallPublic.of(c) for c in help_calls.open_calls(session, hall_id=hall.hall_id)]


@router.get("/{call_id}", response_model=HelpCallPublic,
            summary="One help call: staff see any, a kiosk its own (taken_at set: someone is coming)")
def one_call(call_id: CallId, hall: HallDep, who: Anyone) -> HelpCallPublic:
    if not who.is_staff and who.device_kind is not DeviceKind.KIOSK:
        raise ApiError(403, "forbidden", f"{who.name} may not read help calls")
    try:
        with hall.engine.reading() as session:
            return HelpCallPublic.of(help_calls.one_call(session, hall_id=hall.hall_id, call_id=call_id,
                                                         device_id=None if who.is_staff else who.device_id))
    except help_calls.HelpCallNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


@router.post("/{call_id}/take", response_model=HelpCallPublic,
             summary="I am going (staff); a call already taken stays with whoever took it first")
def take(call_id: CallId, request: Request, hall: HallDep, who: StaffMember, key: IdempotencyKey = None):
    def write(session) -> str:
        call = help_calls.take(session, hall_id=hall.hall_id, call_id=call_id, job_no=who.job_no, now=hall.clock())
        return HelpCallPublic.of(call).model_dump_json()
    try:
        return hall.write(request, principal=who.name, key=key, body="", write=write)
    except help_calls.HelpCallNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
