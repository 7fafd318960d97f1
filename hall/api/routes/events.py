"""The hall's live events as Server-Sent Events, from the event log.

Each message's id is the event's id, so a client that reconnects with Last-Event-ID (as
EventSource does by itself) gets every event after the last one it saw, even those written
while it was away or while the server restarted. With neither Last-Event-ID nor `after`,
the stream starts with a `ready` message carrying the present last id, then what follows.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from hall import events
from hall.api.deps import HallDep, Watcher
from hall.api.errors import ApiError
from hall.api.event_feed import HEARTBEAT_SECONDS, EventFeed, Shown, render
from hall.api.server import HallServer
from hall.models import MAX_ID
from hall.schemas import STREAM_MESSAGE, EventPublic, Role
from hall.tickets import EventKind

router = APIRouter(prefix="/events", tags=["events"])

TICK_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0  # a comment line, so that proxies do not close an idle stream
RETRY_MS = 1000
TICK = b"event: tick\ndata: {}\n\n"
KEEPALIVE = b": keepalive\n\n"
# What staff and terminals may know of ratings: that a transaction was rated, by which
# channel, never the level; and nothing of cases and call-backs (a case tells a bad rating).
SUPERVISORS_ONLY = frozenset({EventKind.CASE_OPENED.value, EventKind.CASE_STEP.value, EventKind.CALLBACK_MADE.value})
RATING_SHOWN = ("ticket_id", "counter", "channel", "state")


@router.get("", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": STREAM_MESSAGE}},
                             "description": "a `ready` message (StreamReady) when no position is given, then one "
                                            "message per event: id, event (the kind), data (EventPublic)"}},
            summary="Live events (Server-Sent Events), resumable with Last-Event-ID")
async def stream(hall: HallDep, who: Watcher,
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
    return event_stream(hall, start, shown=EventPublic.of if supervisor else without_ratings, tick=tick)


def without_ratings(record: events.EventRecord) -> EventPublic | None:
    if record.kind in SUPERVISORS_ONLY:
        return None
    event = EventPublic.of(record)
    if isinstance(rating := record.payload.get("rating"), dict):
        event.payload = {"rating": {k: rating.get(k) for k in RATING_SHOWN if k in rating}}
    return event


def event_stream(hall: HallServer, start: int | None, *,
                 shown: Shown = EventPublic.of, tick: bool = False) -> StreamingResponse:
    """The stream after `start`. `shown` makes each event's message, or None to leave it out
    (the public display's stream shows no device or staff news); with `tick` a quiet stream
    sends an empty `tick` message about every TICK_SECONDS, by which a page knows within seconds
    that its server is gone (EventSource hides comment lines from scripts)."""
    return StreamingResponse(_messages(hall.feed, start, shown, tick), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _messages(feed: EventFeed, start: int | None, shown: Shown, tick: bool) -> AsyncIterator[bytes]:
    """The process's one reader (hall.api.event_feed) brings the events; a stream behind the
    events it keeps reads the log itself until it has caught up. StreamingResponse ends the
    stream when its client hangs up."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    last = await feed.current()
    if start is None:
        start = last
        yield f"id: {start}\nevent: ready\ndata: {{\"last_event_id\": {start}}}\n\n".encode()
    position = start
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    group = feed.join()
    try:
        while True:
            bell = feed.bell(group)
            kept = feed.after(position)
            if kept is None:  # behind what the reader keeps: read the log itself
                records = await feed.read(position)
                if records:
                    position = records[-1].id
                    chunk = b"".join(render(r, shown) for r in records)
            elif kept:
                records = kept
                position = kept[-1].id
                chunk = b"".join(e.message(shown) for e in kept)
            else:
                records = None
            if not records:
                await bell.wait()
                quiet = loop.time() - quiet_since
                if tick and quiet >= TICK_SECONDS - HEARTBEAT_SECONDS / 2:
                    chunk = TICK
                elif quiet >= KEEPALIVE_SECONDS:
                    chunk = KEEPALIVE
                else:
                    continue
            if chunk:
                quiet_since = loop.time()
                yield chunk
    finally:
        feed.leave(group)
