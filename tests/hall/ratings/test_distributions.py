"""The levels given and the waiting and service times of a period, on both databases, against
counts by hand; times falling on a bucket's edge count in the bucket it opens."""
from __future__ import annotations

from datetime import date

from hall.ratings import cases, figures
from hall.ratings.terms import CaseStep
from tests.hall.ratings.month import serve

DAY = date(2026, 11, 25)


def test_levels_and_times_match_the_transactions_counted_by_hand(engine, clock):
    # (wait, service minutes, level): at counter 3, one after another.
    plan = [(4, 1.5, 5), (5, 2, 2), (12, 6, 1), (70, 35, None), (2, 3, None)]
    done = [serve(engine, clock, day=DAY, at=(hour, 0), counter="3", service="household", job_no="0301",
                  wait=wait, service_minutes=minutes, level=level,
                  reasons=("slow",) if level is not None and level <= 2 else ())
            for hour, (wait, minutes, level) in zip((9, 10, 11, 14, 16), plan)]
    with engine.transaction() as session:   # the 2 of 10:00 is appealed, and the appeal upheld
        [case] = [c for c in cases.cases(session, spec=engine.spec, now=clock()) if c.case.ticket_id == done[1].ticket_id]
        for step in (CaseStep.APPEAL, CaseStep.REVIEW, CaseStep.UPHOLD):
            cases.take_step(session, spec=engine.spec, case_id=case.case.id, step=step, note="复核", job_no="9001",
                            now=clock())

    with engine.reading() as session:
        levels = figures.levels(session, spec=engine.spec, start=DAY, end=DAY)
        times = figures.durations(session, spec=engine.spec, start=DAY, end=DAY)
        later = figures.durations(session, spec=engine.spec, start=date(2026, 11, 26), end=date(2026, 11, 30))
    # The 14:00 transaction's prompt was ended by the 16:00 call; the 16:00 one's is still open.
    assert levels == figures.Levels(counts={1: 1, 2: 0, 3: 0, 4: 0, 5: 1}, not_rated=1, awaiting=1, set_aside=1)
    # Waits 4, 5, 12, 70, 2 against edges 5 10 15 20 30 45 60; services 1.5, 2, 6, 35, 3 against 2 5 10 15 20 30.
    assert (times.wait_edges, times.waits) == ((5, 10, 15, 20, 30, 45, 60), [2, 1, 1, 0, 0, 0, 0, 1])
    assert (times.service_edges, times.services) == ((2, 5, 10, 15, 20, 30), [1, 2, 1, 0, 0, 0, 1])
    assert later.waits == [0] * 8 and later.services == [0] * 7
