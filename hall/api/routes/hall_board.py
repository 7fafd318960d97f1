"""The hall at a glance (hall.hall_board), for the supervisors' live board; the same figures
a county is given of each hall. Read again by the board whenever the live stream says
something changed."""
from __future__ import annotations

from fastapi import APIRouter

from hall.api.deps import HallDep, Supervisor
from hall.hall_board import HallBoard, hall_board

router = APIRouter(prefix="/hall-board", tags=["hall board"])


@router.get("", response_model=HallBoard,
            summary="Each counter (staff, ticket, paused or idle since), each service (waiting, longest wait, "
                    "served today), open help calls and device alarms (supervisors)")
def board(hall: HallDep, _who: Supervisor) -> HallBoard:
    with hall.engine.reading() as session:
        return hall_board(session, spec=hall.spec, now=hall.clock(), offline_after=hall.offline_after)
