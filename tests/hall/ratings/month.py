"""A month of a hall's transactions and ratings, made through the engine as the counters
make them (issue, call, complete, written down as served, rated or not), with waiting and
service times of its choosing; the list it returns is what a test counts by hand."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hall.ratings import records
from hall.ratings.terms import Channel
from tests.conftest import SHANGHAI

# Counter, its service, the staff member serving there: no counter here calls another's service.
DESKS = [("1", "medical_insurance", "0101"), ("3", "household", "0301"), ("4", "real_estate", "0401"),
         ("6", "housing_fund", "0601"), ("7", "taxation", "0701"), ("8", "veterans", "0801")]
# How each desk's citizens rate: (level or None, weight). Counter 3 rates worse than the rest.
USUAL = [(5, 50), (4, 22), (3, 8), (2, 3), (1, 2), (None, 15)]
POOR = [(5, 25), (4, 15), (3, 10), (2, 20), (1, 10), (None, 20)]
REASONS = ["slow", "attitude", "unskilled", "unclear"]
SLOTS = [(9, 5), (14, 0), (10, 15), (15, 10)]   # when the desks' citizens take their tickets


@dataclass(frozen=True)
class Done:
    ticket_id: int
    day: date
    counter: str
    service: str
    job_no: str
    wait_minutes: float
    service_minutes: float
    level: int | None


def serve(engine, clock, *, day: date, at: tuple[int, int], counter: str, service: str, job_no: str,
          wait: float, service_minutes: float, level: int | None, reasons=(), comment: str = "") -> Done:
    """One transaction from its ticket to its rating, alone at its counter."""
    clock.now = datetime(day.year, day.month, day.day, *at, tzinfo=SHANGHAI)
    [done] = _together(engine, clock, [(counter, service, job_no, wait, service_minutes, level, reasons, comment)])
    return done


def _together(engine, clock, plans) -> list[Done]:
    """Tickets taken now, one per plan, then each called, completed and rated at its own time,
    the clock only ever moving forward (the server's watch reads it meanwhile)."""
    start = clock.now
    tickets = [engine.issue_ticket(service, person_hash=f"{start.timestamp():032.0f}{i:032x}")
               for i, (_, service, *_) in enumerate(plans)]
    steps = []
    for i, (counter, service, job_no, wait, minutes, level, reasons, comment) in enumerate(plans):
        called = start + timedelta(minutes=wait)
        steps += [(called, i, "call"), (called + timedelta(minutes=minutes), i, "complete")]
        if level is not None:
            steps.append((called + timedelta(minutes=minutes, seconds=20), i, "rate"))
    for at, i, step in sorted(steps):
        counter, service, job_no, wait, minutes, level, reasons, comment = plans[i]
        clock.now = at
        if step == "call":
            with engine.transaction() as session:  # the next call ends the counter's open prompt
                records.end_prompts(session, spec=engine.spec, now=clock(), counter=counter)
            assert engine.call_next(counter).id == tickets[i].id
        elif step == "complete":
            engine.complete(counter)
            with engine.transaction() as session:
                records.served(session, spec=engine.spec, ticket_id=tickets[i].id, job_no=job_no, now=clock())
        else:
            with engine.transaction() as session:
                records.rate(session, spec=engine.spec, ticket_id=tickets[i].id, level=level, reasons=list(reasons),
                             comment=comment, channel=Channel.COUNTER, identified=level % 2 == 0, now=clock(),
                             counters=(counter,))
    day = start.astimezone(SHANGHAI).date()
    return [Done(t.id, day, p[0], p[1], p[2], p[3], p[4], p[5]) for t, p in zip(tickets, plans)]


def month(engine, clock, *, days: list[date], per_day: int = 2, seed: int = 19) -> list[Done]:
    """`per_day` (at most 4) citizens at each desk on each day, morning and afternoon."""
    rng = random.Random(seed)
    out = []
    for day in days:
        for slot in range(per_day):
            at = datetime(day.year, day.month, day.day, *SLOTS[slot], tzinfo=SHANGHAI)
            clock.now = max(at, clock.now) if clock.now.astimezone(SHANGHAI).date() == day else at
            plans = []
            for counter, service, job_no in DESKS:
                odds = POOR if counter == "3" else USUAL
                level = rng.choices([lv for lv, _ in odds], [w for _, w in odds])[0]
                reasons = [rng.choice(REASONS)] if level is not None and level <= 2 else []
                plans.append((counter, service, job_no, rng.choice((2, 4, 7, 12, 18, 25, 40, 70)),
                              rng.choice((1.5, 3, 6, 8, 12, 17, 25, 35)), level, reasons, ""))
            out += _together(engine, clock, plans)
    return out
