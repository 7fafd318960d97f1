"""The queue: numbering tickets, calling them to counters, and telling people how long.

Everything a ticket goes through is a row in `tickets` plus an entry in `events`,
changed in one transaction per operation, so that several kiosks, counter terminals and the
hall server can share one database and a crash leaves either the whole operation or none.
One QueueEngine is safe to share between threads: each call opens its own session.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Row, Select, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hall import events
from hall.booking_codes import BOOKING_PURPOSE, BadBookingCode, BookingCode, parse_booking_code
from hall.db import lock_person, make_engine, read_only, writers_turn
from hall.errors import (CounterOperationError, EarlierTicket, InvalidInput, RefusalReason, TicketNotFound,
                         TicketRefused)
from hall.models import MAX_ID, BookingCheckIn, CounterRow, DeviceStatus, Ticket, TicketSequence
from hall.signing import PERSON_PURPOSE, TICKET_PURPOSE, BadSignature, Signer, hall_signer
from hall.hours import issuing_refusal, next_opening, open_now
from hall.spec import Counter, HallSpec, Service
from hall.tickets import (CounterState, EventKind, PersonTickets, Priority, ServiceStatus, TicketInfo, TicketStatus,
                          WaitingTicket)

log = logging.getLogger(__name__)

MAX_SEQ = 999              # three digits after the prefix
RECENT_SERVICES = 20       # completed services the mean service time is taken over
MIN_RECENT_SERVICES = 3    # fewer than this and the configured mean is a better guess
MAX_AGE = 150
DETAIL_LENGTH = 2000       # a device report's detail: a sentence and a few lines of context
_TICKET_NUMBER = re.compile(r"[A-Z][0-9]{3,7}")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# -- statements ----------------------------------------------------------------------------
# Built once and reused: SQLAlchemy then skips rebuilding and re-keying them on every call,
# which is most of the cost of a ticket, and the database lock is held for less time.

_tickets = Ticket.__table__
_sequences = TicketSequence.__table__
_counters = CounterRow.__table__
_WAITING = TicketStatus.WAITING.value
_COMPLETED = TicketStatus.COMPLETED.value
# A ticket its holder still waits on or is served with; completed and absent ones are over.
_OPEN = [TicketStatus.WAITING.value, TicketStatus.CALLED.value, TicketStatus.HELD.value]
_check_ins = BookingCheckIn.__table__


_sequence_key = (_sequences.c.hall_id == bindparam("hall"), _sequences.c.day == bindparam("today"),
                 _sequences.c.service == bindparam("code"))
_BUMP_SEQUENCE = _sequences.update().where(*_sequence_key).values(last_seq=_sequences.c.last_seq + 1)
_LAST_SEQ = select(_sequences.c.last_seq).where(*_sequence_key)
_ISSUED_TODAY = select(_sequences.c.service, _sequences.c.last_seq).where(
    _sequences.c.hall_id == bindparam("hall"), _sequences.c.day == bindparam("today"))
_today_tickets = (_tickets.c.hall_id == bindparam("hall"), _tickets.c.day == bindparam("today"))
_PERSON_OPEN = (select(_tickets.c.number, _tickets.c.issued_service, _tickets.c.issued_at).where(
    *_today_tickets, _tickets.c.person_hash == bindparam("person_hash"), _tickets.c.status.in_(_OPEN),
    _tickets.c.issued_service.in_(bindparam("services", expanding=True))).order_by(_tickets.c.id))
_PERSON_TICKETS = (select(_tickets).where(*_today_tickets, _tickets.c.person_hash == bindparam("person_hash"),
                                          _tickets.c.status.in_(_OPEN)).order_by(_tickets.c.id))
_CHECKED_IN = (select(_tickets.c.number, _tickets.c.issued_service, _tickets.c.issued_at)
               .join(_check_ins, _check_ins.c.ticket_id == _tickets.c.id)
               .where(_check_ins.c.hall_id == bindparam("hall"), _check_ins.c.booking_id == bindparam("booking")))
_TICKET = select(_tickets).where(_tickets.c.id == bindparam("ticket"))
_TICKET_BY_NUMBER = select(_tickets).where(*_today_tickets, _tickets.c.number == bindparam("number"))
_WAITING_BY_SERVICE = (select(_tickets.c.service, func.count()).where(
    *_today_tickets, _tickets.c.status == _WAITING).group_by(_tickets.c.service))
_PAUSED = select(_counters.c.counter_id).where(_counters.c.hall_id == bindparam("hall"),
                                              _counters.c.paused.is_(True))


def _recent_durations(*, one_service: bool) -> Select:
    """Call and completion times of each service's last RECENT_SERVICES completions today."""
    recent = func.row_number().over(partition_by=_tickets.c.service,
                                    order_by=(_tickets.c.completed_at.desc(), _tickets.c.id.desc()))
    conditions = [*_today_tickets, _tickets.c.status == _COMPLETED,
                  _tickets.c.called_at.is_not(None), _tickets.c.completed_at.is_not(None)]
    if one_service:
        conditions.append(_tickets.c.service == bindparam("code"))
    inner = select(_tickets.c.service, _tickets.c.called_at, _tickets.c.completed_at,
                   recent.label("recent")).where(*conditions).subquery()
    return (select(inner.c.service, inner.c.called_at, inner.c.completed_at)
            .where(inner.c.recent <= RECENT_SERVICES))


