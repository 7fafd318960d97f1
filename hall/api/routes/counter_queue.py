"""A counter's queue as its staff console shows it: the ticket being served and since when,
who waits for it in calling order, and who was set aside to be called back."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from hall.api.deps import HallDep, OperatedCounter
from hall.models import Ticket
from hall.schemas import CounterQueuePublic, CounterStatePublic, Problem, WaitingTicketPublic

router = APIRouter(prefix="/counters", tags=["counters"], responses={404: {"model": Problem}})


@router.get("/{counter_id}/queue", response_model=CounterQueuePublic,
            summary="The counter's ticket being served, its waiting list and its held and absent tickets "
                    "(staff of that counter)")
def counter_queue(counter_id: OperatedCounter, hall: HallDep,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> CounterQueuePublic:
    state = hall.engine.counter_state(counter_id)
    since = None
    if state.current is not None:
        with hall.engine.reading() as session:
            since = session.scalar(select(Ticket.called_at).where(Ticket.id == state.current.id))
    tickets = [WaitingTicketPublic(id=t.id, number=t.number, service=t.service, priority=t.priority, status=t.status,
                                   issued_at=t.issued_at, target_counter=t.target_counter)
               for t in hall.engine.waiting_list(counter_id, limit=limit)]
    return CounterQueuePublic(counter=CounterStatePublic.of(state), serving_since=since, tickets=tickets,
                             now=hall.clock())
