"""The counter terminal's own resource: what it shows of its counter (the card: who serves
there, the number served, the open rating prompt, the hall's rating time and reasons) and the
photo of the staff member serving there. A terminal sees only the counter it is bound to
(python -m hall add-device ID --kind counter --counters 3). The photo is sent each time and
marked not to be stored: a terminal keeps no photo of anyone."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hall import accounts
from hall.api.deps import CounterTerminal, HallDep
from hall.api.errors import ApiError
from hall.api.server import HallServer
from hall.counter_card import counter_card
from hall.schemas import CounterTerminalPublic, Problem, PromptPublic, ReasonPublic, StaffCardPublic

router = APIRouter(prefix="/counter-terminal", tags=["counter terminal"], responses={
    409: {"model": Problem, "description": "unbound: the terminal's token is bound to no counter"}})

PHOTO_PATH = "/api/v1/counter-terminal/photo"


def _counter(session, hall: HallServer, device_id: str) -> str:
    bound = accounts.bound_counters(session, hall_id=hall.hall_id, device_id=device_id)
    if not bound or all(c.id != bound[0] for c in hall.spec.counters):
        raise ApiError(409, "unbound", f"device {device_id} is bound to no counter of this hall; bind it with "
                                       "python -m hall add-device ID --kind counter --counters N --new-token")
    return bound[0]


@router.get("", response_model=CounterTerminalPublic, summary="What the counter terminal shows (counter terminals)")
def card(hall: HallDep, who: CounterTerminal) -> CounterTerminalPublic:
    now = hall.clock()
    with hall.engine.reading() as session:
        counter = _counter(session, hall, who.device_id)
        found = counter_card(session, spec=hall.spec, counter=counter, now=now)
    staff = found.staff
    prompt = found.prompt
    return CounterTerminalPublic(
        counter=counter, paused=found.state.paused,
        serving=found.state.current.number if found.state.current else None,
        staff=None if staff is None else StaffCardPublic(job_no=staff.job_no, name=staff.name, post=staff.post,
                                                         department=staff.department,
                                                         photo=PHOTO_PATH if found.photo else None),
        prompt=None if prompt is None else PromptPublic(**prompt.__dict__),
        window_seconds=hall.spec.ratings.window_seconds,
        reasons=[ReasonPublic.of(r) for r in hall.spec.ratings.reasons], last_event_id=found.last_event_id,
        at=now)


@router.get("/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}},
                             "description": "the photo of the staff member signed in at this counter"},
                       404: {"model": Problem, "description": "no_photo: nobody signed in there, or no photo given"}},
            summary="The photo of the staff member serving at this counter (counter terminals)")
def photo(hall: HallDep, who: CounterTerminal) -> Response:
    with hall.engine.reading() as session:
        counter = _counter(session, hall, who.device_id)
        staff = accounts.signed_in_at(session, hall_id=hall.hall_id, counter=counter, now=hall.clock())
        found = staff and accounts.staff_photo(session, hall_id=hall.hall_id, job_no=staff.job_no)
        if not found:
            raise ApiError(404, "no_photo", f"no photo of a staff member serving at counter {counter}")
        return Response(found.data, media_type=found.media_type, headers={"Cache-Control": "no-store"})
