from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Request

from hall.api.deps import Anyone, HallDep, IdempotencyKey, Issuer, Kiosk
from hall.api.errors import ApiError
from hall.models import MAX_ID
from hall.schemas import IssueRequest, PersonTicketsRequest, PersonTicketsPublic, Problem, TicketPublic
from hall.signing import TICKET_PURPOSE, BadSignature

router = APIRouter(prefix="/tickets", tags=["tickets"])


@router.post("", status_code=201, response_model=TicketPublic,
             responses={404: {"model": Problem, "description": "unknown service (error=refused)"},
                        409: {"model": Problem, "description": "refused: closed, quota reached, ... (see reason)"}},
             summary="Issue a ticket (kiosks and staff)")
def issue_ticket(body: IssueRequest, request: Request, hall: HallDep, who: Issuer, key: IdempotencyKey = None):
    """The ticket's id is what its key keeps; its place in the queue is read after the
    commit (a replay gets the same ticket, as it stands then)."""
    def write(_session) -> str:
        ticket = hall.engine.store_ticket(body.service, priority=body.priority, person_hash=body.person_hash,
                                          age=body.age)
        return json.dumps({"id": ticket.id})

    def show(stored: str) -> str:
        ticket_id = json.loads(stored)["id"]
        return TicketPublic.of(hall.engine.ticket(ticket_id), hall.ticket_link(request, ticket_id)).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write, show=show,
                      status_code=201)


@router.post("/of-person", response_model=PersonTicketsPublic,
             summary="An identified citizen's open tickets today, and the services still open to them (kiosks)")
def person_tickets(body: PersonTicketsRequest, request: Request, hall: HallDep, _who: Kiosk) -> PersonTicketsPublic:
    """A read, sent as a POST so that the person hash stays out of addresses and access logs."""
    held = hall.engine.person_tickets(body.person_hash)
    return PersonTicketsPublic(tickets=[TicketPublic.of(t, hall.ticket_link(request, t.id)) for t in held.tickets],
                               open_to=list(held.open_to))


@router.get("/{ticket_id}", response_model=TicketPublic, responses={404: {"model": Problem}},
            summary="A ticket of this hall by its id")
def ticket(ticket_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, hall: HallDep,
           _who: Anyone) -> TicketPublic:
    return TicketPublic.of(hall.engine.ticket(ticket_id), hall.ticket_link(request, ticket_id))


@router.get("/by-number/{number}", response_model=TicketPublic, responses={404: {"model": Problem}},
            summary="Today's ticket of that number (a ticket code scanned at a kiosk)")
def ticket_by_number(number: Annotated[str, Path(pattern=r"^[A-Za-z][0-9]{3,7}$")], request: Request,
                     hall: HallDep, _who: Anyone) -> TicketPublic:
    ticket = hall.engine.ticket_by_number(number)
    return TicketPublic.of(ticket, hall.ticket_link(request, ticket.id))


@router.get("/by-link/{token}", response_model=TicketPublic,
            responses={403: {"model": Problem, "description": "not signed by this hall"}, 404: {"model": Problem}},
            summary="A ticket by the signed token of its link (public: the citizen's phone page)")
def ticket_by_link(token: Annotated[str, Path(max_length=100)], request: Request, hall: HallDep) -> TicketPublic:
    try:
        message = hall.signer.verify(TICKET_PURPOSE, token)
    except BadSignature:
        raise ApiError(403, "bad_signature", "this ticket link was not issued by this hall") from None
    return TicketPublic.of(hall.engine.ticket(int(message)), hall.ticket_link(request, int(message)))
