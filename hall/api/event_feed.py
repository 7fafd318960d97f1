"""The one reader of the hall's event log in a server process, and its fan-out to every live
stream (hall.api.routes.events).

A busy hall has a phone page open for each citizen waiting, besides its displays and staff
consoles; each stream reading the log for itself made a thousand reads for every event. Here
one task reads what is new and keeps the latest events, each rendered once per kind of
stream, and the streams take them from it. The reader is woken at once by a write in this
process (`ring`); a write in another process wakes it through PostgreSQL's LISTEN/NOTIFY
(hall.db.order_commits notifies), and on SQLite by a poll of the log's last id, cheap for a
single reader. A stream further behind than the events kept (a client resuming after a long
absence) reads the log itself until it has caught up.

Waking a thousand streams takes the event loop a while, during which requests wait: they
are woken a group at a time, the requests served in between, and the reader leaves the
loop to the requests for a few times as long as its last fan-out took before the next:
events arriving meanwhile go out together. The same wake, at least every half second, is
what a quiet stream ticks by, instead of a timer per stream.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from hall import events
from hall.db import EVENTS_CHANNEL, connect_args
from hall.queue import QueueEngine
from hall.schemas import EventPublic

log = logging.getLogger(__name__)

KEPT = 2000                 # the latest events kept for the streams
BATCH = 500                 # events read at once
SQLITE_POLL_SECONDS = 0.2   # other processes' writes on SQLite are seen within this
POLL_SECONDS = 0.5          # on PostgreSQL, a read this often even without a notification
HEARTBEAT_SECONDS = 0.5     # the streams are woken at least this often, to tick while quiet
GROUPS = 16                 # the streams are woken a group at a time
GROUP_GAP_SECONDS = 0.002   # the loop waits this long between groups, Python's lock left to the threads,
MANY_STREAMS = 200          # when this many streams are open
MAX_PAUSE_SECONDS = 0.25    # the longest wait after a fan-out: quiet streams still tick each second
PACE = 4.0                  # after a fan-out that took t, the next one waits PACE * t
RELISTEN_SECONDS = 1.0

Shown = Callable[[events.EventRecord], EventPublic | None]


class Logged:
    """An event with its SSE message rendered once for each kind of stream that asked."""

    __slots__ = ("record", "_messages")

    def __init__(self, record: events.EventRecord):
        self.record = record
        self._messages: dict[Shown, bytes] = {}

    @property
    def id(self) -> int:
        return self.record.id

    def message(self, shown: Shown) -> bytes:
        found = self._messages.get(shown)
        if found is None:
            found = self._messages[shown] = render(self.record, shown)
        return found


def render(record: events.EventRecord, shown: Shown) -> bytes:
    """The record's SSE message for a stream showing it through `shown`; empty if left out."""
    message = shown(record)
    if message is None:
        return b""
    return f"id: {record.id}\nevent: {record.kind}\ndata: {message.model_dump_json()}\n\n".encode()


