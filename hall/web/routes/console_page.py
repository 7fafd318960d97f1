"""The staff console: the login (and the choice of counter), then one counter's desk."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse

from hall.web.pages import device_locations, page, signed_in, texts_for, to_log_in

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str | None:
    """A page of ours to return to after login; never another site (//evil.example). A
    browser drops tabs and line breaks anywhere in an address and reads a backslash as a
    slash (/<TAB>/evil.example is //evil.example), so only printable ASCII passes."""
    if (value and value.startswith("/") and not value.startswith("//") and value.isascii() and value.isprintable()
            and "\\" not in value):
        return value
    return None


@router.get("/console")
def console_home(request: Request):
    who = signed_in(request)
    follow = safe_next(request.query_params.get("next"))
    if who is not None and follow:
        return RedirectResponse(follow, status_code=303)
    if who is not None and len(who.counters) == 1:
        return RedirectResponse(f"/console/{who.counters[0]}", status_code=303)
    return page(request, "login.html", who=who, next=follow)


@router.get("/console/{counter_id}")
def console(request: Request, counter_id: Annotated[str, Path(max_length=16)]):
    hall = request.app.state.hall
    texts = texts_for(request)
    if all(c.id != counter_id for c in hall.spec.counters):
        return page(request, "message.html", status_code=404, texts=texts, title=texts("console.title"),
                    message=texts("console.unknown_counter", counter=counter_id))
    who = signed_in(request)
    if who is None:
        return to_log_in(request)
    if counter_id not in who.counters:
        return page(request, "message.html", status_code=403, texts=texts, title=texts("console.title"),
                    message=texts("console.not_your_counter", counter=counter_id,
                                  counters=texts("console.counter_join").join(who.counters)),
                    link="/console", link_text=texts("console.pick_counter"))
    return page(request, "console.html", texts=texts, who=who, counter=counter_id, locations=device_locations(request))
