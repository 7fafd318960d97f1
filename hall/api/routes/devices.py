"""Terminals report here: their parts' status (a printer out of paper) and a heartbeat, by
which a kiosk silent for the hall's limit (two minutes) counts as offline."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from hall import accounts, events
from hall.api.deps import HallDep, IdempotencyKey, StaffMember, Supervisor, Terminal
from hall.api.errors import ApiError
from hall.models import Device, DeviceStatus
from hall.schemas import DevicePublic, DeviceReport, DeviceStatusPublic, Problem
from hall.tickets import EventKind

router = APIRouter(prefix="/devices", tags=["devices"])


def _public(device: Device, hall) -> DevicePublic:
    return DevicePublic(device_id=device.device_id, kind=device.kind, last_seen_at=device.last_seen_at,
                        online=accounts.is_online(device, now=hall.clock(), limit=hall.offline_after))


@router.post("/reports", response_model=DeviceStatusPublic, responses={403: {"model": Problem}},
             summary="Report the status of this terminal or one of its parts (ID/part)")
def report(body: DeviceReport, request: Request, hall: HallDep, who: Terminal, key: IdempotencyKey = None):
    if body.device_id != who.device_id and not body.device_id.startswith(f"{who.device_id}/"):
        raise ApiError(403, "not_your_device", f"{who.name} reports for {who.device_id} and its parts only")

    def write(_session) -> str:
        hall.engine.report_device(body.device_id, body.kind, body.status, body.detail)
        return DeviceStatusPublic(device_id=body.device_id, kind=body.kind, status=body.status,
                                  detail=body.detail, at=hall.clock()).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


@router.post("/heartbeat", response_model=DevicePublic, summary="I am alive (every 30 s)")
def heartbeat(request: Request, hall: HallDep, who: Terminal, key: IdempotencyKey = None):
    def write(session) -> str:
        device = session.get(Device, (hall.hall_id, who.device_id))
        now = hall.clock()
        if accounts.heard_from(session, device=device, now=now):
            events.append(session, hall_id=hall.hall_id, kind=EventKind.DEVICE_ONLINE, at=now,
                          payload={"device": device.device_id, "kind": device.kind})
        return _public(device, hall).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body="", write=write)


@router.get("", response_model=list[DevicePublic], summary="The hall's terminals and whether each is online")
def devices(hall: HallDep, _who: Supervisor) -> list[DevicePublic]:
    with hall.engine.reading() as session:
        found = session.scalars(select(Device).where(Device.hall_id == hall.hall_id).order_by(Device.device_id))
        return [_public(d, hall) for d in found]


@router.get("/status", response_model=list[DeviceStatusPublic], summary="The last status each device reported")
def device_status(hall: HallDep, _who: StaffMember) -> list[DeviceStatusPublic]:
    with hall.engine.reading() as session:
        rows = session.scalars(select(DeviceStatus).where(DeviceStatus.hall_id == hall.hall_id)
                               .order_by(DeviceStatus.device_id))
        return [DeviceStatusPublic(device_id=r.device_id, kind=r.kind, status=r.status, detail=r.detail, at=r.at)
                for r in rows]
