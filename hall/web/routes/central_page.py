"""A parent's central page (三级平台): its region tree with each hall's figures now and
today and each region's sums (hall.uplink.central), and from a hall's row its queues and
counters today. An admin sees every hall; a supervisor the halls inside the regions named
for them (python -m hall supervise-region), and a hall outside them is not found, whatever
address is typed; other staff nothing. The wall (/central/wall) shows the same at 1920×1080
for a screen across a room: the sums, the busiest halls and two charts. Drawn on the
server, and refreshed by the browser every 30 s."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.schemas import Role
from hall.uplink import central
from hall.web.pages import SignedIn, page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)
STALE_MINUTES = int(central.STALE_AFTER.total_seconds() // 60)


@router.get("/central")
def central_page(request: Request):
    texts, who = texts_for(request), signed_in(request)
    if (refused := unless_supervisor(request, who, texts, "central")) is not None:
        return refused
    rows, within = _tree(request, who)
    return page(request, "central.html", texts=texts, who=who, rows=rows, no_region=within == [],
                stale_minutes=STALE_MINUTES, zone_info=request.app.state.hall.spec.zone)


WALL_LINES = 12   # the halls a 1920×1080 wall has room for in its type


@router.get("/central/wall")
def central_wall(request: Request):
    texts, who = texts_for(request), signed_in(request)
    if (refused := unless_supervisor(request, who, texts, "central")) is not None:
        return refused
    rows, _ = _tree(request, who)
    halls, more = central.busiest(rows, limit=WALL_LINES)
    places = {row.code: row.name for row in rows if not row.hall_id}
    chart = [{"name": row.name, "stale": row.stale, "waiting": row.figures.waiting,
              "satisfaction": row.figures.satisfaction} for row in halls]
    hall = request.app.state.hall
    return page(request, "central_wall.html", texts=texts, who=who, total=central.totals(rows), halls=halls,
                more=more, places=places, chart=chart, now=hall.clock().astimezone(hall.spec.zone))


@router.get("/central/halls/{hall_id}")
def central_hall_page(hall_id: str, request: Request):
    texts, who = texts_for(request), signed_in(request)
    if (refused := unless_supervisor(request, who, texts, "central")) is not None:
        return refused
    hall = request.app.state.hall
    now = hall.clock()
    with hall.engine.reading() as session:
        child = central.visible_hall(session, hall_id=hall_id, within=_within(session, hall, who))
        today = child and central.hall_today(session, hall=child, now=now, today=now.astimezone(hall.spec.zone).date(),
                                             language=texts.language)
    if today is None:
        return page(request, "message.html", status_code=404, texts=texts, title=texts("central.title"),
                    message=texts("central.no_such_hall"), link="/central", link_text=texts("central.title"))
    return page(request, "central_hall.html", texts=texts, who=who, today=today, stale_minutes=STALE_MINUTES,
                zone_info=hall.spec.zone)


def _tree(request: Request, who: SignedIn) -> tuple[list[central.Row], list[str] | None]:
    """The tree's lines this member may see, and the regions they are limited to (None: all)."""
    hall = request.app.state.hall
    now = hall.clock()
    with hall.engine.reading() as session:
        within = _within(session, hall, who)
        return central.tree(session, now=now, today=now.astimezone(hall.spec.zone).date(), within=within), within


def _within(session, hall, who: SignedIn) -> list[str] | None:
    return None if who.role is Role.ADMIN else central.watched_regions(session, hall_id=hall.hall_id,
                                                                       job_no=who.job_no)
