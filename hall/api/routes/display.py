"""The hall display's data, public: no login, no personal data. What the board shows now,
its live stream, and the audio of each call.

The stream is the event log's, cut to what a hall may show to anyone: calls, waiting counts
and counters pausing; never devices, staff or help calls, and of a ticket only its number,
service, status and counter.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy import bindparam, select

from hall import events, notices
from hall.announcements import Announcer
from hall.api.deps import HallDep, IdempotencyKey, Supervisor
from hall.api.errors import ApiError
from hall.api.routes.events import event_stream
from hall.api.server import HallServer
from hall.models import MAX_ID, LoggedEvent
from hall.schemas import (STREAM_MESSAGE, DisplayBoard, DisplayCall, DisplayCounter, DisplayService, EventPublic,
                          NoticePublic, NoticeRequest, Problem)
from hall.tickets import EventKind

log = logging.getLogger(__name__)
router = APIRouter(prefix="/display", tags=["display"])

RECENT_CALLS = 10
CALLS_READ = 5 * RECENT_CALLS   # enough for ten numbers with their recalls (hall.max_recalls is small)
CALL_KINDS = (EventKind.CALLED.value, EventKind.RECALLED.value, EventKind.CALLED_BACK.value)
PUBLIC_KINDS = frozenset(CALL_KINDS + tuple(k.value for k in (
    EventKind.ISSUED, EventKind.ABSENT, EventKind.HELD, EventKind.TRANSFERRED, EventKind.COMPLETED,
    EventKind.COUNTER_PAUSED, EventKind.COUNTER_RESUMED, EventKind.NOTICE_SET)))
PUBLIC_TICKET_FIELDS = ("number", "service", "status", "counter")
_e = LoggedEvent.__table__
# Today's calls, newest first, read from their kinds' index by time (ix_event_kind), never
# through earlier days' events. The board's events end at its last id; calls written since
# are left out here and come by the stream (a bound on the id would make SQLite walk the log
# by id instead).
_LAST_CALLS = (select(_e.c.id, _e.c.kind, _e.c.counter, _e.c.at, _e.c.payload)
               .where(_e.c.hall_id == bindparam("hall"), _e.c.kind.in_(CALL_KINDS), _e.c.at >= bindparam("since"))
               .order_by(_e.c.at.desc(), _e.c.id.desc()).limit(CALLS_READ))
AUDIO_HEADERS = {"Cache-Control": "public, max-age=86400, immutable"}


def get_announcer(request: Request) -> Announcer:
    """One per app, made at first use: its cache lives under the server's data directory."""
    state = request.app.state
    if getattr(state, "announcer", None) is None:
        state.announcer = Announcer(state.hall.settings.data_dir / "announcements")
    return state.announcer


AnnouncerDep = Annotated[Announcer, Depends(get_announcer)]


def public_event(record: events.EventRecord) -> EventPublic | None:
    if record.kind not in PUBLIC_KINDS:
        return None
    payload = {}
    if isinstance(ticket := record.payload.get("ticket"), dict):
        payload["ticket"] = {k: ticket.get(k) for k in PUBLIC_TICKET_FIELDS}
    if isinstance(waiting := record.payload.get("waiting"), dict):
        payload["waiting"] = waiting
    if "paused" in record.payload:
        payload["paused"] = bool(record.payload["paused"])
    if isinstance(notice := record.payload.get("notice"), str):
        payload["notice"] = notice
    return EventPublic(id=record.id, kind=record.kind, at=record.at, ticket_id=None, counter=record.counter,
                       payload=payload)


@router.get("", response_model=DisplayBoard, summary="What the hall display shows now (public)")
def board(hall: HallDep) -> DisplayBoard:
    zone = hall.spec.zone
    today_start = datetime.combine(hall.clock().astimezone(zone).date(), time(), tzinfo=zone)
    with hall.engine.reading() as session:
        last = events.last_event_id(session, hall_id=hall.hall_id)
        rows = [r for r in session.execute(_LAST_CALLS, {"hall": hall.hall_id, "since": today_start})
                if r.id <= last]
        notice = notices.current(session, hall_id=hall.hall_id)
    calls = _one_per_number(rows)
    counters = [DisplayCounter(id=s.id, number=s.current.number if s.current else None, paused=s.paused)
                for s in (hall.engine.counter_state(c.id) for c in hall.spec.counters)]
    status = {s.code: s for s in hall.engine.services_status()}
    services = [DisplayService(code=s.code, name=s.name.model_dump(exclude_none=True),
                               waiting=status[s.code].waiting if s.code in status else 0,
                               estimated_wait_minutes=status[s.code].estimated_wait_minutes if s.code in status else 0,
                               paused=s.code in status and status[s.code].open_counters == 0)
                for s in hall.spec.services]
    return DisplayBoard(hall_name=hall.spec.hall.name.model_dump(exclude_none=True),
                        announcement=hall.spec.display.announcement, notice=notice,
                        speech_within_seconds=hall.spec.display.speech_within_seconds, now=hall.clock(),
                        last_event_id=last, calls=calls,
                        counters=counters, services=services)