_RECENT_ALL = _recent_durations(one_service=False)
_RECENT_ONE = _recent_durations(one_service=True)


class _OrderQueries:
    """The statements that depend on the hall's calling order (priority_first)."""

    def __init__(self, priority_first: list[Priority]):
        priority_first = [Priority(p).value for p in priority_first]
        t = _tickets.c
        self.ranks = {p: priority_first.index(p.value) if p.value in priority_first
                      else len(priority_first) for p in Priority}
        rank = (case({p: i for i, p in enumerate(priority_first)}, value=t.priority,
                     else_=len(priority_first))
                if priority_first else literal(0))
        waiting = (*_today_tickets, t.status == _WAITING)
        # A ticket sent to one counter is that counter's alone; the others are every
        # serving counter's.
        callable_by = or_(t.target_counter == bindparam("counter"),
                          and_(t.target_counter.is_(None),
                               t.service.in_(bindparam("services", expanding=True))))
        # Within a class, by issue: the id grows with every ticket issued, whereas the wall
        # clock may step back (an NTP correction) and would reorder the queue.
        before = or_(rank < bindparam("rank"), and_(rank == bindparam("rank"), t.id < bindparam("ticket")))
        self.next_for_counter = (select(t.id).where(*waiting, callable_by)
                                 .order_by(rank, t.id).limit(1))
        # The staff console's list: who waits, in calling order, then who was set aside.
        self.queue_for_counter = (
            select(t.id, t.number, t.service, t.priority, t.status, t.issued_at, t.target_counter)
            .where(*_today_tickets, t.status.in_([_WAITING, TicketStatus.HELD.value, TicketStatus.ABSENT.value]),
                   callable_by)
            .order_by(case((t.status == _WAITING, 0), else_=1), rank, t.id)
            .limit(bindparam("limit")))
        self.ahead_in_service = select(func.count()).select_from(_tickets).where(
            *waiting, t.service == bindparam("code"), t.target_counter.is_(None), before)
        self.ahead_at_counter = select(func.count()).select_from(_tickets).where(
            *waiting, callable_by, before)


@dataclass
class _Op:
    """What a counter operation works with, inside its transaction."""

    session: Session
    row: CounterRow
    counter: Counter
    now: datetime
    today: date


