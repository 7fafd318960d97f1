"""The supervisor's page (好差评 监督): satisfaction per staff member, counter, service,
department and day over a period, with its charts; the follow-up cases of bad ratings and
the call-backs, each step taken there through the API. Supervisors and admins only."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall import accounts
from hall.ratings.terms import CASE_STEPS, LEVELS
from hall.web.pages import page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)


@router.get("/supervisor")
def supervisor_page(request: Request):
    who, texts = signed_in(request), texts_for(request)
    if (refused := unless_supervisor(request, who, texts, "supervisor")) is not None:
        return refused
    hall = request.app.state.hall
    spec, language = hall.spec, texts.language
    with hall.engine.reading() as session:
        staff = accounts.staff_names(session, hall_id=hall.hall_id)
    steps: dict[str, list[str]] = {}
    for state, step in CASE_STEPS:
        steps.setdefault(state.value, []).append(step.value)
    data = {
        "texts": texts.section("common", "supervisor"), "lang": language,
        "today": hall.clock().astimezone(spec.zone).date().isoformat(),
        "threshold": spec.ratings.satisfaction_threshold, "levels": sorted(LEVELS, reverse=True),
        "staff": staff, "services": {s.code: s.name.get(language) for s in spec.services},
        "reasons": [{"code": r.code, "name": r.name.get(language), "needs_comment": r.needs_comment}
                    for r in spec.ratings.reasons],
        "steps": steps,
    }
    return page(request, "supervisor.html", texts=texts, who=who, data=data)
