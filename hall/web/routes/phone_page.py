"""The citizen's phone page, opened from the QR code on the ticket (/t/TOKEN, signed by the
hall): where the ticket stands, live. A code the hall did not sign, or a ticket it does not
know, gets a plain "无此号码" page."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from hall.errors import TicketNotFound
from hall.schemas import TicketPublic
from hall.web.pages import page, texts_for

router = APIRouter(include_in_schema=False)


@router.get("/t/{token}")
def phone(request: Request, token: Annotated[str, Path()]):
    hall = request.app.state.hall
    texts = texts_for(request)
    try:
        ticket = hall.engine.ticket_by_token(token)
    except TicketNotFound:
        ticket = None
    if ticket is None:
        return page(request, "message.html", status_code=404, texts=texts, title=texts("phone.missing"),
                    message=texts("phone.missing"))
    service = hall.spec.service(ticket.service)
    now = hall.clock()
    reasons = [{"code": r.code, "name": r.name.get(texts.language), "needs_comment": r.needs_comment}
               for r in hall.spec.ratings.reasons]
    return page(request, "phone.html", texts=texts, token=token, now=now.isoformat(), reasons=reasons,
                today=now.astimezone(hall.spec.zone).date().isoformat(),
                ticket=TicketPublic.of(ticket).model_dump(mode="json"),
                services={s.code: s.name.get(texts.language) for s in hall.spec.services},
                service_name=service.name.get(texts.language) if service else ticket.service)
