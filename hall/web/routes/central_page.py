"""A parent's central page (三级平台): its region tree with each hall's figures now and
today and each region's sums (hall.uplink.central). An admin sees every hall; a supervisor
the halls inside the regions named for them (python -m hall supervise-region); other staff
nothing. Drawn on the server, and refreshed by the browser every 30 s."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.schemas import Role
from hall.uplink import central
from hall.web.pages import page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)


@router.get("/central")
def central_page(request: Request):
    who = signed_in(request)
    texts = texts_for(request)
    if (refusal := unless_supervisor(request, who, texts, "central")) is not None:
        return refusal
    hall = request.app.state.hall
    now = hall.clock()
    with hall.engine.reading() as session:
        within = None if who.role is Role.ADMIN else central.watched_regions(session, hall_id=hall.hall_id,
                                                                             job_no=who.job_no)
        rows = central.tree(session, now=now, today=now.astimezone(hall.spec.zone).date(), within=within)
    return page(request, "central.html", texts=texts, who=who, rows=rows, no_region=within == [],
                stale_minutes=int(central.STALE_AFTER.total_seconds() // 60), zone_info=hall.spec.zone)
