"""Staff log in here. The session lives in an HttpOnly, SameSite=Strict cookie that no
script can read; writes made with it must also carry the X-CSRF-Token given at login."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from hall import accounts
from hall.api.deps import SESSION_COOKIE, HallDep, StaffMember
from hall.api.errors import ApiError
from hall.models import Staff
from hall.schemas import LoginRequest, Problem, Role, StaffSessionPublic

router = APIRouter(prefix="/session", tags=["session"])


def _public(staff: Staff, counters: list[str], csrf_token: str) -> StaffSessionPublic:
    return StaffSessionPublic(job_no=staff.job_no, name=staff.name, role=Role(staff.role), counters=counters,
                              csrf_token=csrf_token)


@router.post("", response_model=StaffSessionPublic,
             responses={401: {"model": Problem, "description": "unknown job number or wrong password, alike"},
                        403: {"model": Problem, "description": "the counter named is not this person's"},
                        429: {"model": Problem, "description": "too many failed logins: wait Retry-After s"}},
             summary="Log in (sets the session cookie)")
def login(body: LoginRequest, request: Request, hall: HallDep):
    now = hall.clock()
    # The failure count must be kept even though the login is refused, so the refusal is
    # raised only after the transaction has committed.
    refusal: Exception | None = None
    with hall.engine.transaction() as session:
        try:
            staff = accounts.check_login(session, hall_id=hall.hall_id, job_no=body.job_no,
                                         password=body.password, now=now)
        except (accounts.LoginRefused, accounts.LoginSlowed) as exc:
            refusal = exc
        else:
            permitted = accounts.permitted_counters(staff, hall.spec)
            if body.counter is not None and body.counter not in permitted:
                raise ApiError(403, "not_your_counter", f"{staff.job_no} may not work at counter {body.counter}")
            grant = accounts.open_session(session, staff=staff, counter=body.counter, now=now)
            answer = _public(staff, [body.counter] if body.counter else permitted, grant.csrf_token)
    if refusal is not None:
        raise refusal
    response = JSONResponse(answer.model_dump(mode="json"))
    response.set_cookie(SESSION_COOKIE, grant.token, max_age=accounts.SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


@router.get("", response_model=StaffSessionPublic, summary="Who is logged in, and the CSRF token")
def whoami(request: Request, hall: HallDep, who: StaffMember) -> StaffSessionPublic:
    with hall.engine.reading() as session:
        row, staff = accounts.staff_for_session(session, hall_id=hall.hall_id,
                                                token=request.cookies[SESSION_COOKIE], now=hall.clock())
        return _public(staff, list(who.counters), row.csrf_token)


@router.delete("", status_code=204, summary="Log out")
def logout(request: Request, hall: HallDep, _who: StaffMember) -> Response:
    with hall.engine.transaction() as session:
        accounts.close_session(session, token=request.cookies[SESSION_COOKIE])
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