class QueueEngine:
    def __init__(self, spec: HallSpec, url: str, *, clock: Callable[[], datetime] | None = None):
        self.spec = spec
        self._hall = spec.hall.id
        self._zone = spec.zone
        self._clock = clock or _utcnow
        self._order = _OrderQueries(list(spec.hall.priority_first))
        self._engine = make_engine(url)
        self._writing = sessionmaker(self._engine, expire_on_commit=False)
        self._reading = sessionmaker(read_only(self._engine), expire_on_commit=False)
        self._outer: ContextVar[Session | None] = ContextVar(f"hall-transaction-{id(self)}", default=None)
        self._writers_turn = writers_turn(self._engine)
        self._ensure_counters()
        with self._begin_writing() as session:
            self.signer: Signer = hall_signer(session, hall_id=self._hall)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction around several calls of this engine on this thread: every call
        made inside joins it, so all commit or none does (the hall server stores a request's
        idempotency key and answer with the change it made)."""
        if self._outer.get() is not None:
            raise RuntimeError("engine transactions do not nest")
        with self._begin_writing() as session:
            token = self._outer.set(session)
            try:
                yield session
            finally:
                self._outer.reset(token)

    def reading(self) -> AbstractContextManager[Session]:
        """A transaction that only reads; inside transaction(), that one, to see its changes."""
        return self._joined(self._reading.begin)

    def _write(self) -> AbstractContextManager[Session]:
        return self._joined(self._begin_writing)

    @contextmanager
    def _joined(self, begin: Callable[[], AbstractContextManager[Session]]) -> Iterator[Session]:
        outer = self._outer.get()
        if outer is not None:
            yield outer
            return
        with begin() as session:
            yield session

    @contextmanager
    def _begin_writing(self) -> Iterator[Session]:
        with self._writers_turn, self._writing.begin() as session:
            yield session

    # -- tickets -------------------------------------------------------------------------

    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL,
                     person_hash: str | None = None, age: int | None = None) -> TicketInfo:
        """Numbers and stores a ticket; raises TicketRefused. A refused or failed issue
        rolls back with its transaction and so consumes no number.

        `person_hash` (kiosk.identity's salted hash of an ID number) holds the person to the
        hall's tickets_per_person; `age`, in whole years, is all the hall learns of the
        person's birth date: from its green_channel_age on, the ticket is green."""
        svc = self.spec.service(service)
        if svc is None:
            raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, service)
        try:
            priority = Priority(priority)
        except ValueError:
            raise InvalidInput("priority", f"{priority!r} is not one of: "
                                           f"{', '.join(p.value for p in Priority)}") from None
        if person_hash is not None:
            _bounded("person_hash", person_hash, Ticket.__table__.c.person_hash.type.length)
        if age is not None:
            if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= MAX_AGE:
                raise InvalidInput("age", f"{age!r} is not an age in whole years (0 to {MAX_AGE})")
            if age >= self.spec.hall.green_channel_age:
                priority = Priority.GREEN
        now = self._now()
        today = self._today(now)
        reason, reopens_at = issuing_refusal(self.spec.hours, self._zone, now)
        if reason is not None:
            raise TicketRefused(reason, service, reopens_at=reopens_at)
        if svc.needs_id and person_hash is None:
            raise TicketRefused(RefusalReason.IDENTIFICATION_REQUIRED, service)
        with self._write() as session:
            if person_hash is not None:
                lock_person(session, person_hash)
                self._hold_to_limit(session, svc, person_hash, today)
            ticket_id = self._insert(session, svc, priority, now=now, today=today, person_hash=person_hash)
        # Read after the commit, without the write lock: the place in the queue is as true
        # a moment later, and other kiosks need not wait for it.
        return self.ticket(ticket_id)

    def check_in(self, code: str) -> TicketInfo:
        """A booked ticket for a booking code (docs/booking-qr.md), once per booking.

        The code is checked in this order, each failure a TicketRefused naming its reason: the
        hall's booking signature (booking_forged), this hall (booking_other_hall), not checked
        in before (booking_used, with the ticket it gave), the service, the day and window
        with the hall's grace (booking_early, saying when to come; booking_expired), and the
        hall open now. A booked ticket is not held to the daily quota: its place was booked.
        Raises InvalidInput for text that is not a booking code at all."""
        try:
            booking = parse_booking_code(code) if isinstance(code, str) else None
        except BadBookingCode as exc:
            raise InvalidInput("code", str(exc)) from None
        if booking is None:
            raise InvalidInput("code", f"must be text, not {type(code).__name__}")
        if not self.signer.check(BOOKING_PURPOSE, booking.signed_part, booking.signature):
            raise TicketRefused(RefusalReason.BOOKING_FORGED, booking.service,
                                detail=f"booking {booking.booking_id} is not signed with this hall's key")
        if booking.hall_id != self._hall:
            raise TicketRefused(RefusalReason.BOOKING_OTHER_HALL, booking.service,
                                detail=f"booking {booking.booking_id} is for hall {booking.hall_id}")
        now = self._now()
        today = self._today(now)
        with self._write() as session:
            self._not_checked_in(session, booking)
            svc = self.spec.service(booking.service)
            if svc is None:
                raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, booking.service)
            self._in_window(booking, now)
            if not open_now(self.spec.hours, self._zone, now):
                reason, reopens_at = issuing_refusal(self.spec.hours, self._zone, now)
                raise TicketRefused(reason or RefusalReason.CLOSED_FOR_TODAY, svc.code, reopens_at=reopens_at)
            ticket_id = self._insert(session, svc, Priority.BOOKED, now=now, today=today, quota=False)
            try:
                with session.begin_nested():
                    session.execute(_check_ins.insert(), {"hall_id": self._hall, "booking_id": booking.booking_id,
                                                          "ticket_id": ticket_id, "checked_in_at": now})
            except IntegrityError:  # another kiosk checked the same booking in this instant
                self._not_checked_in(session, booking)
                raise
        log.info("booking %s checked in for %s", booking.booking_id, svc.code)
        return self.ticket(ticket_id)

    def ticket_token(self, ticket_id: int) -> str:
        """What a ticket's link ends with: its id, signed, so that ids cannot be guessed."""
        return self.signer.sign(TICKET_PURPOSE, str(ticket_id))

    def ticket_by_token(self, token: str) -> TicketInfo:
        """The ticket a link's token names; TicketNotFound for one this hall did not sign."""
        try:
            ticket_id = int(self.signer.verify(TICKET_PURPOSE, token)) if len(token) <= 100 else None
        except (BadSignature, ValueError, TypeError):
            ticket_id = None
        if ticket_id is None:
            raise TicketNotFound("this ticket link was not issued by this hall")
        return self.ticket(ticket_id)

    def ticket_by_number(self, number: str) -> TicketInfo:
        """Today's ticket of that number (a ticket is valid on its day only)."""
        if not isinstance(number, str) or not _TICKET_NUMBER.fullmatch(number.strip().upper()):
            raise InvalidInput("number", f"{number!r} is not a ticket number such as A001")
        now = self._now()
        today = self._today(now)
        with self.reading() as session:
            row = session.execute(_TICKET_BY_NUMBER, {"hall": self._hall, "today": today,
                                                      "number": number.strip().upper()}).first()
            if row is None:
                raise TicketNotFound(f"no ticket {number} today in hall {self._hall!r}")
            return self._info(session, row, today=today)

    def person_salt(self) -> bytes:
        """The salt of the person hash: the hall's, made from its secret, handed to its kiosks
        so that an ID number never leaves the kiosk that read it."""
        return self.signer.key_for(PERSON_PURPOSE)

    def ticket(self, ticket_id: int) -> TicketInfo:
        if not isinstance(ticket_id, int) or not 0 < ticket_id <= MAX_ID:
            raise TicketNotFound(f"no ticket {ticket_id!r} in hall {self._hall!r}")
        now = self._now()
        with self.reading() as session:
            row = session.execute(_TICKET, {"ticket": ticket_id}).first()
            if row is None or row.hall_id != self._hall:
                raise TicketNotFound(f"no ticket {ticket_id} in hall {self._hall!r}")
            return self._info(session, row, today=self._today(now))

    def person_tickets(self, person_hash: str) -> PersonTickets:
        """The open tickets today of the person with this hash (kiosk.identity's), and the
        services they may still take a ticket for."""
        _bounded("person_hash", person_hash, Ticket.__table__.c.person_hash.type.length)
        now = self._now()
        today = self._today(now)
        with self.reading() as session:
            rows = session.execute(_PERSON_TICKETS, {"hall": self._hall, "today": today,
                                                     "person_hash": person_hash}).all()
            tickets = tuple(self._info(session, row, today=today) for row in rows)
        held = [row.issued_service for row in rows]
        open_to = []
        for svc in self.spec.services:
            services, limit = self._person_limit(svc)
            if sum(code in services for code in held) < limit:
                open_to.append(svc.code)
        return PersonTickets(tickets=tickets, open_to=tuple(open_to))

    def services_status(self) -> list[ServiceStatus]:
        """Every service in the hall's order, from four queries whatever their number."""
        now = self._now()
        today = self._today(now)
        key = {"hall": self._hall, "today": today}
        with self.reading() as session:
            waiting = dict(session.execute(_WAITING_BY_SERVICE, key).all())
            issued = dict(session.execute(_ISSUED_TODAY, key).all())
            paused = set(session.scalars(_PAUSED, key))
            means = _mean_minutes(session.execute(_RECENT_ALL, key))
        reason, reopens_at = issuing_refusal(self.spec.hours, self._zone, now)
        out = []
        for svc in self.spec.services:
            refusal, reopens = reason, reopens_at
            if refusal is None:
                refusal = _limit_reached(svc.daily_quota, issued.get(svc.code, 0))
                reopens = self._reopens_tomorrow(today) if refusal else None
            people = waiting.get(svc.code, 0)
            open_counters = self._open_counters(svc.code, paused)
            out.append(ServiceStatus(
                code=svc.code, waiting=people, open_counters=open_counters,
                estimated_wait_minutes=_wait(people, means.get(svc.code, svc.mean_service_minutes),
                                             open_counters),
                issued_today=issued.get(svc.code, 0), quota=svc.daily_quota,
                refusal=refusal, reopens_at=reopens))
        return out

    def service_status(self, service: str) -> ServiceStatus:
        for status in self.services_status():
            if status.code == service:
                return status
        raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, service)

    # -- counters ------------------------------------------------------------------------

    def call_next(self, counter: str) -> TicketInfo | None:
        """The next ticket in calling order for this counter, or None when nobody waits."""
        with self._at_counter(counter) as op:
            if op.row.paused:
                raise CounterOperationError("paused", f"counter {counter} is paused; resume it first")
            self._not_busy(op)
            params = {"hall": self._hall, "today": op.today, "counter": counter,
                      "services": list(op.counter.services)}
            while True:
                ticket_id = op.session.scalar(self._order.next_for_counter, params)
                if ticket_id is None:
                    return None
                # Another counter may take the same ticket between the select and here on a
                # database with row locks; the status condition makes the loser look again.
                if _claim(op.session, ticket_id, {TicketStatus.WAITING}, counter=counter, at=op.now):
                    break
            return self._called(op, op.session.get(Ticket, ticket_id), EventKind.CALLED)

    def recall(self, counter: str) -> TicketInfo:
        with self._at_counter(counter) as op:
            ticket = self._current(op)
            limit = self.spec.hall.max_recalls
            if ticket.recalls >= limit:
                raise CounterOperationError(
                    "recall_limit", f"{ticket.number} was recalled {ticket.recalls} times, the most allowed "
                                    f"is {limit}; mark it absent or hold it")
            ticket.recalls += 1
            _log_event(op.session, ticket_id=ticket.id, kind=EventKind.RECALLED, counter=counter,
                       at=op.now, detail=str(ticket.recalls))
            return self._info(op.session, ticket, today=op.today)

    def mark_absent(self, counter: str) -> TicketInfo:
        return self._set_aside(counter, TicketStatus.ABSENT, EventKind.ABSENT)

    def hold(self, counter: str) -> TicketInfo:
        return self._set_aside(counter, TicketStatus.HELD, EventKind.HELD)

    def call_back(self, counter: str, number: str) -> TicketInfo:
        """Calls again a held or absent ticket of today, when its holder comes back."""
        if not isinstance(number, str) or not _TICKET_NUMBER.fullmatch(number.strip().upper()):
            raise CounterOperationError("bad_number", f"{number!r} is not a ticket number such as A001")
        number = number.strip().upper()
        with self._at_counter(counter) as op:
            if op.row.paused:
                raise CounterOperationError("paused", f"counter {counter} is paused; resume it first")
            self._not_busy(op)
            row = op.session.execute(_TICKET_BY_NUMBER, {"hall": self._hall, "today": op.today,
                                                         "number": number}).first()
            if row is None:
                raise CounterOperationError("not_found", f"no ticket {number} today")
            set_aside = {TicketStatus.HELD, TicketStatus.ABSENT}
            if (TicketStatus(row.status) not in set_aside or not _may_call(op.counter, row)
                    or not _claim(op.session, row.id, set_aside, counter=counter, at=op.now)):
                raise CounterOperationError(
                    "not_callable", f"{number} is {row.status} for {row.service}; counter {counter} "
                                    "can call back only a held or absent ticket it serves")
            return self._called(op, op.session.get(Ticket, row.id), EventKind.CALLED_BACK)

    def transfer(self, counter: str, *, to_service: str | None = None,
                 to_counter: str | None = None) -> TicketInfo:
        """Sends the ticket being served to another queue with its number and its place
        (its issue time), so that the citizen does not start again at the back."""
        self._counter(counter)
        if (to_service is None) == (to_counter is None):
            raise CounterOperationError("bad_transfer", "transfer to a service or to a counter, one of them")
        if to_service is not None and self.spec.service(to_service) is None:
            raise CounterOperationError("unknown_service", f"no service {to_service!r} in this hall")
        if to_counter is not None:
            self._counter(to_counter)
            if to_counter == counter:
                raise CounterOperationError("bad_transfer", f"the ticket is already at counter {counter}")
        with self._at_counter(counter) as op:
            ticket = self._current(op)
            if ticket.day < op.today:
                raise CounterOperationError(
                    "stale_ticket", f"{ticket.number} was issued on {ticket.day}: a ticket is valid on its "
                                    "own day only; complete it or mark it absent")
            if to_service is not None and to_service == ticket.service and ticket.target_counter is None:
                # It would start over with no recalls: a way round the recall limit.
                raise CounterOperationError("same_queue", f"{ticket.number} already waits for {to_service}")
            if to_service is not None:
                ticket.service, ticket.target_counter = to_service, None
                detail = f"service={to_service}"
            else:
                ticket.target_counter = to_counter
                detail = f"counter={to_counter}"
            ticket.status = TicketStatus.WAITING.value
            ticket.called_at = None
            ticket.recalls = 0
            op.row.current_ticket_id = None
            _log_event(op.session, ticket_id=ticket.id, kind=EventKind.TRANSFERRED, counter=counter,
                       at=op.now, detail=detail)
            return self._info(op.session, ticket, today=op.today)

    def complete(self, counter: str) -> TicketInfo:
        with self._at_counter(counter) as op:
            ticket = self._current(op)
            ticket.status = TicketStatus.COMPLETED.value
            ticket.completed_at = op.now
            op.row.current_ticket_id = None
            _log_event(op.session, ticket_id=ticket.id, kind=EventKind.COMPLETED, counter=counter, at=op.now)
            return self._info(op.session, ticket, today=op.today)

    def pause(self, counter: str) -> None:
        """A paused counter calls nobody and counts for no estimate; the ticket it is
        serving stays with it until completed."""
        self._set_paused(counter, True)

    def resume(self, counter: str) -> None:
        self._set_paused(counter, False)

    def _set_paused(self, counter: str, paused: bool) -> None:
        with self._at_counter(counter) as op:
            if op.row.paused != paused:
                op.row.paused = paused
                events.append(op.session, hall_id=self._hall, at=op.now, counter=counter,
                              kind=EventKind.COUNTER_PAUSED if paused else EventKind.COUNTER_RESUMED,
                              payload={"counter": counter, "paused": paused})

    def counter_state(self, counter: str) -> CounterState:
        self._counter(counter)
        now = self._now()
        with self.reading() as session:
            row = session.get(CounterRow, (self._hall, counter))
            if row is None:
                return CounterState(id=counter, paused=False, current=None)
            current = None
            if row.current_ticket_id is not None:
                ticket = session.execute(_TICKET, {"ticket": row.current_ticket_id}).first()
                current = self._info(session, ticket, today=self._today(now))
            return CounterState(id=counter, paused=row.paused, current=current)

    def waiting_list(self, counter: str, *, limit: int = 100) -> list[WaitingTicket]:
        """The tickets this counter may call, in calling order, then the held and absent
        ones it may call back, oldest first; at most `limit` in all."""
        spec_counter = self._counter(counter)
        now = self._now()
        with self.reading() as session:
            rows = session.execute(self._order.queue_for_counter, {
                "hall": self._hall, "today": self._today(now), "counter": counter,
                "services": list(spec_counter.services), "limit": limit}).all()
        return [WaitingTicket(id=r.id, number=r.number, service=r.service, priority=Priority(r.priority),
                              status=TicketStatus(r.status), issued_at=r.issued_at.astimezone(self._zone),
                              target_counter=r.target_counter) for r in rows]

    # -- devices -------------------------------------------------------------------------

    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        columns = DeviceStatus.__table__.c
        for name, value, limit in (("device_id", device_id, columns.device_id.type.length),
                                   ("kind", kind, columns.kind.type.length),
                                   ("status", status, columns.status.type.length),
                                   ("detail", detail, DETAIL_LENGTH)):
            _bounded(name, value, limit)
        now = self._now()
        for attempt in (1, 2):
            try:
                with self._write() as session:
                    row = session.get(DeviceStatus, (self._hall, device_id))
                    before = None if row is None else row.status
                    if row is None:
                        session.add(DeviceStatus(hall_id=self._hall, device_id=device_id, kind=kind,
                                                 status=status, detail=detail, at=now))
                    else:
                        row.kind, row.status, row.detail, row.at = kind, status, detail, now
                    if status != (before or "ok"):  # an alarm, or the end of one
                        events.append(session, hall_id=self._hall, kind=EventKind.DEVICE_STATUS, at=now,
                                      payload={"device": device_id, "kind": kind, "status": status,
                                               "previous": before, "detail": detail})
                return
            except IntegrityError:
                if attempt == 2:  # only if a second device inserted the same id at the same instant
                    raise

    # -- inside --------------------------------------------------------------------------

    def _insert(self, session: Session, svc: Service, priority: Priority, *, now: datetime, today: date,
                person_hash: str | None = None, quota: bool = True) -> int:
        """Takes the service's next number and stores the ticket and its event; returns its id."""
        seq = _take_number(session, key={"hall": self._hall, "today": today, "code": svc.code})
        limit = _limit_reached(svc.daily_quota if quota else None, seq - 1)
        if limit is not None:
            raise TicketRefused(limit, svc.code, reopens_at=self._reopens_tomorrow(today),
                                detail=f"{seq - 1} tickets issued today")
        number = f"{svc.prefix}{seq:03d}"
        ticket_id = session.execute(_tickets.insert(), {
            "hall_id": self._hall, "day": today, "service": svc.code, "issued_service": svc.code,
            "prefix": svc.prefix, "seq": seq, "number": number,
            "priority": priority.value, "status": _WAITING, "issued_at": now, "recalls": 0,
            "person_hash": person_hash}).inserted_primary_key[0]
        _log_event(session, ticket_id=ticket_id, kind=EventKind.ISSUED, at=now, detail=priority.value)
        log.info("issued %s for %s (%s)", number, svc.code, priority.value)
        return ticket_id

    def _hold_to_limit(self, session: Session, svc: Service, person_hash: str, today: date) -> None:
        """Refuses a ticket beyond the person's open tickets allowed: one of a service counted
        apart, or the hall's tickets_per_person over the services counted per day."""
        services, limit = self._person_limit(svc)
        held = session.execute(_PERSON_OPEN, {"hall": self._hall, "today": today, "person_hash": person_hash,
                                              "services": services}).all()
        if len(held) >= limit:
            first = held[0]
            raise TicketRefused(RefusalReason.ALREADY_HAS_TICKET, svc.code,
                                earlier=self._earlier(first), detail=f"{len(held)} open ticket(s) today")

    def _person_limit(self, svc: Service) -> tuple[list[str], int]:
        """The services whose open tickets count against a person's ticket for `svc`, and
        how many they may hold."""
        if svc.person_limit == "service":
            return [svc.code], 1
        return [s.code for s in self.spec.services if s.person_limit == "day"], self.spec.hall.tickets_per_person

    def _not_checked_in(self, session: Session, booking: BookingCode) -> None:
        used = session.execute(_CHECKED_IN, {"hall": self._hall, "booking": booking.booking_id}).first()
        if used is not None:
            raise TicketRefused(RefusalReason.BOOKING_USED, booking.service, earlier=self._earlier(used),
                                detail=f"booking {booking.booking_id} checked in before")

    def _in_window(self, booking: BookingCode, now: datetime) -> None:
        grace = self.spec.booking
        opens = datetime.combine(booking.day, booking.window_start, tzinfo=self._zone) - timedelta(
            minutes=grace.early_minutes)
        closes = datetime.combine(booking.day, booking.window_end, tzinfo=self._zone) + timedelta(
            minutes=grace.late_minutes)
        window = f"{booking.day} {booking.window_start:%H:%M}-{booking.window_end:%H:%M}"
        if now < opens:
            raise TicketRefused(RefusalReason.BOOKING_EARLY, booking.service, reopens_at=opens,
                                detail=f"booking {booking.booking_id} is for {window}")
        if now > closes:
            raise TicketRefused(RefusalReason.BOOKING_EXPIRED, booking.service,
                                detail=f"booking {booking.booking_id} was for {window}")

    def _earlier(self, row: Row) -> EarlierTicket:
        return EarlierTicket(number=row.number, service=row.issued_service,
                             issued_at=row.issued_at.astimezone(self._zone))

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError(f"the clock gave a naive datetime {now!r}; it must carry its zone")
        return now

    def _today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    def _reopens_tomorrow(self, today: date) -> datetime | None:
        end_of_day = datetime.combine(today, time.max, tzinfo=self._zone)
        return next_opening(self.spec.hours, self._zone, end_of_day)

    def _counter(self, counter: str) -> Counter:
        found = next((c for c in self.spec.counters if c.id == counter), None)
        if found is None:
            raise CounterOperationError("unknown_counter", f"no counter {counter!r} in this hall")
        return found

    def _ensure_counters(self) -> None:
        """A row per configured counter, so that every later operation can lock one."""
        try:
            with self._writing.begin() as session:
                known = set(session.scalars(select(CounterRow.counter_id).where(
                    CounterRow.hall_id == self._hall)))
                session.add_all(CounterRow(hall_id=self._hall, counter_id=c.id, paused=False)
                                for c in self.spec.counters if c.id not in known)
        except IntegrityError:
            pass  # another process starting at the same moment added them

    @contextmanager
    def _at_counter(self, counter: str) -> Iterator[_Op]:
        """One transaction holding the counter's row, so that operations on one counter
        run one after the other even from two browsers."""
        spec_counter = self._counter(counter)
        now = self._now()
        with self._write() as session:
            row = session.scalars(select(CounterRow).where(
                CounterRow.hall_id == self._hall, CounterRow.counter_id == counter).with_for_update()).first()
            if row is None:  # the counter was added to the configuration while running
                row = CounterRow(hall_id=self._hall, counter_id=counter, paused=False)
                session.add(row)
                session.flush()
            yield _Op(session=session, row=row, counter=spec_counter, now=now, today=self._today(now))

    def _current(self, op: _Op) -> Ticket:
        if op.row.current_ticket_id is None:
            raise CounterOperationError("idle", f"counter {op.counter.id} is serving no ticket")
        return op.session.get(Ticket, op.row.current_ticket_id)

    def _not_busy(self, op: _Op) -> None:
        if op.row.current_ticket_id is not None:
            number, day = op.session.execute(select(Ticket.number, Ticket.day).where(
                Ticket.id == op.row.current_ticket_id)).one()
            if day < op.today:
                # Left open at closing time: it must not block the counter the next morning.
                log.info("counter %s: %s of %s released at the start of a new day", op.counter.id, number, day)
                op.row.current_ticket_id = None
                return
            raise CounterOperationError(
                "busy", f"counter {op.counter.id} is serving {number}; complete it, mark it absent, "
                        "hold it or transfer it first")

    def _called(self, op: _Op, ticket: Ticket, kind: EventKind) -> TicketInfo:
        op.session.refresh(ticket)  # _claim changed it behind the session's back
        op.row.current_ticket_id = ticket.id
        _log_event(op.session, ticket_id=ticket.id, kind=kind, counter=op.counter.id, at=op.now)
        return self._info(op.session, ticket, today=op.today)

    def _set_aside(self, counter: str, status: TicketStatus, kind: EventKind) -> TicketInfo:
        with self._at_counter(counter) as op:
            ticket = self._current(op)
            ticket.status = status.value
            op.row.current_ticket_id = None
            _log_event(op.session, ticket_id=ticket.id, kind=kind, counter=counter, at=op.now)
            return self._info(op.session, ticket, today=op.today)

    def _open_counters(self, service: str, paused: set[str]) -> int:
        return sum(1 for c in self.spec.counters_for(service) if c.id not in paused)

    def _info(self, session: Session, ticket: Ticket | Row, *, today: date) -> TicketInfo:
        """A ticket as callers see it; `ticket` is an ORM object or a row of `tickets`."""
        session.flush()  # Core statements below do not flush pending ORM changes
        ahead = estimate = 0
        status = TicketStatus(ticket.status)
        if status is TicketStatus.WAITING and ticket.day == today:
            key = {"hall": self._hall, "today": today, "rank": self._order.ranks[Priority(ticket.priority)],
                   "ticket": ticket.id}
            if ticket.target_counter is not None:
                # It waits for one counter: those before it are all that counter's.
                target = next((c for c in self.spec.counters if c.id == ticket.target_counter), None)
                ahead = session.scalar(self._order.ahead_at_counter, {
                    **key, "counter": ticket.target_counter,
                    "services": list(target.services) if target else []})
                open_counters = 1
            else:
                ahead = session.scalar(self._order.ahead_in_service, {**key, "code": ticket.service})
                open_counters = self._open_counters(ticket.service, set(session.scalars(_PAUSED, key)))
            svc = self.spec.service(ticket.service)
            means = _mean_minutes(session.execute(_RECENT_ONE, {**key, "code": ticket.service}))
            mean = means.get(ticket.service, svc.mean_service_minutes if svc else 0)
            estimate = _wait(ahead, mean, open_counters)
        if ticket.target_counter is not None:
            counters = (ticket.target_counter,)
        else:
            counters = tuple(c.id for c in self.spec.counters_for(ticket.service))
        return TicketInfo(
            id=ticket.id, number=ticket.number, service=ticket.service,
            priority=Priority(ticket.priority), status=status, day=ticket.day,
            issued_at=ticket.issued_at.astimezone(self._zone), ahead=ahead,
            estimated_wait_minutes=estimate, counters=counters,
            counter=None if status is TicketStatus.WAITING else ticket.counter,  # a transfer's is history
            recalls=ticket.recalls)


