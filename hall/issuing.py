"""Giving tickets: a walk-in's at a kiosk, a booked citizen's at check-in.

Every service numbers its tickets per day (A001, A002, …) without gaps, whatever the number
of kiosks and processes issuing at once: the day's sequence row is locked until the ticket
and its event are stored, so a refused or failed issue rolls back and consumes no number.
Checks that need no database (the service, the hours, the age, the booking's signature) are
made before the transaction, so that refusals never wait for the write lock.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import Row, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall import events, hours
from hall.booking_codes import BOOKING_PURPOSE, BadBookingCode, BookingCode, parse_booking_code
from hall.db import lock_person
from hall.errors import EarlierTicket, InvalidInput, RefusalReason, TicketRefused, bounded
from hall.models import BookingCheckIn, Ticket, TicketSequence
from hall.signing import Signer
from hall.spec import HallSpec, Service
from hall.ticket_queries import OPEN, TODAY, WAITING, tickets
from hall.tickets import EventKind, Priority

log = logging.getLogger(__name__)

MAX_AGE = 150

_sequences = TicketSequence.__table__
_check_ins = BookingCheckIn.__table__
_sequence_key = (_sequences.c.hall_id == bindparam("hall"), _sequences.c.day == bindparam("today"),
                 _sequences.c.service == bindparam("code"))
_BUMP_SEQUENCE = (_sequences.update().where(*_sequence_key).values(last_seq=_sequences.c.last_seq + 1)
                  .returning(_sequences.c.last_seq))
_INSERT_TICKET = tickets.insert().returning(*tickets.c)
_ISSUED_TODAY = select(_sequences.c.service, _sequences.c.last_seq).where(
    _sequences.c.hall_id == bindparam("hall"), _sequences.c.day == bindparam("today"))
_PERSON_OPEN = (select(tickets.c.number, tickets.c.issued_service, tickets.c.issued_at).where(
    *TODAY, tickets.c.person_hash == bindparam("person_hash"), tickets.c.status.in_(OPEN),
    tickets.c.issued_service.in_(bindparam("services", expanding=True))).order_by(tickets.c.id))
_CHECKED_IN = (select(tickets.c.number, tickets.c.issued_service, tickets.c.issued_at)
               .join(_check_ins, _check_ins.c.ticket_id == tickets.c.id)
               .where(_check_ins.c.hall_id == bindparam("hall"), _check_ins.c.booking_id == bindparam("booking")))


def admit(*, spec: HallSpec, service: str, priority: Priority, person_hash: str | None, age: int | None,
          now: datetime) -> tuple[Service, Priority]:
    """The service and the priority of a walk-in ticket asked for now, or TicketRefused (or
    InvalidInput) without touching the database.

    `person_hash` (kiosk.identity's hash of an ID number with the day's key) holds the person to the
    hall's tickets_per_person; `age`, in whole years, is all the hall learns of the
    person's birth date: from its green_channel_age on, the ticket is green."""
    svc = spec.service(service)
    if svc is None:
        raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, service)
    try:
        priority = Priority(priority)
    except ValueError:
        raise InvalidInput("priority", f"{priority!r} is not one of: "
                                       f"{', '.join(p.value for p in Priority)}") from None
    if person_hash is not None:
        bounded("person_hash", person_hash, Ticket.__table__.c.person_hash.type.length)
    if age is not None:
        if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= MAX_AGE:
            raise InvalidInput("age", f"{age!r} is not an age in whole years (0 to {MAX_AGE})")
        if age >= spec.hall.green_channel_age:
            priority = Priority.GREEN
    reason, reopens_at = hours.issuing_refusal(spec.hours, spec.zone, now)
    if reason is not None:
        raise TicketRefused(reason, service, reopens_at=reopens_at)
    if svc.needs_id and person_hash is None:
        raise TicketRefused(RefusalReason.IDENTIFICATION_REQUIRED, service)
    return svc, priority


