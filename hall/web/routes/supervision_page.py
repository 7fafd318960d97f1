"""The supervisor's page of cases (电子监察): the open cases by light, department and staff
member, each month's on-time rate per department and service, the cases filtered, and each
case's timeline. Rendered on the server from hall.matters, for supervisors and admins."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from hall import accounts
from hall.matters import cases, figures
from hall.matters.states import Light, MatterRefused
from hall.models import MAX_ID, ChildHall
from hall.web.pages import page, signed_in, texts_for, unless_supervisor

router = APIRouter(include_in_schema=False)
LISTED = 200


@router.get("/supervisor/matters")
def supervision(request: Request, light: Light | None = None,
                department: Annotated[str | None, Query(max_length=80)] = None,
                staff: Annotated[str | None, Query(max_length=32)] = None,
                month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None):
    who = signed_in(request)
    texts = texts_for(request)
    if (refusal := unless_supervisor(request, who, texts, "matters")) is not None:
        return refusal
    hall = request.app.state.hall
    today = hall.clock().astimezone(hall.spec.zone).date()
    chosen = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    with hall.engine.reading() as session:
        listed = cases.cases(session, spec=hall.spec, light=light, department=department or None,
                             staff=staff or None, open_only=True, limit=LISTED)
        context = {
            "by_department": figures.open_counts(session, spec=hall.spec, by="department"),
            "by_staff": figures.open_counts(session, spec=hall.spec, by="accepted_by"),
            "on_time_department": figures.on_time(session, spec=hall.spec, month=chosen, by="department"),
            "on_time_service": figures.on_time(session, spec=hall.spec, month=chosen, by="service"),
            # Cases accepted below are counted by the hall that accepted them.
            "names": {**{hall_id: texts("matters.from_below", hall=name) for hall_id, name in
                         session.execute(select(ChildHall.hall_id, ChildHall.name))},
                      **accounts.staff_names(session, hall_id=hall.hall_id)},
        }
    return page(request, "supervision.html", texts=texts, who=who, listed=listed, month=f"{chosen:%Y-%m}",
                chosen={"light": light.value if light else "", "department": department or "", "staff": staff or ""},
                departments=[d.name.zh_CN for d in hall.catalogue.departments],
                services={s.code: s.name.get(texts.language) for s in hall.spec.services},
                matter_names={c.id: matter_name(hall, c, texts.language) for c in listed},
                dues={c.id: cases.due_now(c, spec=hall.spec, today=today) for c in listed}, **context)


@router.get("/supervisor/matters/{case_id}")
def timeline(request: Request, case_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    who = signed_in(request)
    texts = texts_for(request)
    if (refusal := unless_supervisor(request, who, texts, "matters")) is not None:
        return refusal
    hall = request.app.state.hall
    with hall.engine.reading() as session:
        try:
            case = cases.one_case(session, spec=hall.spec, case_id=case_id)
        except MatterRefused:
            return page(request, "message.html", status_code=404, texts=texts, title=texts("progress.missing"),
                        message=texts("progress.missing"))
        steps = cases.timeline(session, case=case)
    today = hall.clock().astimezone(hall.spec.zone).date()
    return page(request, "matter_timeline.html", texts=texts, who=who, case=case, steps=steps,
                matter=matter_name(hall, case, texts.language), local=hall.spec.zone,
                due=cases.due_now(case, spec=hall.spec, today=today))


def matter_name(hall, case, language: str) -> str:
    """The case's matter in the page's language: as the catalogue names it, or, for a case
    accepted below, as that hall's catalogue did."""
    found = cases.checklist(case, hall.catalogue.entry(case.matter_code))
    return (found[0].get(language) or found[0]["zh_CN"]) if found else case.matter_code
