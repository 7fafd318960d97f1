"""Ratings (好差评): given by a counter terminal, a keypad bridge or a kiosk with its token,
or by the citizen on the ticket's phone page (by the ticket's signed link, no login). Staff
and terminals learn whether a transaction was rated, never how; supervisors read the
ratings and the figures. See docs/ratings.md."""
from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from hall import accounts
from hall.errors import InvalidInput
from hall.api.deps import Anyone, HallDep, IdempotencyKey, Rater, Supervisor, Watcher
from hall.api.server import HallServer
from hall.models import MAX_ID, Rating
from hall.ratings import exports, figures, records
from hall.ratings.terms import Channel, Grouping, RatingState
from hall.schemas import (DeviceKind, DurationsPublic, FigurePublic, LevelsPublic, Problem, RatingContent,
                          RatingPublic, RatingReceipt, RatingRequest, RatingStatusPublic, ReasonPublic)

router = APIRouter(prefix="/ratings", tags=["ratings"], responses={
    404: {"model": Problem}, 409: {"model": Problem, "description": "error=rating_refused: already rated, "
                                                                    "not completed, window closed (see reason)"}})

CHANNELS = {DeviceKind.COUNTER: Channel.COUNTER, DeviceKind.KEYPAD_BRIDGE: Channel.KEYPAD,
            DeviceKind.KIOSK: Channel.KIOSK}
LinkToken = Annotated[str, Path(max_length=100, description="the end of the ticket's link (/t/TOKEN)")]


def _receipt(rating: Rating) -> str:
    return RatingReceipt(ticket_id=rating.ticket_id, state=RatingState.RATED, channel=rating.channel,
                         rated_at=rating.rated_at).model_dump_json()


@router.post("", status_code=201, response_model=RatingReceipt,
             responses={403: {"model": Problem, "description": "not_your_counter, other_hall"},
                        422: {"model": Problem, "description": "reason_required, unknown_reason, comment_required"}},
             summary="Rate a completed transaction (counter terminal, keypad bridge: their counters' "
                     "while the prompt is open; kiosk: a scanned ticket until the late-rating time)")
def rate(body: RatingRequest, request: Request, hall: HallDep, who: Rater, key: IdempotencyKey = None):
    channel = CHANNELS[who.device_kind]

    def write(session) -> str:
        counters = None
        if channel is not Channel.KIOSK:
            counters = accounts.bound_counters(session, hall_id=hall.hall_id, device_id=who.device_id)
        return _receipt(records.rate(session, spec=hall.spec, ticket_id=body.ticket_id, level=body.level,
                                     reasons=body.reasons, comment=body.comment, channel=channel,
                                     identified=body.identified, now=hall.clock(), counters=counters,
                                     given_seconds_ago=body.given_seconds_ago))
    # The age grows with each resend of the same rating from an outbox: it is no part of
    # what the key stands for.
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(exclude={"given_seconds_ago"}),
                      write=write, status_code=201)


@router.get("/by-link/{token}", response_model=RatingStatusPublic,
            summary="Whether one's own ticket can still be rated (public: the ticket's phone page)")
def status_by_link(token: LinkToken, hall: HallDep) -> RatingStatusPublic:
    return _status(hall, hall.engine.ticket_by_token(token).id)


@router.post("/by-link/{token}", status_code=201, response_model=RatingReceipt,
             summary="Rate one's own transaction late (public: the ticket's phone page), until the end of the "
                     "hall's next working day")
def rate_by_link(token: LinkToken, body: RatingContent, request: Request, hall: HallDep, key: IdempotencyKey = None):
    ticket_id = hall.engine.ticket_by_token(token).id

    def write(session) -> str:
        return _receipt(records.rate(session, spec=hall.spec, ticket_id=ticket_id, level=body.level,
                                     reasons=body.reasons, comment=body.comment, channel=Channel.PHONE_PAGE,
                                     identified=False, now=hall.clock()))
    return hall.write(request, principal=f"ticket:{ticket_id}", key=key, body=body.model_dump_json(), write=write,
                      status_code=201)


@router.get("/reasons", response_model=list[ReasonPublic], summary="The hall's reasons for a bad rating")
def reasons(hall: HallDep, _who: Anyone) -> list[ReasonPublic]:
    return [ReasonPublic.of(r) for r in hall.spec.ratings.reasons]


@router.get("/state/{ticket_id}", response_model=RatingStatusPublic,
            summary="Whether a transaction was rated: awaiting, rated or not_rated, never the level (staff, terminals)")
def state(ticket_id: Annotated[int, Path(ge=1, le=MAX_ID)], hall: HallDep, _who: Watcher) -> RatingStatusPublic:
    return _status(hall, ticket_id)


