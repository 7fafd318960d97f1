"""Every error as JSON (hall.schemas.Problem) with the status that fits; a malformed
request is a 4xx naming what is wrong, and only a bug is a 500."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from hall.accounts import LoginRefused, LoginSlowed
from hall.db import disk_full
from hall.errors import CounterOperationError, InvalidInput, RefusalReason, TicketNotFound, TicketRefused
from hall.idempotency import KeyReused
from hall.matters.states import MatterRefusal, MatterRefused
from hall.ratings.terms import RatingRefusal, RatingRefused
from hall.schemas import Problem

log = logging.getLogger(__name__)

# CounterOperationError codes (hall.queue) and the status each answers with.
COUNTER_STATUS = {"unknown_counter": 404, "not_found": 404, "unknown_service": 404, "bad_transfer": 422,
                  "bad_number": 422}
RATING_STATUS = {RatingRefusal.NOT_FOUND: 404, RatingRefusal.CASE_NOT_FOUND: 404, RatingRefusal.OTHER_HALL: 403,
                 RatingRefusal.NOT_YOUR_COUNTER: 403, RatingRefusal.LEVEL_OUT_OF_RANGE: 422,
                 RatingRefusal.REASON_REQUIRED: 422, RatingRefusal.UNKNOWN_REASON: 422,
                 RatingRefusal.COMMENT_REQUIRED: 422}  # the rest: 409, not possible now
MATTER_STATUS = {MatterRefusal.NOT_FOUND: 404, MatterRefusal.UNKNOWN_TICKET: 404, MatterRefusal.UNKNOWN_MATTER: 422,
               MatterRefusal.REASON_REQUIRED: 422, MatterRefusal.AGENT_NOT_OFFERED: 422,
               MatterRefusal.UNKNOWN_DOCUMENT: 422}  # step_not_allowed: 409
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                422: "invalid", 429: "too_many_requests"}


class ApiError(HTTPException):
    """An HTTP error with a stable code for clients to act on."""

    def __init__(self, status_code: int, error: str, message: str, headers: dict | None = None):
        super().__init__(status_code, message, headers)
        self.error = error


def problem(status: int, error: str, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    body = Problem(error=error, message=message, **extra).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


class BodyLimit:
    """Refuses, as a Problem 413, a request body over `limit` bytes: at once when its length
    is declared, else as soon as that much has arrived; nothing bigger is read."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await problem(413, "too_large", self._message())(scope, receive, send)
            return
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # reading the body in a route: FastAPI lets an HTTPException through
                raise ApiError(413, "too_large", self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.limit} bytes"


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path takes. Starlette's 405 names those of the first route
    that matched the path alone, and a path such as /session has one route per method: each
    method is tried against the app's routes, as the router would match it."""
    return [method for method in HTTP_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                   for route in request.app.router.routes)]


def install(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        error = getattr(exc, "error", None) or STATUS_CODES.get(exc.status_code, "error")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(exc.status_code, error, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        where = "; ".join(f"{'.'.join(map(str, f['loc']))}: {f['msg']}" for f in fields[:5])
        return problem(422, "invalid", f"the request is not valid: {where}", fields=jsonable_encoder(fields))

    @app.exception_handler(InvalidInput)
    async def refused_input(_request: Request, exc: InvalidInput) -> JSONResponse:
        return problem(422, "invalid", str(exc), fields=[{"loc": [exc.field], "msg": str(exc), "type": "hall"}])

    @app.exception_handler(TicketRefused)
    async def refused(_request: Request, exc: TicketRefused) -> JSONResponse:
        status = 404 if exc.reason is RefusalReason.UNKNOWN_SERVICE else 409
        earlier = exc.earlier.__dict__ if exc.earlier else None
        return problem(status, "refused", str(exc), reason=exc.reason, reopens_at=exc.reopens_at,
                       earlier_ticket=earlier)

    @app.exception_handler(CounterOperationError)
    async def counter_refused(_request: Request, exc: CounterOperationError) -> JSONResponse:
        return problem(COUNTER_STATUS.get(exc.code, 409), exc.code, str(exc))

    @app.exception_handler(TicketNotFound)
    async def not_found(_request: Request, exc: TicketNotFound) -> JSONResponse:
        return problem(404, "not_found", str(exc))

    @app.exception_handler(RatingRefused)
    async def rating_refused(_request: Request, exc: RatingRefused) -> JSONResponse:
        return problem(RATING_STATUS.get(exc.reason, 409), "rating_refused", str(exc), reason=exc.reason)

    @app.exception_handler(MatterRefused)
    async def matter_refused(_request: Request, exc: MatterRefused) -> JSONResponse:
        return problem(MATTER_STATUS.get(exc.reason, 409), "matter_refused", str(exc), reason=exc.reason)

    @app.exception_handler(KeyReused)
    async def key_reused(_request: Request, exc: KeyReused) -> JSONResponse:
        return problem(422, "idempotency_key_reused", str(exc))

    @app.exception_handler(LoginRefused)
    async def login_refused(_request: Request, exc: LoginRefused) -> JSONResponse:
        return problem(401, "login_refused", str(exc))

    @app.exception_handler(LoginSlowed)
    async def login_slowed(_request: Request, exc: LoginSlowed) -> JSONResponse:
        return problem(429, "login_slowed", str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        if disk_full(exc):
            log.error("the database's disk is full; free space on it: %s", exc)
            return problem(503, "disk_full", "the hall's database disk is full; nothing can be saved until "
                           "space is freed on it", headers={"Retry-After": "60"})
        log.error("database unavailable: %s", exc)
        return problem(503, "database_unavailable", "the hall's database cannot be reached; try again shortly",
                       headers={"Retry-After": "2"})
