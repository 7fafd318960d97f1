"""The API's routers under one versioned prefix."""
from __future__ import annotations

from fastapi import APIRouter

from hall.api.routes import (bookings, callbacks, cases, catalogue, counter_printer, counter_queue, counter_terminal,
                             counters, device_health, devices, display, events, hall, hall_board, help_calls,
                             matter_progress, matters, person_salt, ratings, services, session, tickets, uplink)
from hall.schemas import Problem

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX, responses={
    401: {"model": Problem, "description": "no or unknown credentials"},
    403: {"model": Problem, "description": "not allowed for this caller"},
    413: {"model": Problem, "description": "too_large: the request body is over the server's limit"},
    422: {"model": Problem, "description": "the request is malformed (error=invalid, with fields)"},
    503: {"model": Problem, "description": "database_unavailable, or disk_full: the database's disk is full "
                                           "(with Retry-After)"},
})
# What every operation that takes a body may also answer.
BODY_RESPONSES = {
    400: {"model": Problem, "description": "bad_request: the body is not text (neither UTF-8, UTF-16 nor UTF-32)"},
}
for module in (hall, services, tickets, bookings, person_salt, counters, counter_queue, counter_printer, devices,
               device_health, session, events, display, help_calls, hall_board, ratings, cases, callbacks,
               counter_terminal, catalogue, matters, matter_progress, uplink):
    for route in module.router.routes:
        if route.body_field is not None:
            route.responses = {**BODY_RESPONSES, **route.responses}
    api_router.include_router(module.router)