def issue(session: Session, *, spec: HallSpec, svc: Service, priority: Priority, person_hash: str | None,
          now: datetime) -> Row:
    """Numbers and stores an admitted ticket; returns its row. Raises TicketRefused for the
    person's limit, the quota or the last number of the day."""
    today = now.astimezone(spec.zone).date()
    if person_hash is not None:
        lock_person(session, person_hash)
        _hold_to_limit(session, spec, svc, person_hash, today)
    return _insert(session, spec, svc, priority, now=now, today=today, person_hash=person_hash)


def read_booking(code: str, *, signer: Signer, hall_id: str) -> BookingCode:
    """The booking of a code signed by this hall for this hall; TicketRefused naming
    booking_forged or booking_other_hall, InvalidInput for text that is not a booking code."""
    try:
        booking = parse_booking_code(code) if isinstance(code, str) else None
    except BadBookingCode as exc:
        raise InvalidInput("code", str(exc)) from None
    if booking is None:
        raise InvalidInput("code", f"must be text, not {type(code).__name__}")
    if not signer.check(BOOKING_PURPOSE, booking.signed_part, booking.signature):
        raise TicketRefused(RefusalReason.BOOKING_FORGED, booking.service,
                            detail=f"booking {booking.booking_id} is not signed with this hall's key")
    if booking.hall_id != hall_id:
        raise TicketRefused(RefusalReason.BOOKING_OTHER_HALL, booking.service,
                            detail=f"booking {booking.booking_id} is for hall {booking.hall_id}")
    return booking


def check_in(session: Session, *, spec: HallSpec, booking: BookingCode, now: datetime) -> Row:
    """A booked ticket for a read booking, once per booking; returns its row.

    Checked in this order, each failure a TicketRefused naming its reason: not checked in
    before (booking_used, with the ticket it gave), the service, the day and window with the
    hall's grace (booking_early, saying when to come; booking_expired), and the hall open
    now. A booked ticket is not held to the daily quota: its place was booked."""
    today = now.astimezone(spec.zone).date()
    _not_checked_in(session, spec, booking)
    svc = spec.service(booking.service)
    if svc is None:
        raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, booking.service)
    _in_window(spec, booking, now)
    if not hours.open_now(spec.hours, spec.zone, now):
        reason, reopens_at = hours.issuing_refusal(spec.hours, spec.zone, now)
        raise TicketRefused(reason or RefusalReason.CLOSED_FOR_TODAY, svc.code, reopens_at=reopens_at)
    ticket = _insert(session, spec, svc, Priority.BOOKED, now=now, today=today, quota=False)
    try:
        with session.begin_nested():
            session.execute(_check_ins.insert(), {"hall_id": spec.hall.id, "booking_id": booking.booking_id,
                                                  "ticket_id": ticket.id, "checked_in_at": now})
    except IntegrityError:  # another kiosk checked the same booking in this instant
        _not_checked_in(session, spec, booking)
        raise
    log.info("booking %s checked in for %s", booking.booking_id, svc.code)
    return ticket


def issued_today(session: Session, *, hall_id: str, today: date) -> dict[str, int]:
    """The tickets numbered today per service (the last number given)."""
    return dict(session.execute(_ISSUED_TODAY, {"hall": hall_id, "today": today}).all())


def limit_reached(quota: int | None, issued: int, last_seq: int) -> RefusalReason | None:
    """The reason no ticket more is issued today: the quota, or the service's last number
    (Service.last_seq)."""
    if quota is not None and issued >= quota:
        return RefusalReason.QUOTA_REACHED
    if issued >= last_seq:
        return RefusalReason.NUMBERS_EXHAUSTED
    return None


