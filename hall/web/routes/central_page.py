"""A parent's central page (三级平台): its region tree with each hall's figures now and
today and each region's sums (hall.uplink.central). An admin sees every hall; a supervisor
the halls inside the regions named for them (python -m hall supervise-region); other staff
nothing. Drawn on the server, and refreshed by the browser every 30 s."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from hall.schemas import Role
from hall.uplink import central
from hall.web.pages import page, signed_in, texts_for

router = APIRouter(include_in_schema=False)


@router.get("/central")
def central_page(request: Request):
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/console?next=/central", status_code=303)
    texts = texts_for(request)
    if who.role is Role.STAFF:
        return page(request, "message.html", status_code=403, texts=texts, title=texts("central.title"),
                    message=texts("central.supervisors_only"), link="/console", link_text=texts("console.title"))
    hall = request.app.state.hall
    now = hall.clock()
    with hall.engine.reading() as session:
        within = None if who.role is Role.ADMIN else central.watched_regions(session, hall_id=hall.hall_id,
                                                                             job_no=who.job_no)
        rows = central.tree(session, now=now, today=now.astimezone(hall.spec.zone).date(), within=within)
    return page(request, "central.html", texts=texts, who=who, rows=rows, no_region=within == [],
                stale_minutes=int(central.STALE_AFTER.total_seconds() // 60), zone_info=hall.spec.zone)