class EventFeed:
    def __init__(self, engine: QueueEngine, *, hall_id: str, database_url: str):
        self.engine = engine
        self.hall_id = hall_id
        self._url = database_url
        self._postgres = not database_url.startswith("sqlite")
        self._kept: deque[Logged] = deque(maxlen=KEPT)
        self._floor = 0        # the kept events are those after this id, up to self._top
        self._top = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._bells = [asyncio.Event() for _ in range(GROUPS)]
        self._members = [0] * GROUPS
        self._streams = 0
        self._done = asyncio.Event()   # set when a round of the reader ends
        self._started = self._finished = 0
        self._last: int | None = None
        self._tasks: list[asyncio.Task] = []

    # -- the reader ----------------------------------------------------------------------

    async def start(self) -> None:
        """Starts the reader (and on PostgreSQL the listener) on the running loop, from the
        log's last event: the streams read what came before from the log."""
        self._loop = asyncio.get_running_loop()
        self._wake, self._done = asyncio.Event(), asyncio.Event()
        self._bells = [asyncio.Event() for _ in range(GROUPS)]
        self._floor = self._top = await run_in_threadpool(self._last_id)
        self._tasks = [asyncio.create_task(self._read_on())]
        if self._postgres:
            self._tasks.append(asyncio.create_task(self._listen()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._loop = None

    @property
    def top(self) -> int:
        """The last event id read: after the log is emptied or restored, the reader's next
        round brings it back to the log's end."""
        return self._top

    def ring(self) -> None:
        """A write was made in this process (callable from any thread). With no stream to
        tell, the reader keeps to its poll."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._streams:
            loop.call_soon_threadsafe(self._wake.set)

    async def _read_on(self) -> None:
        loop = asyncio.get_running_loop()
        every = POLL_SECONDS if self._postgres else SQLITE_POLL_SECONDS
        rung = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await self._wake.wait()
            self._wake.clear()
            self._started += 1
            try:
                last, records = await run_in_threadpool(self._read, self._top)
            except Exception:  # the reader must outlive a database hiccup; the next round tries again
                log.exception("reading the event log failed; trying again")
                last, records = None, []
            news = last is not None and self._keep(last, records)
            self._last = last
            self._finish_round()
            if news or loop.time() - rung >= HEARTBEAT_SECONDS:
                rung = loop.time()
                spent = await self._fan_out()
                await asyncio.sleep(min(MAX_PAUSE_SECONDS, PACE * spent))
            if len(records) == BATCH:
                self._wake.set()

    async def _fan_out(self) -> float:
        """Rings the streams' bells a group at a time, so that requests are served between
        the groups rather than after a thousand streams: with many streams the loop waits a
        moment between two, in which the threads of the requests (their transactions) hold
        Python's lock. Returns the time the streams took."""
        loop = asyncio.get_running_loop()
        spent = 0.0
        gap = GROUP_GAP_SECONDS if self._streams >= MANY_STREAMS else 0.0
        for group, members in enumerate(self._members):
            if members:
                began = loop.time()
                bell, self._bells[group] = self._bells[group], asyncio.Event()
                bell.set()
                await asyncio.sleep(0)  # the group's streams run before this task goes on
                spent += loop.time() - began
                if gap:
                    await asyncio.sleep(gap)
        return spent

    def _keep(self, last: int, records: list[events.EventRecord]) -> bool:
        """Keeps what was read; True if the streams have something new."""
        if last < self._top:
            # The log ends before what was kept (a database restored or emptied): start again
            # from its present end; the streams read what they miss from the log.
            log.warning("the event log ends at %d, before the %d already read: reading on from there",
                        last, self._top)
            self._kept.clear()
            self._floor = self._top = last
            return True
        if not records:
            return False
        if len(self._kept) + len(records) > KEPT:
            dropped = len(self._kept) + len(records) - KEPT
            self._floor = (self._kept[dropped - 1].id if dropped <= len(self._kept)
                           else records[dropped - len(self._kept) - 1].id)
        self._kept.extend(Logged(r) for r in records)
        self._top = records[-1].id
        return True

    def _finish_round(self) -> None:
        self._finished = self._started
        done, self._done = self._done, asyncio.Event()
        done.set()

    def _last_id(self) -> int:
        with self.engine.reading() as session:
            return events.last_event_id(session, hall_id=self.hall_id)

    def _read(self, after: int) -> tuple[int, list[events.EventRecord]]:
        """The log's last id and the events after `after` (at most BATCH), in one read."""
        with self.engine.reading() as session:
            last = events.last_event_id(session, hall_id=self.hall_id)
            if last <= after:
                return last, []
            return last, events.events_after(session, hall_id=self.hall_id, after=after, limit=BATCH)

    async def _listen(self) -> None:
        """Wakes the reader at each notification of the hall's channel; listens again after
        a lost connection, and reads once more then, for what was written meanwhile."""
        import psycopg

        args, kwargs = connect_args(self._url)
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
                async with connection:
                    await connection.execute(f"LISTEN {EVENTS_CHANNEL}")
                    self._wake.set()
                    async for _ in connection.notifies():
                        if self._streams:
                            self._wake.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("listening for events on the database failed (%s); again in %.0f s", exc,
                            RELISTEN_SECONDS)
            await asyncio.sleep(RELISTEN_SECONDS)

    # -- what the streams ask --------------------------------------------------------------

    def join(self) -> int:
        """A stream's group, in which its bell is rung; `leave` it when the stream ends."""
        group = min(range(GROUPS), key=self._members.__getitem__)
        self._members[group] += 1
        self._streams += 1
        return group

    def leave(self, group: int) -> None:
        self._members[group] -= 1
        self._streams -= 1

    def bell(self, group: int) -> asyncio.Event:
        """Set once new events are kept, and at least every HEARTBEAT_SECONDS; take it before
        asking `after`, then wait on it."""
        return self._bells[group]

    def after(self, position: int) -> list[Logged] | None:
        """The kept events after `position`, or None if some of them are no longer kept."""
        if position < self._floor:
            return None
        if position >= self._top:
            return []
        kept = self._kept
        # Ids are increasing, not consecutive (other halls' events, rolled-back inserts).
        low, high = 0, len(kept)
        while low < high:
            middle = (low + high) // 2
            if kept[middle].id <= position:
                low = middle + 1
            else:
                high = middle
        return [kept[i] for i in range(low, len(kept))]

    async def current(self) -> int:
        """The log's last event id, from a read begun after this call: a stream starts from
        it, or after asking it, so that it never takes kept events of a log since emptied."""
        wanted = self._started + 1
        self._wake.set()
        while self._finished < wanted:
            await self._done.wait()
        if self._last is None:  # that read failed: the stream's own read says why
            return await run_in_threadpool(self._last_id)
        return self._last

    async def read(self, after: int) -> list[events.EventRecord]:
        """The events after `after` (at most BATCH), read from the log itself."""
        return (await run_in_threadpool(self._read, after))[1]