def _insert(session: Session, spec: HallSpec, svc: Service, priority: Priority, *, now: datetime, today: date,
            person_hash: str | None = None, quota: bool = True) -> Row:
    """Takes the service's next number and stores the ticket and its event; returns its row.
    The event is written at the commit (hall.events.append), the service's number row
    being locked already."""
    seq = _take_number(session, key={"hall": spec.hall.id, "today": today, "code": svc.code})
    limit = limit_reached(svc.daily_quota if quota else None, seq - 1, svc.last_seq)
    if limit is not None:
        detail = f"{seq - 1} tickets issued today"
        if limit is RefusalReason.NUMBERS_EXHAUSTED:
            detail += (f", the most its {svc.digits}-digit numbers allow ({svc.ticket_number(1)} to "
                       f"{svc.ticket_number(svc.last_seq)})")
        raise TicketRefused(limit, svc.code, reopens_at=hours.opening_after(spec.hours, spec.zone, today),
                            detail=detail)
    number = svc.ticket_number(seq)
    ticket = session.execute(_INSERT_TICKET, {
        "hall_id": spec.hall.id, "day": today, "service": svc.code, "issued_service": svc.code,
        "prefix": svc.prefix, "seq": seq, "number": number,
        "priority": priority.value, "status": WAITING, "issued_at": now, "recalls": 0,
        "person_hash": person_hash}).one()
    events.append_ticket_event(session, ticket_id=ticket.id, kind=EventKind.ISSUED, at=now, detail=priority.value,
                               ticket=ticket, at_commit=True)
    log.info("issued %s for %s (%s)", number, svc.code, priority.value)
    return ticket


def _take_number(session: Session, *, key: dict) -> int:
    """The next sequence number of the service for the day, locking the day's row until
    the transaction ends. SQLite is already locked whole by BEGIN IMMEDIATE; on PostgreSQL
    the UPDATE takes the row lock, and a day's first two tickets meeting at the INSERT are
    settled by the primary key."""
    seq = session.scalar(_BUMP_SEQUENCE, key)
    if seq is None:
        try:
            with session.begin_nested():
                session.execute(_sequences.insert(), {"hall_id": key["hall"], "day": key["today"],
                                                      "service": key["code"], "last_seq": 1})
            return 1
        except IntegrityError:
            seq = session.scalar(_BUMP_SEQUENCE, key)
    return seq


def person_limit(spec: HallSpec, svc: Service) -> tuple[list[str], int]:
    """The services whose open tickets count against a person's ticket for `svc`, and how
    many they may hold."""
    if svc.person_limit == "service":
        return [svc.code], 1
    return [s.code for s in spec.services if s.person_limit == "day"], spec.hall.tickets_per_person


def _hold_to_limit(session: Session, spec: HallSpec, svc: Service, person_hash: str, today: date) -> None:
    """Refuses a ticket beyond the person's open tickets allowed: one of a service counted
    apart, or the hall's tickets_per_person over the services counted per day."""
    services, limit = person_limit(spec, svc)
    held = session.execute(_PERSON_OPEN, {"hall": spec.hall.id, "today": today, "person_hash": person_hash,
                                          "services": services}).all()
    if len(held) >= limit:
        first = held[0]
        raise TicketRefused(RefusalReason.ALREADY_HAS_TICKET, svc.code,
                            earlier=_earlier(spec, first), detail=f"{len(held)} open ticket(s) today")


def _not_checked_in(session: Session, spec: HallSpec, booking: BookingCode) -> None:
    used = session.execute(_CHECKED_IN, {"hall": spec.hall.id, "booking": booking.booking_id}).first()
    if used is not None:
        raise TicketRefused(RefusalReason.BOOKING_USED, booking.service, earlier=_earlier(spec, used),
                            detail=f"booking {booking.booking_id} checked in before")


def _in_window(spec: HallSpec, booking: BookingCode, now: datetime) -> None:
    grace = spec.booking
    opens = datetime.combine(booking.day, booking.window_start, tzinfo=spec.zone) - timedelta(
        minutes=grace.early_minutes)
    closes = datetime.combine(booking.day, booking.window_end, tzinfo=spec.zone) + timedelta(
        minutes=grace.late_minutes)
    window = f"{booking.day} {booking.window_start:%H:%M}-{booking.window_end:%H:%M}"
    if now < opens:
        raise TicketRefused(RefusalReason.BOOKING_EARLY, booking.service, reopens_at=opens,
                            detail=f"booking {booking.booking_id} is for {window}")
    if now > closes:
        raise TicketRefused(RefusalReason.BOOKING_EXPIRED, booking.service,
                            detail=f"booking {booking.booking_id} was for {window}")


def _earlier(spec: HallSpec, row: Row) -> EarlierTicket:
    return EarlierTicket(number=row.number, service=row.issued_service, issued_at=row.issued_at.astimezone(spec.zone))
