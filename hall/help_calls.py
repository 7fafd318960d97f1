"""Help calls (呼叫工作人员): a citizen stuck at a kiosk asks for staff; every staff console
shows the alert until one staff member takes it, and the kiosk is then told that someone is
coming.

A kiosk has at most one open call: pressing again while one is open counts the press on it
and raises no second alert. Data functions are keyword-only and take the session, so the
call and its event commit together.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import events
from hall.db import order_commits
from hall.errors import HelpCallNotFound
from hall.models import Device, HelpCall
from hall.tickets import EventKind

__all__ = ["HelpCallNotFound", "one_call", "open_calls", "raise_call", "take"]


def _payload(call: HelpCall) -> dict:
    return {"help_call": {"id": call.id, "device": call.device_id, "location": call.location,
                          "raised_at": call.raised_at.isoformat(), "taken_by": call.taken_by}}


def raise_call(session: Session, *, hall_id: str, device_id: str, location: str, now: datetime) -> HelpCall:
    """The kiosk's open call, made now if it has none. The open call is looked up after
    taking the event log's lock (hall.db.order_commits; SQLite has one writer anyway), so
    two presses racing in still make one call. A location given is where the kiosk now stands
    (its configuration says so): its device row takes it, and staff pages name it by it."""
    order_commits(session)
    device = session.get(Device, (hall_id, device_id))
    if location and device is not None and device.location != location:
        device.location = location
    call = session.scalar(select(HelpCall).where(HelpCall.hall_id == hall_id, HelpCall.device_id == device_id,
                                                 HelpCall.taken_at.is_(None)))
    if call is not None:
        call.presses += 1
        return call
    call = HelpCall(hall_id=hall_id, device_id=device_id, location=location, raised_at=now, presses=1)
    session.add(call)
    session.flush()
    events.append(session, hall_id=hall_id, kind=EventKind.HELP_REQUESTED, at=now, payload=_payload(call))
    return call


def take(session: Session, *, hall_id: str, call_id: int, job_no: str, now: datetime) -> HelpCall:
    """Marks the call taken by this staff member; taking a call already taken changes
    nothing (two staff clicking at once: the first one goes)."""
    call = session.get(HelpCall, call_id, with_for_update=True)
    if call is None or call.hall_id != hall_id:
        raise HelpCallNotFound(f"no help call {call_id} in this hall")
    if call.taken_at is None:
        call.taken_at, call.taken_by = now, job_no
        events.append(session, hall_id=hall_id, kind=EventKind.HELP_TAKEN, at=now, payload=_payload(call))
    return call


def open_calls(session: Session, *, hall_id: str) -> list[HelpCall]:
    return list(session.scalars(select(HelpCall).where(HelpCall.hall_id == hall_id, HelpCall.taken_at.is_(None))
                                .order_by(HelpCall.raised_at, HelpCall.id)))


def one_call(session: Session, *, hall_id: str, call_id: int, device_id: str | None = None) -> HelpCall:
    """The call; with `device_id`, only if that kiosk raised it."""
    call = session.get(HelpCall, call_id)
    if call is None or call.hall_id != hall_id or (device_id is not None and call.device_id != device_id):
        raise HelpCallNotFound(f"no help call {call_id} of yours in this hall")
    return call
