"""The device health page, for supervisors: every kiosk and counter terminal, where a kiosk
stands, its state and since when."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.web.pages import device_locations, page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)


@router.get("/devices")
def device_health_page(request: Request):
    who, texts = signed_in(request), texts_for(request)
    if (refused := unless_supervisor(request, who, texts, "devices")) is not None:
        return refused
    return page(request, "devices.html", texts=texts, who=who, locations=device_locations(request))
