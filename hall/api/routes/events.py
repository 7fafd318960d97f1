"""The hall's live events as Server-Sent Events, read from the event log.

Each message's id is the event's id, so a client that reconnects with Last-Event-ID (as
EventSource does by itself) gets every event after the last one it saw, even those written
while it was away or while the server restarted. With neither Last-Event-ID nor `after`,
the stream starts with a `ready` message carrying the present last id, then what follows.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from hall import events
from hall.api.deps import Caller, HallDep, Watcher
from hall.api.errors import ApiError
from hall.api.server import HallServer
from hall.models import MAX_ID
from hall.schemas import STREAM_MESSAGE, EventPublic, Role
from hall.tickets import EventKind

router = APIRouter(prefix="/events", tags=["events"])

POLL_SECONDS = 1.0        # also catches writes by other processes on the same database
KEEPALIVE_SECONDS = 15.0  # a comment line, so that proxies do not close an idle stream
RETRY_MS = 1000
BATCH = 500
# What staff and terminals may know of ratings: that a transaction was rated, by which
# channel, never the level; and nothing of cases and call-backs (a case tells a bad rating).
SUPERVISORS_ONLY = frozenset({EventKind.CASE_OPENED.value, EventKind.CASE_STEP.value, EventKind.CALLBACK_MADE.value})
RATING_SHOWN = ("ticket_id", "counter", "channel", "state")


@router.get("", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": STREAM_MESSAGE}},
                             "description": "a `ready` message (StreamReady) when no position is given, then one "
                                            "message per event: id, event (the kind), data (EventPublic)"}},
            summary="Live events (Server-Sent Events), resumable with Last-Event-ID")
async def stream(request: Request, hall: HallDep, who: Watcher,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="start after this event id")] = None,
                 tick: Annotated[bool, Query(description="send a `tick` message each second the stream is quiet")] = False):
    start = after
    if last_event_id is not None:
        # Checked here, not by the database: once the stream has begun, an error can only
        # break it off. str.isdigit() alone also passes "²", which int() refuses.
        given = last_event_id.strip()
        if not (given.isascii() and given.isdigit()) or int(given) > MAX_ID:
            raise ApiError(422, "invalid", f"Last-Event-ID {last_event_id!r} is not an event id")
        start = int(given)
    supervisor = who.is_staff and who.role in (Role.SUPERVISOR, Role.ADMIN)
    return event_stream(request, hall, start, shown=EventPublic.of if supervisor else without_ratings, tick=tick)


def without_ratings(record: events.EventRecord) -> EventPublic | None:
    if record.kind in SUPERVISORS_ONLY:
        return None
    event = EventPublic.of(record)
    if isinstance(rating := record.payload.get("rating"), dict):
        event.payload = {"rating": {k: rating.get(k) for k in RATING_SHOWN if k in rating}}
    return event


def event_stream(request: Request, hall: HallServer, start: int | None, *,
                 shown: Callable[[events.EventRecord], EventPublic | None] = EventPublic.of,
                 tick: bool = False) -> StreamingResponse:
    """The stream after `start`. `shown` makes each event's message, or None to leave it out
    (the public display's stream shows no device or staff news); with `tick` a quiet stream
    sends an empty `tick` message every POLL_SECONDS, by which a page knows within seconds
    that its server is gone (EventSource hides comment lines from scripts)."""
    return StreamingResponse(_messages(request, hall, start, shown, tick), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _messages(request: Request, hall: HallServer, start: int | None,
                    shown: Callable[[events.EventRecord], EventPublic | None], tick: bool) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    if start is None:
        start = await run_in_threadpool(_last_id, hall)
        yield f"id: {start}\nevent: ready\ndata: {{\"last_event_id\": {start}}}\n\n"
    position = start
    quiet = 0.0
    while not await request.is_disconnected():
        bell = hall.wakeup.bell()
        batch = await run_in_threadpool(_read, hall, position)
        for record in batch:
            position = record.id
            message = shown(record)
            if message is not None:
                yield f"id: {record.id}\nevent: {record.kind}\ndata: {message.model_dump_json()}\n\n"
        if len(batch) == BATCH:
            continue
        if batch:
            quiet = 0.0
        try:
            await asyncio.wait_for(bell.wait(), POLL_SECONDS)
        except TimeoutError:
            if tick:
                yield "event: tick\ndata: {}\n\n"
                continue
            quiet += POLL_SECONDS
            if quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield ": keepalive\n\n"


def _last_id(hall: HallServer) -> int:
    with hall.engine.reading() as session:
        return events.last_event_id(session, hall_id=hall.hall_id)


def _read(hall: HallServer, position: int) -> list[events.EventRecord]:
    with hall.engine.reading() as session:
        return events.events_after(session, hall_id=hall.hall_id, after=position, limit=BATCH)
