"""What every page's route uses: templates rendered in the request's language with the
headers every page carries, and who is logged in.

The Content-Security-Policy keeps a page to what this server serves and allows no inline
script; a page's texts and starting data travel as JSON data blocks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from hall import accounts
from hall.api.deps import SESSION_COOKIE
from hall.api.server import HallServer
from hall.schemas import Role
from hall.spec import LANGUAGES
from hall.uplink import central
from hall.web.i18n import HTML_LANG, LANGUAGE_NAMES, Texts, negotiate

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",   # the phone page's address is the ticket's secret
    "Cache-Control": "no-store",
}

LANGUAGE_COOKIE = "lang"
LANGUAGE_KEPT_SECONDS = 365 * 24 * 3600

templates = Jinja2Templates(directory=HERE / "templates")


def _json_block(value: object) -> Markup:
    """JSON safe inside <script type="application/json">: no "</" can close the element."""
    return Markup(json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
                  .replace("&", "\\u0026"))


templates.env.filters["json_block"] = _json_block


def _asked_language(request: Request) -> str | None:
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else request.cookies.get(LANGUAGE_COOKIE)


def texts_for(request: Request) -> Texts:
    return Texts(negotiate(request.headers.get("accept-language"), _asked_language(request)))


def language_links(request: Request) -> list[dict[str, str]]:
    """This page in each language: its own address with `lang` set, the rest of its query kept."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return [{"code": code, "name": LANGUAGE_NAMES[code], "html_lang": HTML_LANG[code],
             "href": "?" + urlencode({**query, "lang": code})} for code in LANGUAGES]


def page(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    texts = context.pop("texts", None) or texts_for(request)
    hall: HallServer = request.app.state.hall
    response = templates.TemplateResponse(request, template, {
        "t": texts, "lang": texts.language, "hall_name": hall.spec.hall.name.get(texts.language),
        "zone": hall.spec.hall.timezone, "languages": language_links(request),
        "reported_to": lambda: _reported_to(hall), **context},
        status_code=status_code, headers=SECURITY_HEADERS)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, request.query_params["lang"], max_age=LANGUAGE_KEPT_SECONDS,
                            samesite="lax", path="/")
    return response


def _reported_to(hall: HallServer) -> bool:
    """Whether halls report to this server (a parent's): asked only by the staff pages'
    foot, which then links the central page."""
    with hall.engine.reading() as session:
        return central.reports_here(session)


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


def to_log_in(request: Request) -> RedirectResponse:
    """The login, for nobody signed in, and back to this page after it."""
    return RedirectResponse(f"/console?next={request.url.path}", status_code=303)


def unless_supervisor(request: Request, who: SignedIn | None, texts: Texts, section: str) -> Response | None:
    """What a supervisors' page answers anyone else: the login for nobody signed in (back
    here after), a plain 403 page in `section`'s words for staff; None for a supervisor or
    an admin."""
    if who is None:
        return to_log_in(request)
    if who.role is Role.STAFF:
        return page(request, "message.html", status_code=403, texts=texts, title=texts(f"{section}.title"),
                    message=texts(f"{section}.supervisors_only"), link="/console", link_text=texts("console.title"))
    return None


def device_locations(request: Request) -> dict[str, str]:
    """Where each kiosk stands, as registered or as its latest help call said: a staff page's
    starting data, so that it names kiosks by their place (hall.accounts.device_locations)."""
    hall: HallServer = request.app.state.hall
    with hall.engine.reading() as session:
        return accounts.device_locations(session, hall_id=hall.hall_id)
