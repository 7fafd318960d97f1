"""The hall server's FastAPI application, made by create_app(settings)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from hall import accounts, events, housekeeping
from hall.api import errors
from hall.api.main import api_router
from hall.api.server import HallServer
from hall.matters import lights, notices
from hall.ratings import records
from hall.settings import ServerSettings
from hall.web import site
from hall.tickets import EventKind

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = timedelta(hours=1)
MAX_BODY = 64 * 1024  # the largest request of the API is well under 1 KiB: more is refused (413) unread


def create_app(settings: ServerSettings, *, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The app for these settings; opening it upgrades the database (or refuses a newer one).
    `clock` replaces the wall clock, for tests of opening hours."""
    hall = HallServer(settings, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await hall.feed.start()
        _fewer_collections()
        watcher = asyncio.create_task(_watch(hall))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await hall.feed.stop()
            hall.close()

    app = FastAPI(title="Hall server", version="1", lifespan=lifespan,
                  description="Tickets, counters, devices and live events of one public service hall. "
                              "See docs/api.md.")
    app.state.hall = hall
    errors.install(app)
    app.add_middleware(errors.BodyLimit, limit=MAX_BODY)
    app.include_router(api_router)
    site.install(app)
    return app


def create_app_from_environment() -> FastAPI:
    """The app of a worker process of `python -m hall serve --workers N`, its settings from
    the HALL_* variables the command set."""
    return create_app(ServerSettings())


def _fewer_collections() -> None:
    """Python's cyclic collector walks every live object in a full collection; once the
    server is up (the hall, the engine, SQLAlchemy's statement caches, FastAPI's routes)
    that walk stalled requests for tens of milliseconds at a time. Those objects live as
    long as the process, so they are frozen out of its sight, and young collections, which
    a request's short-lived objects trigger, run less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


async def _watch(hall: HallServer) -> None:
    """Announces kiosks that fell silent, ends the counters' rating prompts whose time is up
    (not rated), turns the lights of cases on each new day and sends their notices, runs the
    hall's housekeeping and forgets old failed logins. A kiosk's silence
    is judged only once the server itself has been up for the limit: after an outage every
    terminal gets its chance to be heard first."""
    tick = max(0.5, min(10.0, hall.offline_after.total_seconds() / 4))
    last_cleanup = lights_day = None
    while True:
        await asyncio.sleep(tick)
        try:
            now = hall.clock()
            if now - hall.started >= hall.offline_after and await run_in_threadpool(_announce_silent, hall, now):
                hall.feed.ring()
            if await run_in_threadpool(_end_prompts, hall, now):
                hall.feed.ring()
            if lights_day != (day := now.astimezone(hall.spec.zone).date()):
                if await run_in_threadpool(_recompute_lights, hall, now):
                    hall.feed.ring()
                lights_day = day
            await run_in_threadpool(notices.deliver, hall.engine, catalogue=hall.catalogue,
                                    supervision=hall.supervision, now=now)
            if last_cleanup is None or now - last_cleanup >= HOUSEKEEPING_EVERY:
                await run_in_threadpool(housekeeping.tidy, hall.engine, now=now)
                await run_in_threadpool(_forget_old_failures, hall, now)
                last_cleanup = now
        except Exception:  # the watcher must outlive a database hiccup
            log.exception("device watch failed; trying again")


def _announce_silent(hall: HallServer, now: datetime) -> int:
    with hall.engine.transaction() as session:
        silent = accounts.newly_silent(session, hall_id=hall.hall_id, now=now, limit=hall.offline_after)
        for device in silent:
            log.warning("kiosk %s silent since %s: offline", device.device_id, device.last_seen_at)
            events.append(session, hall_id=hall.hall_id, kind=EventKind.DEVICE_OFFLINE, at=now,
                          payload={"device": device.device_id, "kind": device.kind,
                                   "last_seen_at": device.last_seen_at.isoformat()})
    return len(silent)


def _end_prompts(hall: HallServer, now: datetime) -> int:
    with hall.engine.reading() as session:
        if not records.prompts_ended(session, spec=hall.spec, now=now):
            return 0
    with hall.engine.transaction() as session:
        return records.end_prompts(session, spec=hall.spec, now=now)


def _recompute_lights(hall: HallServer, now: datetime) -> int:
    with hall.engine.transaction() as session:
        return len(lights.recompute(session, spec=hall.spec, supervision=hall.supervision, now=now))


def _forget_old_failures(hall: HallServer, now: datetime) -> None:
    with hall.engine.transaction() as session:
        accounts.forget_failures(session, now=now)
