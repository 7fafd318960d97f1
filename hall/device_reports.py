"""What terminals report of themselves and their parts, and what it adds up to: every
kiosk's, counter terminal's and keypad bridge's health in one word, and since when, as a
supervisor's device page and the staff consoles' alarms show it.

A part's latest report is kept (device_status); a report that changes its status is also an
event, so the latest event of a part tells since when its present status holds. A terminal is
offline when it has not been heard (heartbeat) within the hall's limit; otherwise it is as
bad as its worst part (a kiosk's printer out of paper makes the kiosk "paper_out").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import accounts, events
from hall.errors import bounded
from hall.models import Device, DeviceStatus, LoggedEvent
from hall.schemas import DeviceKind
from hall.tickets import EventKind

WATCHED = (DeviceKind.KIOSK.value, DeviceKind.COUNTER.value, DeviceKind.KEYPAD_BRIDGE.value)
RECENT_EVENTS = 5000   # device events are rare (one per change): this reaches back months
DETAIL_LENGTH = 2000   # a report's detail: a sentence and a few lines of context


class DeviceState(str, Enum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    ERROR = "error"


# A part's reported status and the terminal state it makes. Anything else a part reports
# (offline, error, jammed, ...) is an error; "unknown" is a printer that cannot report.
PART_STATES = {"ok": DeviceState.OK, "unknown": DeviceState.OK,
               "paper_near_end": DeviceState.PAPER_NEAR_END, "paper_out": DeviceState.PAPER_OUT}
SEVERITY = [DeviceState.OK, DeviceState.PAPER_NEAR_END, DeviceState.PAPER_OUT, DeviceState.ERROR,
            DeviceState.OFFLINE]
_DEVICE_EVENTS = (EventKind.DEVICE_STATUS.value, EventKind.DEVICE_ONLINE.value, EventKind.DEVICE_OFFLINE.value)


@dataclass(frozen=True)
class DeviceHealth:
    device_id: str
    kind: str                 # kiosk, counter or keypad_bridge
    state: DeviceState
    since: datetime | None    # when the present state began, as far as the hall knows
    part: str | None          # the part that makes the state (kiosk-01/printer), if not the terminal
    detail: str


def check_report(*, device_id: str, kind: str, status: str, detail: str) -> None:
    """InvalidInput for a report that does not fit its columns."""
    columns = DeviceStatus.__table__.c
    for name, value, limit in (("device_id", device_id, columns.device_id.type.length),
                               ("kind", kind, columns.kind.type.length),
                               ("status", status, columns.status.type.length),
                               ("detail", detail, DETAIL_LENGTH)):
        bounded(name, value, limit)


def report(session: Session, *, hall_id: str, device_id: str, kind: str, status: str, detail: str,
           now: datetime) -> None:
    """Keeps a device's latest report; a change of status (an alarm, or the end of one) is
    also an event. A second report of a new device inserting the same id at the same instant
    fails at commit (IntegrityError): the caller tries again, and then finds the row."""
    row = session.get(DeviceStatus, (hall_id, device_id))
    before = None if row is None else row.status
    if row is None:
        session.add(DeviceStatus(hall_id=hall_id, device_id=device_id, kind=kind, status=status, detail=detail,
                                 at=now))
    else:
        row.kind, row.status, row.detail, row.at = kind, status, detail, now
    if status != (before or "ok"):
        events.append(session, hall_id=hall_id, kind=EventKind.DEVICE_STATUS, at=now,
                      payload={"device": device_id, "kind": kind, "status": status, "previous": before,
                               "detail": detail})


def hall_health(session: Session, *, hall_id: str, now: datetime, offline_after: timedelta) -> list[DeviceHealth]:
    devices = list(session.scalars(select(Device).where(Device.hall_id == hall_id, Device.kind.in_(WATCHED))
                                   .order_by(Device.kind, Device.device_id)))
    parts: dict[str, list[DeviceStatus]] = {}
    for row in session.scalars(select(DeviceStatus).where(DeviceStatus.hall_id == hall_id)):
        parts.setdefault(row.device_id.split("/")[0], []).append(row)
    changed = _last_changes(session, hall_id=hall_id)
    out = []
    for device in devices:
        if not accounts.is_online(device, now=now, limit=offline_after):
            out.append(DeviceHealth(device.device_id, device.kind, DeviceState.OFFLINE,
                                    device.last_seen_at or device.created_at, None, ""))
            continue
        worst: tuple[DeviceState, DeviceStatus] | None = None
        for part in parts.get(device.device_id, []):
            state = PART_STATES.get(part.status, DeviceState.ERROR)
            if worst is None or SEVERITY.index(state) > SEVERITY.index(worst[0]):
                worst = (state, part)
        if worst is None or worst[0] is DeviceState.OK:
            moments = [changed.get(p.device_id) or p.at for p in parts.get(device.device_id, [])]
            moments.append(changed.get(device.device_id) or device.created_at)
            out.append(DeviceHealth(device.device_id, device.kind, DeviceState.OK, max(moments), None, ""))
        else:
            state, part = worst
            out.append(DeviceHealth(device.device_id, device.kind, state, changed.get(part.device_id) or part.at,
                                    part.device_id, part.detail))
    return out


def _last_changes(session: Session, *, hall_id: str) -> dict[str, datetime]:
    """The time of the latest status change of each device and part: the newest device events
    by time, read from their kinds' index (ix_event_kind), never through the tickets' events."""
    rows = session.execute(select(LoggedEvent.at, LoggedEvent.payload)
                           .where(LoggedEvent.hall_id == hall_id, LoggedEvent.kind.in_(_DEVICE_EVENTS))
                           .order_by(LoggedEvent.at.desc(), LoggedEvent.id.desc()).limit(RECENT_EVENTS))
    latest: dict[str, datetime] = {}
    for at, payload in rows:
        device = json.loads(payload or "{}").get("device")
        if device and device not in latest:
            latest[device] = at
    return latest