def _status(hall: HallServer, ticket_id: int) -> RatingStatusPublic:
    with hall.engine.reading() as session:
        return RatingStatusPublic.of(records.status(session, spec=hall.spec, ticket_id=ticket_id))


Day = Annotated[date | None, Query(description="hall-local day of the transactions; default today")]


@router.get("", response_model=list[RatingPublic],
            summary="The ratings of the transactions of a period, in the order given (supervisors)")
def ratings(hall: HallDep, _who: Supervisor, start: Day = None, end: Day = None,
            counter: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z-]{1,8}$")] = None,
            staff: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="a job number")] = None,
            service: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,31}$")] = None,
            level: Annotated[int | None, Query(ge=1, le=5)] = None,
            after: Annotated[int, Query(ge=0, le=MAX_ID, description="the last rating id of the page before")] = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[RatingPublic]:
    start, end = _period(hall, start, end)
    with hall.engine.reading() as session:
        found = records.ratings(session, spec=hall.spec, start=start, end=end, counter=counter, staff=staff,
                                service=service, level=level, after=after, limit=limit)
    return [RatingPublic.of(r.rating, number=r.number, day=r.day) for r in found]


@router.get("/figures", response_model=list[FigurePublic],
            summary="Satisfaction, bad-rating rate and not-rated share per staff member, counter, service, "
                    "department or day (supervisors)")
def rating_figures(hall: HallDep, _who: Supervisor, by: Grouping, start: Day = None,
                   end: Day = None) -> list[FigurePublic]:
    start, end = _period(hall, start, end)
    with hall.engine.reading() as session:
        return [FigurePublic.of(f) for f in figures.figures(session, spec=hall.spec, by=by, start=start, end=end)]


def _period(hall: HallServer, start: date | None, end: date | None) -> tuple[date, date]:
    today = hall.clock().astimezone(hall.spec.zone).date()
    return start or end or today, end or today


MAX_PERIOD_DAYS = 366


def _span(hall: HallServer, start: date | None, end: date | None) -> tuple[date, date]:
    """The period, in order and at most a year long: what a supervisor reads at once."""
    start, end = _period(hall, start, end)
    if start > end:
        raise InvalidInput("start", f"{start} is after the end {end}")
    if end - start >= timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidInput("end", f"a period of at most {MAX_PERIOD_DAYS} days, please")
    return start, end


@router.get("/levels", response_model=LevelsPublic,
            summary="How the transactions of a period were rated: a count per level, not rated, awaiting "
                    "(supervisors)")
def rating_levels(hall: HallDep, _who: Supervisor, start: Day = None, end: Day = None) -> LevelsPublic:
    start, end = _span(hall, start, end)
    with hall.engine.reading() as session:
        return LevelsPublic.of(figures.levels(session, spec=hall.spec, start=start, end=end))


@router.get("/durations", response_model=DurationsPublic,
            summary="How long the transactions of a period waited and were served, in buckets of minutes "
                    "(supervisors)")
def durations(hall: HallDep, _who: Supervisor, start: Day = None, end: Day = None) -> DurationsPublic:
    start, end = _span(hall, start, end)
    with hall.engine.reading() as session:
        return DurationsPublic.of(figures.durations(session, spec=hall.spec, start=start, end=end))


class ExportFormat(str, Enum):
    CSV = "csv"
    XLSX = "xlsx"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, XLSX_TYPE: {}},
                             "description": "one row per rating, the platform's field names (docs/ratings.md)"}},
            summary="The ratings of a period for the provincial 好差评 platform, as CSV (UTF-8 with BOM) or XLSX "
                    "(supervisors)")
def export(hall: HallDep, _who: Supervisor, start: Day = None, end: Day = None,
           format: ExportFormat = ExportFormat.CSV):  # noqa: A002 (the query's name)
    start, end = _span(hall, start, end)
    name = f"ratings-{hall.spec.hall.id}-{start:%Y%m%d}-{end:%Y%m%d}.{format.value}"
    table = exports.rows(hall.engine.reading, spec=hall.spec, start=start, end=end)
    if format is ExportFormat.CSV:
        return StreamingResponse(exports.csv_chunks(table), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})
    with hall.engine.reading() as session:
        exports.check_xlsx_size(exports.count(session, spec=hall.spec, start=start, end=end))
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as out:
        try:
            exports.write_xlsx(table, out, title=f"{start:%Y%m%d}-{end:%Y%m%d}")
        except BaseException:
            os.unlink(out.name)
            raise
    return FileResponse(out.name, media_type=XLSX_TYPE, filename=name, background=BackgroundTask(os.unlink, out.name))
