"""Who is asking, chained as Annotated dependencies: the hall, the caller (a terminal by its
bearer token, a staff member by session cookie), then what kind of caller a route allows,
and for counter operations whether the caller may work that counter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hall import accounts
from hall.api.errors import ApiError
from hall.api.server import HallServer
from hall.idempotency import KEY_PATTERN
from hall.schemas import CounterId, DeviceKind, Role

SESSION_COOKIE = "hall_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# Dependencies that do not wait on the database are async: FastAPI would run each plain
# function in the thread pool, a thread hop per dependency per request.

async def get_hall(request: Request) -> HallServer:
    return request.app.state.hall


HallDep = Annotated[HallServer, Depends(get_hall)]


@dataclass(frozen=True)
class Caller:
    name: str                        # device:ID or staff:JOB_NO, the scope of its idempotency keys
    device_id: str | None = None
    device_kind: DeviceKind | None = None
    job_no: str | None = None
    role: Role | None = None
    counters: tuple[str, ...] = ()   # for staff: the counters this session may operate

    @property
    def is_staff(self) -> bool:
        return self.job_no is not None


bearer = HTTPBearer(auto_error=False, description="a terminal's device token (python -m hall add-device)")
cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                      description="a staff session, from POST /api/v1/session; writes also need X-CSRF-Token")


async def caller(request: Request, hall: HallDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
                 session_token: Annotated[str | None, Depends(cookie)],
                 csrf: Annotated[str | None, Header(alias="X-CSRF-Token", max_length=128)] = None) -> Caller:
    if credentials is not None:
        device = hall.known_token(credentials.credentials)
        if device is None:
            device = await run_in_threadpool(hall.device_for_token, credentials.credentials)
        if not device:
            raise ApiError(401, "unauthorized", "unknown device token", {"WWW-Authenticate": "Bearer"})
        device_id, kind = device
        return Caller(name=f"device:{device_id}", device_id=device_id, device_kind=DeviceKind(kind))
    if session_token:
        found = await run_in_threadpool(_staff_session, hall, session_token)
        if found is None:
            raise ApiError(401, "unauthorized", "the session has ended; log in again")
        row, staff = found
        # The cookie goes with every request the browser makes, whoever's page asks: a write
        # must also show the token that only our own pages were given.
        if request.method not in SAFE_METHODS and csrf != row.csrf_token:
            raise ApiError(403, "csrf", "missing or wrong X-CSRF-Token header")
        counters = [row.counter] if row.counter else accounts.permitted_counters(staff, hall.spec)
        return Caller(name=f"staff:{staff.job_no}", job_no=staff.job_no, role=Role(staff.role),
                      counters=tuple(counters))
    raise ApiError(401, "unauthorized", "send a device token (Authorization: Bearer) or log in",
                   {"WWW-Authenticate": "Bearer"})


def _staff_session(hall: HallServer, token: str):
    with hall.engine.reading() as session:
        return accounts.staff_for_session(session, hall_id=hall.hall_id, token=token, now=hall.clock())


def allow(*kinds: DeviceKind, staff: bool = False, roles: tuple[Role, ...] = tuple(Role)):
    """A dependency admitting the named device kinds, and staff (of `roles`) if `staff`."""
    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.is_staff and staff and who.role in roles:
            return who
        if who.device_kind is not None and who.device_kind in kinds:
            return who
        allowed = [k.value for k in kinds] + ([f"staff ({', '.join(r.value for r in roles)})"] if staff else [])
        raise ApiError(403, "forbidden", f"{who.name} may not do this; allowed: {', '.join(allowed)}")
    return check


Anyone = Annotated[Caller, Depends(caller)]
Issuer = Annotated[Caller, Depends(allow(DeviceKind.KIOSK, staff=True))]
Kiosk = Annotated[Caller, Depends(allow(DeviceKind.KIOSK))]
Terminal = Annotated[Caller, Depends(allow(*DeviceKind))]
StaffMember = Annotated[Caller, Depends(allow(staff=True))]
Watcher = Annotated[Caller, Depends(allow(*DeviceKind, staff=True))]
Supervisor = Annotated[Caller, Depends(allow(staff=True, roles=(Role.SUPERVISOR, Role.ADMIN)))]
Rater = Annotated[Caller, Depends(allow(DeviceKind.COUNTER, DeviceKind.KEYPAD_BRIDGE, DeviceKind.KIOSK))]
CounterTerminal = Annotated[Caller, Depends(allow(DeviceKind.COUNTER))]


async def counter_operator(counter_id: Annotated[CounterId, Path(description="the counter, as the hall names it")],
                     who: StaffMember, hall: HallDep) -> str:
    if all(c.id != counter_id for c in hall.spec.counters):
        raise ApiError(404, "unknown_counter", f"no counter {counter_id!r} in this hall")
    if counter_id not in who.counters:
        raise ApiError(403, "not_your_counter", f"{who.name} may operate counters {', '.join(who.counters)} only")
    return counter_id


OperatedCounter = Annotated[str, Depends(counter_operator)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=KEY_PATTERN,
    description="a key of the client's making (a UUID); a retry with the same key gets the first answer "
                "and changes nothing")]
