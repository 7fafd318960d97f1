"""The console's desk for cases (办件受理): a staff member opens a case of a matter for the
citizen at their counter (or a walk-in), ticking the documents received and, where the hall
tells citizens of their cases, the phone number they leave for it; then takes its next steps,
sees whether the citizen's notices were sent, and prints its receipt. The page's script does
it all through the API."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.web.pages import page, signed_in, texts_for, to_log_in

router = APIRouter(include_in_schema=False)


@router.get("/console/matters")
def desk(request: Request):
    who = signed_in(request)
    if who is None:
        return to_log_in(request)
    hall = request.app.state.hall
    texts = texts_for(request)
    language = texts.language
    services = []
    for service in hall.spec.services:
        entries = hall.catalogue.for_service(service.code)
        if entries:
            services.append({"code": service.code, "name": service.name.get(language), "matters": [
                {"code": e.matter.code, "name": e.matter.name.get(language), "agent": e.matter.agent,
                 "documents": [d.name.get(language) for d in e.matter.documents]} for e in entries]})
    data = {"texts": texts.section("common", "matters", "progress", "receipt", "desk"), "lang": language,
            "counter": who.counters[0] if len(who.counters) == 1 else None, "job_no": who.job_no,
            "services": services, "citizen_notices": bool(hall.supervision.citizen_channels),
            "today": hall.clock().astimezone(hall.spec.zone).date().isoformat()}
    return page(request, "matters_desk.html", texts=texts, who=who, data=data)