# -- data functions ----------------------------------------------------------------------

def _take_number(session: Session, *, key: dict) -> int:
    """The next sequence number of the service for the day, locking the day's row until
    the transaction ends. SQLite is already locked whole by BEGIN IMMEDIATE; on PostgreSQL
    the UPDATE takes the row lock, and a day's first two tickets meeting at the INSERT are
    settled by the primary key."""
    if session.execute(_BUMP_SEQUENCE, key).rowcount == 0:
        try:
            with session.begin_nested():
                session.execute(_sequences.insert(), {"hall_id": key["hall"], "day": key["today"],
                                                      "service": key["code"], "last_seq": 1})
            return 1
        except IntegrityError:
            session.execute(_BUMP_SEQUENCE, key)
    return session.scalar(_LAST_SEQ, key)


def _bounded(field: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidInput(field, f"is {len(value)} characters long; at most {limit}")


def _limit_reached(quota: int | None, issued: int) -> RefusalReason | None:
    if quota is not None and issued >= quota:
        return RefusalReason.QUOTA_REACHED
    if issued >= MAX_SEQ:
        return RefusalReason.NUMBERS_EXHAUSTED
    return None


def _claim(session: Session, ticket_id: int, statuses: set[TicketStatus], *, counter: str,
           at: datetime) -> bool:
    """Makes the ticket CALLED at `counter` if it is still in one of `statuses`."""
    result = session.execute(
        _tickets.update().where(_tickets.c.id == ticket_id,
                                _tickets.c.status.in_([s.value for s in statuses]))
        .values(status=TicketStatus.CALLED.value, counter=counter, called_at=at, recalls=0))
    return result.rowcount == 1


def _may_call(counter: Counter, ticket: Row) -> bool:
    if ticket.target_counter is not None:
        return ticket.target_counter == counter.id
    return ticket.service in counter.services


def _log_event(session: Session, *, ticket_id: int, kind: EventKind, at: datetime,
               counter: str | None = None, detail: str = "") -> None:
    events.append_ticket_event(session, ticket_id=ticket_id, kind=kind, at=at, counter=counter, detail=detail)


def _mean_minutes(rows) -> dict[str, float]:
    """Mean minutes from call to completion per service, for the services with at least
    MIN_RECENT_SERVICES recent completions. The subtraction is done here: date arithmetic
    differs in every SQL dialect."""
    durations: dict[str, list[float]] = {}
    for code, called_at, completed_at in rows:
        if completed_at >= called_at:  # a clock stepped back between the two says nothing
            durations.setdefault(code, []).append((completed_at - called_at).total_seconds() / 60)
    return {code: sum(d) / len(d) for code, d in durations.items() if len(d) >= MIN_RECENT_SERVICES}


def _wait(people: int, mean_minutes: float, open_counters: int) -> int:
    """Whole minutes, rounded up; rounded first to the microsecond so that 8.000000001
    minutes of float noise does not become 9."""
    return math.ceil(round(people * mean_minutes / max(open_counters, 1), 6))
