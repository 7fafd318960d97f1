"""The API's routers under one versioned prefix."""
from __future__ import annotations

from fastapi import APIRouter

from hall.api.routes import (bookings, callbacks, cases, counter_queue, counters, device_health, devices, display,
                             events, hall, help_calls, person_salt, ratings, services, session, tickets)
from hall.schemas import Problem

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX, responses={
    401: {"model": Problem, "description": "no or unknown credentials"},
    403: {"model": Problem, "description": "not allowed for this caller"},
    422: {"model": Problem, "description": "the request is malformed (error=invalid, with fields)"},
})
for module in (hall, services, tickets, bookings, person_salt, counters, counter_queue, devices, device_health,
               session, events, display, help_calls, ratings, cases, callbacks):
    api_router.include_router(module.router)
