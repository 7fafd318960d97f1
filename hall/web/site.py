"""The pages' common ground: templates rendered in the request's language, the static files,
who is logged in, and the headers every page carries. install(app) mounts it all; the app
factory calls it.

Pages are HTML shells filled by their own scripts from the API (plain JavaScript with
EventSource; no build step). Everything a page loads is served from here: a hall's network
often reaches nothing else. The Content-Security-Policy keeps it so and allows no inline
script; a page's texts and starting data travel as JSON data blocks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from hall import accounts
from hall.api.deps import SESSION_COOKIE
from hall.api.server import HallServer
from hall.schemas import Role
from hall.web.i18n import Texts, negotiate

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",   # the phone page's address is the ticket's secret
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=HERE / "templates")


def _json_block(value: object) -> Markup:
    """JSON safe inside <script type="application/json">: no "</" can close the element."""
    return Markup(json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
                  .replace("&", "\\u0026"))


templates.env.filters["json_block"] = _json_block


def texts_for(request: Request) -> Texts:
    return Texts(negotiate(request.headers.get("accept-language"), request.query_params.get("lang")))


def page(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    texts = context.pop("texts", None) or texts_for(request)
    hall: HallServer = request.app.state.hall
    return templates.TemplateResponse(request, template, {
        "t": texts, "lang": texts.language, "hall_name": hall.spec.hall.name.get(texts.language),
        "zone": hall.spec.hall.timezone, **context},
        status_code=status_code, headers=SECURITY_HEADERS)


@dataclass(frozen=True)
class SignedIn:
    job_no: str
    name: str
    role: Role
    counters: tuple[str, ...]


def signed_in(request: Request) -> SignedIn | None:
    """The staff member of this browser's session cookie, if it is still valid."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    hall: HallServer = request.app.state.hall
    with hall.engine.reading() as session:
        found = accounts.staff_for_session(session, hall_id=hall.hall_id, token=token, now=hall.clock())
        if found is None:
            return None
        row, staff = found
        counters = [row.counter] if row.counter else accounts.permitted_counters(staff, hall.spec)
        return SignedIn(job_no=staff.job_no, name=staff.name, role=Role(staff.role), counters=tuple(counters))


def install(app: FastAPI) -> None:
    from hall.web.routes import console, devices, display, phone, supervisor

    app.mount(STATIC_PREFIX, StaticFiles(directory=HERE / "static"), name="static")
    for module in (console, display, phone, devices, supervisor):
        app.include_router(module.router)
