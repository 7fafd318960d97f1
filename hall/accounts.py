"""Who may use the hall server: terminals with tokens, staff with passwords and their
logged-in sessions, and the slowing of repeated failed logins per source and job number.

Data functions are keyword-only and take the session, so the caller decides the transaction
(a login and its record of failures commit together).
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall.errors import HallError
from hall.models import Device, LoginFailures, Staff, StaffPhoto, StaffSession
from hall.schemas import DeviceId, DeviceKind, JobNo, Role
from hall.spec import HallSpec

SESSION_HOURS = 12
FREE_FAILURES = 3                      # failures from one source for one job number before logins there are slowed
MAX_BLOCK = timedelta(minutes=15)      # the slowest it gets: one try per quarter hour
FAILURES_KEPT_FOR = timedelta(days=1)  # a source's failures for a job number are forgotten after a day without one
MAX_FAILURE_ROWS = 10_000              # and the oldest beyond these, whatever their age
MIN_PASSWORD = 8
# The Unicode categories of characters that take no visible place in a name (ESC and NUL
# are controls; zero-width spaces and bidirectional overrides are formats).
NON_PRINTING = {"Cc": "control", "Cf": "format", "Cs": "surrogate", "Co": "private use", "Cn": "unassigned",
                "Zl": "line separator", "Zp": "paragraph separator"}


class AccountError(HallError):
    """An account that cannot be made as asked."""


class LoginRefused(HallError):
    """Unknown job number or wrong password: the same error for both, on purpose."""


class LoginSlowed(HallError):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many failed logins; try again in {retry_after} s")


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with the library's RFC 9106 defaults


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """Checked against when the job number is unknown, so that both answers take as long."""
    return _hasher().hash(secrets.token_urlsafe(16))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _in_form(form, value: str, what: str, example: str, column) -> None:
    """Ids in the form the API takes them, so that what is stored can be named in a request
    and fits its column on every database."""
    try:
        TypeAdapter(form).validate_python(value)
    except ValidationError:
        raise AccountError(f"{what} {value!r}: use up to {column.type.length} letters, digits, - and _, "
                           f"such as {example}") from None


# -- devices ---------------------------------------------------------------------------------

def add_device(session: Session, *, hall_id: str, device_id: str, kind: DeviceKind, now: datetime,
               replace: bool = False, spec: HallSpec | None = None, counters: list[str] = (),
               location: str | None = None) -> str:
    """Registers a terminal and returns its token, which is shown once and stored only as a
    digest. `replace` gives an existing terminal a new token (the old one stops working) and
    keeps its location unless one is given. A counter terminal is bound to its counter of
    `spec` and a keypad bridge to those of its keypads: they rate only those counters'
    transactions (unbound, none)."""
    _in_form(DeviceId, device_id, "device id", "kiosk-01", Device.__table__.c.device_id)
    if location is not None:
        _printable(location, "location", Device.__table__.c.location.type.length)
    counters = list(dict.fromkeys(counters))
    if kind is DeviceKind.COUNTER and len(counters) > 1:
        raise AccountError("a counter terminal is bound to one counter (--counters 3)")
    if kind not in (DeviceKind.COUNTER, DeviceKind.KEYPAD_BRIDGE) and counters:
        raise AccountError(f"a {kind.value} is bound to no counter; leave --counters out")
    if counters:
        known = {c.id for c in spec.counters} if spec is not None else set()
        unknown = [c for c in counters if c not in known]
        if unknown:
            raise AccountError(f"no counter {', '.join(map(repr, unknown))} in this hall; "
                               f"known: {', '.join(sorted(known))}")
    token = secrets.token_urlsafe(32)
    device = session.get(Device, (hall_id, device_id))
    if device is not None and not replace:
        raise AccountError(f"device {device_id!r} exists; pass --new-token to replace its token")
    if device is None and replace:
        raise AccountError(f"no device {device_id!r} to give a new token; check the id, or leave out "
                           "--new-token to register a new device")
    if device is None:
        session.add(Device(hall_id=hall_id, device_id=device_id, kind=kind.value, token_hash=digest(token),
                           created_at=now, offline=False, counters=",".join(counters), location=location or ""))
    else:
        device.kind, device.token_hash, device.counters = kind.value, digest(token), ",".join(counters)
        if location is not None:
            device.location = location
    return token


def set_location(session: Session, *, hall_id: str, device_id: str, location: str) -> None:
    """Moves a registered terminal, keeping its token; a kiosk's next help call says where
    its configuration puts it, and that wins (the kiosk knows where it stands)."""
    _printable(location, "location", Device.__table__.c.location.type.length)
    device = session.get(Device, (hall_id, device_id))
    if device is None:
        raise AccountError(f"no device {device_id!r}; register it with add-device --location")
    device.location = location


def device_locations(session: Session, *, hall_id: str) -> dict[str, str]:
    """Where each terminal stands, by device id: how staff pages name a kiosk (一楼东门, not
    kiosk-01). Terminals whose location was never given are not in it."""
    return dict(session.execute(select(Device.device_id, Device.location)
                                .where(Device.hall_id == hall_id, Device.location != "")).all())


def bound_counters(session: Session, *, hall_id: str, device_id: str) -> tuple[str, ...]:
    """The counters a counter terminal or keypad bridge rates for."""
    device = session.get(Device, (hall_id, device_id))
    return tuple(c for c in (device.counters if device else "").split(",") if c)


def device_for_token(session: Session, *, hall_id: str, token: str) -> Device | None:
    device = session.scalar(select(Device).where(Device.token_hash == digest(token)))
    return device if device is not None and device.hall_id == hall_id else None


def heard_from(session: Session, *, device: Device, now: datetime) -> bool:
    """Notes a heartbeat; True if the device was counted offline until now."""
    was_offline = device.offline
    device.last_seen_at, device.offline = now, False
    return was_offline


def newly_silent(session: Session, *, hall_id: str, now: datetime, limit: timedelta) -> list[Device]:
    """Kiosks silent for longer than `limit` and not yet announced as such; marks them."""
    silent = list(session.scalars(select(Device).where(
        Device.hall_id == hall_id, Device.kind == DeviceKind.KIOSK.value, Device.offline.is_(False),
        Device.last_seen_at.is_not(None), Device.last_seen_at < now - limit).with_for_update()))
    for device in silent:
        device.offline = True
    return silent


def is_online(device: Device, *, now: datetime, limit: timedelta) -> bool:
    return device.last_seen_at is not None and now - device.last_seen_at <= limit


# -- staff -----------------------------------------------------------------------------------

def add_staff(session: Session, *, hall_id: str, spec: HallSpec, job_no: str, name: str, role: Role,
              counters: list[str], password: str, now: datetime, replace: bool = False, post: str = "",
              department: str = "", photo: bytes | None = None) -> Staff:
    """`post` and `department` are shown with the name on the counter terminal, and `photo`
    (JPEG or PNG) if given; on `replace`, a photo not given is kept."""
    _in_form(JobNo, job_no, "job number", "1001", Staff.__table__.c.job_no)
    _printable(name, "name", Staff.__table__.c.name.type.length, required=True)
    _printable(post, "post", Staff.__table__.c.post.type.length)
    _printable(department, "department", Staff.__table__.c.department.type.length)
    media_type = photo_type(photo) if photo is not None else None
    known = {c.id for c in spec.counters}
    unknown = [c for c in counters if c not in known]
    if unknown:
        raise AccountError(f"no counter {', '.join(map(repr, unknown))} in this hall; known: {', '.join(sorted(known))}")
    if role is Role.STAFF and not counters:
        raise AccountError("staff need at least one counter (--counters 1,2)")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    staff = session.get(Staff, (hall_id, job_no))
    if staff is not None and not replace:
        raise AccountError(f"staff {job_no!r} exists; pass --replace to change name, role, counters and password")
    if staff is None:
        staff = Staff(hall_id=hall_id, job_no=job_no, created_at=now)
        session.add(staff)
    staff.name, staff.role, staff.counters = name, role.value, ",".join(counters)
    staff.post, staff.department = post.strip(), department.strip()
    staff.password_hash = _hasher().hash(password)
    if photo is not None:
        session.flush()  # the account first: the photo refers to it
        kept = session.get(StaffPhoto, (hall_id, job_no))
        if kept is None:
            session.add(StaffPhoto(hall_id=hall_id, job_no=job_no, media_type=media_type, data=photo, updated_at=now))
        else:
            kept.media_type, kept.data, kept.updated_at = media_type, photo, now
    # A changed password or role ends the sessions made with the old one.
    session.execute(delete(StaffSession).where(StaffSession.hall_id == hall_id, StaffSession.job_no == job_no))
    return staff


def _printable(text: str, what: str, longest: int, *, required: bool = False) -> None:
    if (required and not text.strip()) or len(text) > longest:
        raise AccountError(f"a {what} of {int(required)} to {longest} characters, please, not {len(text)}")
    hidden = sorted({c for c in text if unicodedata.category(c) in NON_PRINTING})
    if hidden:
        # Shown on the console, the counter terminal, the display and in reports: an ESC, a
        # NUL, a right-to-left override or a zero-width space would garble them or make two
        # names look alike.
        shown = ", ".join(f"U+{ord(c):04X} ({unicodedata.name(c, NON_PRINTING[unicodedata.category(c)]).lower()})"
                          for c in hidden)
        raise AccountError(f"the {what} holds characters that do not print ({shown}); type it as written")


PHOTO_BYTES = 1_000_000  # a counter terminal's card needs a few hundred pixels, not a camera's file
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def photo_type(photo: bytes) -> str:
    """The media type of a staff photo, known by its first bytes; AccountError for anything
    but a JPEG or PNG of at most PHOTO_BYTES."""
    if len(photo) > PHOTO_BYTES:
        raise AccountError(f"the photo is {len(photo)} bytes; at most {PHOTO_BYTES}, please (a few hundred "
                           "pixels across is enough)")
    found = next((t for magic, t in PHOTO_TYPES.items() if photo.startswith(magic)), None)
    if found is None:
        raise AccountError("the photo is neither a JPEG nor a PNG file")
    return found


def signed_in_at(session: Session, *, hall_id: str, counter: str, now: datetime) -> Staff | None:
    """The staff member whose session names this counter, the latest to sign in there."""
    job_no = session.scalar(select(StaffSession.job_no).where(
        StaffSession.hall_id == hall_id, StaffSession.counter == counter, StaffSession.expires_at > now)
        .order_by(StaffSession.created_at.desc()).limit(1))
    return None if job_no is None else session.get(Staff, (hall_id, job_no))


def staff_photo(session: Session, *, hall_id: str, job_no: str) -> StaffPhoto | None:
    return session.get(StaffPhoto, (hall_id, job_no))


def has_photo(session: Session, *, hall_id: str, job_no: str) -> bool:
    return session.scalar(select(StaffPhoto.job_no).where(StaffPhoto.hall_id == hall_id,
                                                          StaffPhoto.job_no == job_no)) is not None


def staff_names(session: Session, *, hall_id: str) -> dict[str, str]:
    """Job number to name: how figures kept by job number are shown to a supervisor."""
    return dict(session.execute(select(Staff.job_no, Staff.name).where(Staff.hall_id == hall_id)).all())


def permitted_counters(staff: Staff, spec: HallSpec) -> list[str]:
    if Role(staff.role) is Role.STAFF:
        return [c for c in staff.counters.split(",") if c]
    return [c.id for c in spec.counters]


@dataclass(frozen=True)
class LoginAttempt:
    """A login counted as failed ahead of its password check, and what to check against."""
    hall_id: str
    source: str
    job_no: str
    stored_hash: str | None   # the staff member's, None for an unknown job number


def begin_login(session: Session, *, hall_id: str, source: str, job_no: str, now: datetime) -> LoginAttempt:
    """Counts a failed login for this source and job number before the password is checked,
    so that guesses sent at once cannot outrun their count, and raises LoginSlowed while
    they are blocked. Unknown and known job numbers are counted and blocked alike. The check
    (check_password) is left to the caller, outside the transaction: on SQLite a writing
    transaction holds the hall's one write lock, and Argon2 takes a good part of a second."""
    key = (hall_id, source, job_no)
    failures = session.get(LoginFailures, key, with_for_update=True)
    if failures is None:
        try:
            with session.begin_nested():
                session.add(LoginFailures(hall_id=hall_id, source=source, job_no=job_no, failures=0,
                                          last_failed_at=now))
        except IntegrityError:  # a login sent at the same instant made the row first: count on it
            pass
        failures = session.get(LoginFailures, key, with_for_update=True, populate_existing=True)
    if failures.blocked_until is not None and failures.blocked_until > now:
        raise LoginSlowed(max(1, int((failures.blocked_until - now).total_seconds() + 0.999)))
    failures.failures += 1
    failures.last_failed_at = now
    wait = slowed_for(failures.failures, FREE_FAILURES)
    failures.blocked_until = now + wait if wait else None
    staff = session.get(Staff, (hall_id, job_no))
    return LoginAttempt(hall_id=hall_id, source=source, job_no=job_no,
                        stored_hash=staff.password_hash if staff is not None else None)


