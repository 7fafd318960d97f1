"""The queue engine: one hall's tickets and counters on its database, for a kiosk (the
embedded hall) and for the hall server.

A thin facade over a transaction, the clock, the hall and its signer: the work is done by
the data functions of hall.issuing, hall.calling, hall.estimates, hall.ticket_lookup and
hall.device_reports, each given the session, the hall's spec and the moment. Everything a
ticket goes through is a row in `tickets` plus an entry in the event log, changed in one
transaction per operation, so that several kiosks, counter terminals and the hall server can
share one database and a crash leaves either the whole operation or none. One QueueEngine is
safe to share between threads: each call opens its own session.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hall import calling, device_reports, estimates, issuing, ticket_lookup
from hall.db import make_engine, read_only, writers_turn
from hall.errors import RefusalReason, TicketNotFound, TicketRefused
from hall.signing import TICKET_PURPOSE, BadSignature, Signer, hall_signer
from hall.spec import HallSpec
from hall.tickets import CounterState, PersonTickets, Priority, ServiceStatus, TicketInfo, WaitingTicket


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class QueueEngine:
    def __init__(self, spec: HallSpec, url: str, *, clock: Callable[[], datetime] | None = None):
        self.spec = spec
        self._hall = spec.hall.id
        self._clock = clock or _utcnow
        self._engine = make_engine(url)
        self._writing = sessionmaker(self._engine, expire_on_commit=False)
        self._readers = read_only(self._engine)
        self._reading = sessionmaker(self._readers, expire_on_commit=False)
        self._outer: ContextVar[Session | None] = ContextVar(f"hall-transaction-{id(self)}", default=None)
        self._writers_turn = writers_turn(self._engine)
        self._ensure_counters()
        with self._begin_writing() as session:
            self.signer: Signer = hall_signer(session, hall_id=self._hall)

    def close(self) -> None:
        self._readers.dispose()
        self._engine.dispose()

    @contextmanager
    def transaction(self, *, first: bool = False) -> Iterator[Session]:
        """One transaction around several calls of this engine on this thread: every call
        made inside joins it, so all commit or none does (the hall server stores a request's
        idempotency key and answer with the change it made). `first`: it goes before the
        writes waiting for their turn (hall.db.WritersTurn)."""
        if self._outer.get() is not None:
            raise RuntimeError("engine transactions do not nest")
        with self._begin_writing(first=first) as session:
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
    def _begin_writing(self, *, first: bool = False) -> Iterator[Session]:
        with self._writers_turn(first=first), self._writing.begin() as session:
            yield session

    # -- tickets -------------------------------------------------------------------------

    def issue_ticket(self, service: str, *, priority: Priority = Priority.NORMAL,
                     person_hash: str | None = None, age: int | None = None) -> TicketInfo:
        """Numbers and stores a ticket (hall.issuing); raises TicketRefused. A refused or
        failed issue rolls back with its transaction and so consumes no number."""
        ticket = self.store_ticket(service, priority=priority, person_hash=person_hash, age=age)
        # Read after the commit, without the write lock: the place in the queue is as true
        # a moment later, and other kiosks need not wait for it.
        return self._info(ticket)

    def store_ticket(self, service: str, *, priority: Priority = Priority.NORMAL,
                     person_hash: str | None = None, age: int | None = None) -> Row:
        """issue_ticket without the ticket's place in the queue, for a caller inside
        transaction() (the server's idempotent write): that place is read after the commit,
        since playing the queue forward inside would hold every other writer up meanwhile."""
        now = self._now()
        svc, priority = issuing.admit(spec=self.spec, service=service, priority=priority,
                                      person_hash=person_hash, age=age, now=now)
        with self._write() as session:
            return issuing.issue(session, spec=self.spec, svc=svc, priority=priority,
                                 person_hash=person_hash, now=now)

    def check_in(self, code: str) -> TicketInfo:
        """A booked ticket for a booking code (docs/booking-qr.md), once per booking; the
        refusals are hall.issuing.read_booking's and check_in's."""
        booking = issuing.read_booking(code, signer=self.signer, hall_id=self._hall)
        now = self._now()
        with self._write() as session:
            ticket = issuing.check_in(session, spec=self.spec, booking=booking, now=now)
        return self._info(ticket)

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
        number = ticket_lookup.check_number(number)
        now = self._now()
        with self.reading() as session:
            return ticket_lookup.ticket_by_number(session, spec=self.spec, number=number, now=now)

    def person_tickets(self, person_hash: str) -> PersonTickets:
        """The open tickets today of the person with this hash, and the services they may
        still take a ticket for."""
        now = self._now()
        with self.reading() as session:
            return ticket_lookup.person_tickets(session, spec=self.spec, person_hash=person_hash, now=now)

    def ticket(self, ticket_id: int) -> TicketInfo:
        now = self._now()
        with self.reading() as session:
            return ticket_lookup.ticket_by_id(session, spec=self.spec, ticket_id=ticket_id, now=now)

    def _info(self, ticket: Row) -> TicketInfo:
        """A ticket just stored, from its row, as callers see it."""
        with self.reading() as session:
            return estimates.ticket_info(session, spec=self.spec, ticket=ticket, now=self._now())

    def services_status(self) -> list[ServiceStatus]:
        now = self._now()
        with self.reading() as session:
            return estimates.services_status(session, spec=self.spec, now=now)

    def service_status(self, service: str) -> ServiceStatus:
        for status in self.services_status():
            if status.code == service:
                return status
        raise TicketRefused(RefusalReason.UNKNOWN_SERVICE, service)

    # -- counters (hall.calling) ---------------------------------------------------------

    def call_next(self, counter: str) -> TicketInfo | None:
        """The next ticket in calling order for this counter, or None when nobody waits."""
        return self._at_counter(calling.call_next, counter)

    def recall(self, counter: str) -> TicketInfo:
        return self._at_counter(calling.recall, counter)

    def mark_absent(self, counter: str) -> TicketInfo:
        return self._at_counter(calling.mark_absent, counter)

    def hold(self, counter: str) -> TicketInfo:
        return self._at_counter(calling.hold, counter)

    def call_back(self, counter: str, number: str) -> TicketInfo:
        """Calls again a held or absent ticket of today, when its holder comes back."""
        return self._at_counter(calling.call_back, counter, number=number)

    def transfer(self, counter: str, *, to_service: str | None = None,
                 to_counter: str | None = None) -> TicketInfo:
        """Sends the ticket being served to another queue with its number and its place."""
        calling.check_transfer(spec=self.spec, counter=counter, to_service=to_service, to_counter=to_counter)
        return self._at_counter(calling.transfer, counter, to_service=to_service, to_counter=to_counter)

    def complete(self, counter: str) -> TicketInfo:
        return self._at_counter(calling.complete, counter)

    def complete_and_call_next(self, counter: str) -> tuple[TicketInfo, TicketInfo | None]:
        """The ticket being served completed and the next one called, in one transaction."""
        return self._at_counter(calling.complete_and_call_next, counter)

    def pause(self, counter: str) -> None:
        """A paused counter calls nobody and counts for no estimate; the ticket it is
        serving stays with it until completed."""
        self._at_counter(calling.set_paused, counter, paused=True)

    def resume(self, counter: str) -> None:
        self._at_counter(calling.set_paused, counter, paused=False)

    def counter_state(self, counter: str) -> CounterState:
        calling.counter_of(self.spec, counter)
        now = self._now()
        with self.reading() as session:
            return calling.counter_state(session, spec=self.spec, counter=counter, now=now)

    def waiting_list(self, counter: str, *, limit: int = 100) -> list[WaitingTicket]:
        """The tickets this counter may call, then those it may call back (hall.calling)."""
        calling.counter_of(self.spec, counter)
        now = self._now()
        with self.reading() as session:
            return calling.waiting_list(session, spec=self.spec, counter=counter, limit=limit, now=now)

    def _at_counter(self, operation: Callable, counter: str, **arguments):
        """A counter operation in a writing transaction of its own (or the caller's)."""
        calling.counter_of(self.spec, counter)  # an unknown counter takes no lock
        now = self._now()
        with self._write() as session:
            return operation(session, spec=self.spec, counter=counter, now=now, **arguments)

    # -- devices (hall.device_reports) ---------------------------------------------------

    def report_device(self, device_id: str, kind: str, status: str, detail: str = "") -> None:
        device_reports.check_report(device_id=device_id, kind=kind, status=status, detail=detail)
        now = self._now()
        for attempt in (1, 2):
            try:
                with self._write() as session:
                    device_reports.report(session, hall_id=self._hall, device_id=device_id, kind=kind,
                                          status=status, detail=detail, now=now)
                return
            except IntegrityError:
                if attempt == 2:  # only if a second device inserted the same id at the same instant
                    raise

    # -- inside --------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError(f"the clock gave a naive datetime {now!r}; it must carry its zone")
        return now

    def _ensure_counters(self) -> None:
        """A row per configured counter, so that every later operation can lock one."""
        try:
            with self._writing.begin() as session:
                calling.ensure_counters(session, spec=self.spec)
        except IntegrityError:
            pass  # another process starting at the same moment added them
