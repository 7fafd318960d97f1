"""The hall display's notice line (通知公告): what a supervisor tells everyone in the hall
(a counter closed this afternoon, a document now needed), shown under the display's header
until changed or cleared. One per hall, replaced whole; each change is an event, so that
the displays show it at once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hall import events
from hall.models import DisplayNotice
from hall.tickets import EventKind

MAX_LENGTH = 200


def current(session: Session, *, hall_id: str) -> str:
    row = session.get(DisplayNotice, hall_id)
    return row.text if row is not None else ""


def set_notice(session: Session, *, hall_id: str, text: str, job_no: str, now: datetime) -> DisplayNotice:
    """Replaces the hall's notice; an empty text clears it. The caller checks the length."""
    row = session.get(DisplayNotice, hall_id, with_for_update=True)
    if row is None:
        row = DisplayNotice(hall_id=hall_id)
        session.add(row)
    row.text, row.set_by, row.set_at = text, job_no, now
    events.append(session, hall_id=hall_id, kind=EventKind.NOTICE_SET, at=now, payload={"notice": text})
    return row
