"""Booked check-in: a kiosk sends the booking code it scanned, the hall checks it
(hall.queue.QueueEngine.check_in) and issues a booked ticket, once per booking."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.api.deps import HallDep, IdempotencyKey, Issuer
from hall.schemas import CheckInRequest, Problem, TicketPublic

router = APIRouter(prefix="/bookings", tags=["bookings"])


@router.post("/check-ins", status_code=201, response_model=TicketPublic,
             responses={404: {"model": Problem, "description": "the booking's service is not this hall's"},
                        409: {"model": Problem, "description": "refused: booking_forged, booking_other_hall, "
                                                               "booking_early (reopens_at), booking_expired, "
                                                               "booking_used (earlier_ticket), or the hall is closed"}},
             summary="Check in a booking code: a booked ticket (kiosks and staff)")
def check_in(body: CheckInRequest, request: Request, hall: HallDep, who: Issuer, key: IdempotencyKey = None):
    def write(_session) -> str:
        ticket = hall.engine.check_in(body.code)
        return TicketPublic.of(ticket, hall.ticket_link(request, ticket.id)).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write,
                      status_code=201)