@router.put("/notice", response_model=NoticePublic,
            summary="Set the display's notice line (通知公告), shown at once on every display; empty clears it "
                    "(supervisors)")
def set_notice(body: NoticeRequest, request: Request, hall: HallDep, who: Supervisor, key: IdempotencyKey = None):
    def write(session) -> str:
        row = notices.set_notice(session, hall_id=hall.hall_id, text=body.text.strip(), job_no=who.job_no,
                                 now=hall.clock())
        return NoticePublic(text=row.text, set_by=row.set_by, set_at=row.set_at).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write)


def _one_per_number(rows) -> list[DisplayCall]:
    """Each number once, where its first call put it, newest first: a recall or a call-back
    marks the number's line (its kind and counter are the latest call's) instead of adding
    another line for the same citizen."""
    lines: dict[str, DisplayCall] = {}
    for r in reversed(rows):
        number = _number(r.payload)
        call = DisplayCall(event_id=r.id, kind=r.kind, number=number, counter=r.counter or "", at=r.at)
        if number in lines:
            lines[number] = call.model_copy(update={"first_event_id": lines[number].first_event_id})
        else:
            lines[number] = call.model_copy(update={"first_event_id": r.id})
    return sorted(lines.values(), key=lambda c: c.first_event_id, reverse=True)[:RECENT_CALLS]


def _number(payload: str) -> str:
    ticket = json.loads(payload or "{}").get("ticket")
    return ticket.get("number", "") if isinstance(ticket, dict) else ""


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": STREAM_MESSAGE}},
                             "description": "a `ready` message (StreamReady) when no position is given, one "
                                            "message per public event, and `tick` messages (StreamTick) while quiet"}},
            summary="The display's live events (public): calls, waiting counts, counters pausing; "
                    "a `tick` each quiet second")
async def display_events(hall: HallDep,
                   after: Annotated[int | None, Query(ge=0, le=MAX_ID, description=(
                       "start after this event id; without it, a `ready` message gives the present last id "
                       "and the stream goes on from there"))] = None):
    return event_stream(hall, after, shown=public_event, tick=True)


@router.get("/calls/{event_id}/audio", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}}, 404: {"model": Problem},
                       503: {"model": Problem, "description": "espeak-ng cannot speak it now"}},
            summary="The call spoken (WAV, made on the server and kept), or the chime if the hall chose it")
def call_audio(event_id: Annotated[int, Path(ge=1, le=MAX_ID)], hall: HallDep, announcer: AnnouncerDep):
    number, counter = _call(hall, event_id)
    if hall.spec.display.announcement == "chime":
        return Response(announcer.chime(), media_type="audio/wav", headers=AUDIO_HEADERS)
    from hall.speech import SpeechUnavailable

    try:
        path = announcer.call(number, counter, number_twice=hall.spec.display.number_twice)
    except SpeechUnavailable as exc:
        log.error("call %s at %s not spoken: %s", number, counter, exc)
        raise ApiError(503, "speech_unavailable", "the call cannot be spoken now; the display shows it") from None
    return FileResponse(path, media_type="audio/wav", headers=AUDIO_HEADERS)


@router.get("/chime", response_class=Response, responses={200: {"content": {"audio/wav": {}}}},
            summary="The chime (WAV); the display also plays it silently at start to learn whether it may play sound")
def chime(announcer: AnnouncerDep):
    return Response(announcer.chime(), media_type="audio/wav", headers=AUDIO_HEADERS)


def _call(hall: HallServer, event_id: int) -> tuple[str, str]:
    with hall.engine.reading() as session:
        row = session.execute(select(LoggedEvent.kind, LoggedEvent.counter, LoggedEvent.payload).where(
            LoggedEvent.id == event_id, LoggedEvent.hall_id == hall.hall_id)).first()
    number = _number(row.payload) if row is not None else ""
    if row is None or row.kind not in CALL_KINDS or not number or not row.counter:
        raise ApiError(404, "not_found", f"no call {event_id} in this hall")
    return number, row.counter
