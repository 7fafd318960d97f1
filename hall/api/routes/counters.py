"""Counter operations for staff: each acts on the counter named in the path, which the
caller must be allowed to operate, and answers with the ticket concerned. Each goes before
the kiosks' issues waiting for the hall's write lock (hall.db.WritersTurn): the display and
the citizen at the counter wait on it. A completion is
written down for its rating with who completed it, and the counter's next call ends the
rating prompt of the one before (hall.ratings.records), in the operation's transaction."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request

from sqlalchemy.orm import Session

from hall.api.deps import Caller, HallDep, IdempotencyKey, OperatedCounter, StaffMember, Watcher
from hall.api.server import HallServer
from hall.queue import QueueEngine
from hall.ratings import records
from hall.schemas import (CallBackRequest, CompletedAndCalledPublic, CounterId, CounterStatePublic, Problem,
                          TicketPublic, TransferRequest)
from hall.tickets import TicketInfo

router = APIRouter(prefix="/counters", tags=["counters"],
                   responses={404: {"model": Problem}, 409: {"model": Problem,
                              "description": "not possible in the counter's state (error: busy, idle, paused, ...)"}})


@router.get("", response_model=list[CounterStatePublic], summary="Every counter's state")
def counters(hall: HallDep, _who: Watcher) -> list[CounterStatePublic]:
    return [CounterStatePublic.of(hall.engine.counter_state(c.id)) for c in hall.spec.counters]


@router.get("/{counter_id}", response_model=CounterStatePublic, summary="A counter's state")
def counter(counter_id: Annotated[CounterId, Path()], hall: HallDep, _who: Watcher) -> CounterStatePublic:
    return CounterStatePublic.of(hall.engine.counter_state(counter_id))


def _ticket_answer(hall, request: Request, ticket: TicketInfo | None) -> str:
    if ticket is None:
        return "null"
    return TicketPublic.of(ticket, hall.ticket_link(request, ticket.id)).model_dump_json()


Then = Callable[[Session, HallServer, str, Caller, TicketInfo | None], None]


def _served(session: Session, hall: HallServer, _counter: str, who: Caller, ticket: TicketInfo | None) -> None:
    records.served(session, spec=hall.spec, ticket_id=ticket.id, job_no=who.job_no, now=hall.clock())


def _next_called(session: Session, hall: HallServer, counter: str, _who: Caller, ticket: TicketInfo | None) -> None:
    if ticket is not None:
        records.end_prompts(session, spec=hall.spec, now=hall.clock(), counter=counter)


def _operation(path: str, summary: str, run: Callable[[QueueEngine, str], TicketInfo | None],
               then: Then | None = None) -> None:
    def operate(counter_id: OperatedCounter, request: Request, hall: HallDep, who: StaffMember,
                key: IdempotencyKey = None):
        def write(session: Session) -> str:
            ticket = run(hall.engine, counter_id)
            if then is not None:
                then(session, hall, counter_id, who, ticket)
            return _ticket_answer(hall, request, ticket)
        return hall.write(request, principal=who.name, key=key, body="", write=write, first=True)
    operate.__name__ = path.replace("-", "_")
    router.add_api_route(f"/{{counter_id}}/{path}", operate, methods=["POST"], summary=summary,
                         response_model=TicketPublic | None)


_operation("call-next", "Call the next ticket in calling order (null when nobody waits)",
           lambda e, c: e.call_next(c), _next_called)
_operation("recall", "Call the ticket being served once more", lambda e, c: e.recall(c))
_operation("absent", "Mark the ticket being served absent (过号)", lambda e, c: e.mark_absent(c))
_operation("hold", "Set the ticket being served aside (挂起)", lambda e, c: e.hold(c))
_operation("complete", "Finish the ticket being served; the counter's rating prompt opens",
           lambda e, c: e.complete(c), _served)


@router.post("/{counter_id}/complete-and-call-next", response_model=CompletedAndCalledPublic,
             summary="Finish the ticket being served and call the next, in one step (called: null when nobody waits)")
def complete_and_call_next(counter_id: OperatedCounter, request: Request, hall: HallDep, who: StaffMember,
                           key: IdempotencyKey = None):
    def write(session: Session) -> str:
        done, called = hall.engine.complete_and_call_next(counter_id)
        # The prompts of earlier completions end as a call would end them; the one just
        # completed stays open for its window, while the next citizen walks up.
        _next_called(session, hall, counter_id, who, called)
        _served(session, hall, counter_id, who, done)
        return CompletedAndCalledPublic(completed=TicketPublic.of(done, hall.ticket_link(request, done.id)),
                                        called=TicketPublic.of(called, hall.ticket_link(request, called.id))
                                        if called else None).model_dump_json()
    return hall.write(request, principal=who.name, key=key, body="", write=write, first=True)


@router.post("/{counter_id}/call-back", response_model=TicketPublic,
             summary="Call again a held or absent ticket of today by its number")
def call_back(body: CallBackRequest, counter_id: OperatedCounter, request: Request, hall: HallDep,
              who: StaffMember, key: IdempotencyKey = None):
    def write(session: Session) -> str:
        ticket = hall.engine.call_back(counter_id, body.number)
        _next_called(session, hall, counter_id, who, ticket)
        return _ticket_answer(hall, request, ticket)
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write, first=True)


@router.post("/{counter_id}/transfer", response_model=TicketPublic,
             summary="Send the ticket being served to another service or counter, keeping its place")
def transfer(body: TransferRequest, counter_id: OperatedCounter, request: Request, hall: HallDep,
             who: StaffMember, key: IdempotencyKey = None):
    def write(_session) -> str:
        ticket = hall.engine.transfer(counter_id, to_service=body.to_service, to_counter=body.to_counter)
        return _ticket_answer(hall, request, ticket)
    return hall.write(request, principal=who.name, key=key, body=body.model_dump_json(), write=write, first=True)


def _pausing(path: str, summary: str, paused: bool) -> None:
    def operate(counter_id: OperatedCounter, request: Request, hall: HallDep, who: StaffMember,
                key: IdempotencyKey = None):
        def write(_session) -> str:
            (hall.engine.pause if paused else hall.engine.resume)(counter_id)
            return CounterStatePublic.of(hall.engine.counter_state(counter_id)).model_dump_json()
        return hall.write(request, principal=who.name, key=key, body="", write=write, first=True)
    operate.__name__ = path
    router.add_api_route(f"/{{counter_id}}/{path}", operate, methods=["POST"], summary=summary,
                         response_model=CounterStatePublic)


_pausing("pause", "Stop calling at this counter (its current ticket stays with it)", True)
_pausing("resume", "Call again at this counter", False)