def slowed_for(failures: int, free: int) -> timedelta:
    """How long logins wait after `failures` failures: nothing for the first `free`, then
    1 s, doubling with each failure up to MAX_BLOCK."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_BLOCK)


def check_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password is the one `stored` (None: an unknown job number, checked against
    a decoy so that both answers take as long), and its new hash if the stored one was made
    with parameters now out of date. This is a login's Argon2 work."""
    matches = _password_matches(stored or _decoy_hash(), password) and stored is not None
    rehashed = _hasher().hash(password) if matches and _hasher().check_needs_rehash(stored) else None
    return matches, rehashed


def finish_login(session: Session, *, attempt: LoginAttempt, rehashed: str | None) -> Staff | None:
    """The staff member of a login whose password matched, their failures from that source
    cleared; None if their password was changed while it was being checked."""
    staff = session.get(Staff, (attempt.hall_id, attempt.job_no))
    if staff is None or staff.password_hash != attempt.stored_hash:
        return None
    session.execute(delete(LoginFailures).where(LoginFailures.hall_id == attempt.hall_id,
                                                LoginFailures.source == attempt.source,
                                                LoginFailures.job_no == attempt.job_no))
    if rehashed is not None:
        staff.password_hash = rehashed
    return staff


def forget_failures(session: Session, *, now: datetime, keep: int = MAX_FAILURE_ROWS) -> int:
    """Drops the failures of a source and job number a day after the last one, and beyond
    the newest `keep` rows, so that the table stays small whatever is tried; returns how many."""
    forgotten = session.execute(delete(LoginFailures).where(
        LoginFailures.last_failed_at < now - FAILURES_KEPT_FOR)).rowcount
    newest_dropped = session.scalar(select(LoginFailures.last_failed_at)
                                    .order_by(LoginFailures.last_failed_at.desc()).offset(keep).limit(1))
    if newest_dropped is not None:
        forgotten += session.execute(delete(LoginFailures).where(
            LoginFailures.last_failed_at <= newest_dropped)).rowcount
    return forgotten


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SessionGrant:
    token: str          # the cookie's value; shown to the browser only
    csrf_token: str
    expires_at: datetime


def open_session(session: Session, *, staff: Staff, counter: str | None, now: datetime) -> SessionGrant:
    grant = SessionGrant(token=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(24),
                         expires_at=now + timedelta(hours=SESSION_HOURS))
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    session.add(StaffSession(token_hash=digest(grant.token), hall_id=staff.hall_id, job_no=staff.job_no,
                             counter=counter, csrf_token=grant.csrf_token, created_at=now,
                             expires_at=grant.expires_at))
    return grant


def staff_for_session(session: Session, *, hall_id: str, token: str,
                      now: datetime) -> tuple[StaffSession, Staff] | None:
    row = session.get(StaffSession, digest(token))
    if row is None or row.hall_id != hall_id or row.expires_at <= now:
        return None
    staff = session.get(Staff, (hall_id, row.job_no))
    return None if staff is None else (row, staff)


def close_session(session: Session, *, token: str) -> str | None:
    """Ends the session; returns the counter it was signed in at, if any."""
    row = session.get(StaffSession, digest(token))
    counter = row.counter if row is not None else None
    session.execute(delete(StaffSession).where(StaffSession.token_hash == digest(token)))
    return counter
