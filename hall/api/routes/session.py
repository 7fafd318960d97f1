"""Staff log in here. The session lives in an HttpOnly, SameSite=Strict cookie that no
script can read; writes made with it must also carry the X-CSRF-Token given at login.
Signing in or out at a counter is a live event (counter_staff, the counter alone: no name),
by which the counter's terminal reads its card again at once."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hall import accounts, events
from hall.api.deps import SESSION_COOKIE, HallDep, StaffMember
from hall.api.errors import ApiError
from hall.api.server import HallServer
from hall.db import order_commits
from hall.models import Staff
from hall.schemas import LoginRequest, Problem, Role, StaffSessionPublic
from hall.tickets import EventKind

router = APIRouter(prefix="/session", tags=["session"])


def _public(staff: Staff, counters: list[str], csrf_token: str) -> StaffSessionPublic:
    return StaffSessionPublic(job_no=staff.job_no, name=staff.name, role=Role(staff.role), counters=counters,
                              csrf_token=csrf_token)


@router.post("", response_model=StaffSessionPublic,
             responses={401: {"model": Problem, "description": "unknown job number or wrong password, alike"},
                        403: {"model": Problem, "description": "the counter named is not this person's"},
                        429: {"model": Problem,
                              "description": "too many failed logins from this address (`login_slowed`) or too "
                                             "many logins being checked at once (`login_busy`): wait Retry-After s"}},
             summary="Log in (sets the session cookie)")
async def login(body: LoginRequest, request: Request, hall: HallDep):
    """Async, so that a login waiting for its password check holds none of the threads that
    serve tickets: the check runs on the password checks' own worker, and the database is
    reached in two short transactions, one before it and one after."""
    # The address is the key of the failure counts, held to their column's width.
    source = (request.client.host if request.client else "")[:64]
    with hall.password_checks.turn():
        hall.login_sources.charge(source, hall.clock())
        wrong = False
        try:
            attempt = await run_in_threadpool(_begin, hall, source, body.job_no)
            matches, rehashed = await hall.password_checks.run(accounts.check_password, attempt.stored_hash,
                                                               body.password)
            found = await run_in_threadpool(_finish, hall, attempt, rehashed, body.counter) if matches else None
            wrong = found is None
        finally:
            if not wrong:
                hall.login_sources.refund(source)
    if found is None:
        raise accounts.LoginRefused("unknown job number or wrong password")
    staff, counters, grant = found
    if grant is None:
        raise ApiError(403, "not_your_counter", f"{staff.job_no} may not work at counter {body.counter}")
    if body.counter is not None:
        hall.feed.ring()  # its counter_staff event
    response = JSONResponse(_public(staff, counters, grant.csrf_token).model_dump(mode="json"))
    response.set_cookie(SESSION_COOKIE, grant.token, max_age=accounts.SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


def _begin(hall: HallServer, source: str, job_no: str) -> accounts.LoginAttempt:
    with hall.engine.transaction() as session:
        return accounts.begin_login(session, hall_id=hall.hall_id, source=source, job_no=job_no, now=hall.clock())


def _finish(hall: HallServer, attempt: accounts.LoginAttempt, rehashed: str | None, counter: str | None):
    """(staff, their counters, the new session) for a password that matched, the session None
    if the counter named is not theirs (the right password still clears the failures);
    None if the account changed meanwhile."""
    with hall.engine.transaction() as session:
        if counter is not None:
            order_commits(session)  # its event's lock before any row's, as every writer of events
        staff = accounts.finish_login(session, attempt=attempt, rehashed=rehashed)
        if staff is None:
            return None
        permitted = accounts.permitted_counters(staff, hall.spec)
        if counter is not None and counter not in permitted:
            return staff, permitted, None
        grant = accounts.open_session(session, staff=staff, counter=counter, now=hall.clock())
        if counter is not None:
            _staff_changed(session, hall, counter, signed_in=True)
        return staff, [counter] if counter else permitted, grant


def _staff_changed(session, hall: HallServer, counter: str, *, signed_in: bool) -> None:
    events.append(session, hall_id=hall.hall_id, kind=EventKind.COUNTER_STAFF, at=hall.clock(), counter=counter,
                  payload={"counter": counter, "signed_in": signed_in})


@router.get("", response_model=StaffSessionPublic, summary="Who is logged in, and the CSRF token")
def whoami(request: Request, hall: HallDep, who: StaffMember) -> StaffSessionPublic:
    with hall.engine.reading() as session:
        row, staff = accounts.staff_for_session(session, hall_id=hall.hall_id,
                                                token=request.cookies[SESSION_COOKIE], now=hall.clock())
        return _public(staff, list(who.counters), row.csrf_token)


@router.delete("", status_code=204, summary="Log out")
def logout(request: Request, hall: HallDep, _who: StaffMember) -> Response:
    with hall.engine.transaction() as session:
        order_commits(session)  # a counter_staff event may follow: its lock first
        counter = accounts.close_session(session, token=request.cookies[SESSION_COOKIE])
        if counter is not None:
            _staff_changed(session, hall, counter, signed_in=False)
    if counter is not None:
        hall.feed.ring()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
