"""The device health page, for supervisors: every kiosk and counter terminal, its state and
since when."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from hall.schemas import Role
from hall.web.pages import kiosk_locations, page, signed_in, texts_for

router = APIRouter(include_in_schema=False)


@router.get("/devices")
def device_health_page(request: Request):
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/console?next=/devices", status_code=303)
    texts = texts_for(request)
    if who.role is Role.STAFF:
        return page(request, "message.html", status_code=403, texts=texts, title=texts("devices.title"),
                    message=texts("devices.supervisors_only"), link="/console", link_text=texts("console.title"))
    return page(request, "devices.html", texts=texts, who=who, locations=kiosk_locations(request))
