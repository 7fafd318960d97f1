"""Every kiosk's and counter terminal's health (hall.device_reports), for the supervisors'
device page and the alarms of the staff consoles."""
from __future__ import annotations

from fastapi import APIRouter

from hall.api.deps import HallDep, StaffMember
from hall.device_reports import hall_health
from hall.schemas import DeviceHealthPublic

router = APIRouter(prefix="/device-health", tags=["devices"])


@router.get("", response_model=list[DeviceHealthPublic],
            summary="Each kiosk and counter terminal: ok, paper_near_end, paper_out, offline or error, and since when")
def device_health(hall: HallDep, _who: StaffMember) -> list[DeviceHealthPublic]:
    with hall.engine.reading() as session:
        found = hall_health(session, hall_id=hall.hall_id, now=hall.clock(), offline_after=hall.offline_after)
    return [DeviceHealthPublic(device_id=d.device_id, kind=d.kind, state=d.state.value, since=d.since, part=d.part,
                               detail=d.detail) for d in found]
