"""The daily totals the figures are read from, on both databases, against the transactions'
own rows counted by hand: after a mixed run of ratings, prompts ended, late ratings, call-back
answers and appeals upheld or withdrawn, and after raters and counters writing at once."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta

from hall.models import ServedTicket
from hall.queue import QueueEngine
from hall.ratings import callbacks, cases, figures, records
from hall.ratings.terms import CallOutcome, CaseStep, Channel, Grouping
from tests.conftest import SHANGHAI
from tests.hall.ratings.by_hand import as_kept, counted_by_hand, hand_figures, kept_totals
from tests.hall.ratings.month import month, serve

DAYS = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]


def test_the_totals_are_the_rows_counted_by_hand_after_a_mixed_run(engine, clock):
    spec = engine.spec
    done = month(engine, clock, days=DAYS, per_day=3)
    # Times on the buckets' edges: a wait of 5 and a service of 2 minutes open their buckets.
    done.append(serve(engine, clock, day=DAYS[-1], at=(16, 30), counter="6", service="housing_fund", job_no="0601",
                      wait=5, service_minutes=2, level=None))
    clock.now += timedelta(minutes=5)
    with engine.transaction() as session:
        assert records.end_prompts(session, spec=spec, now=clock()) > 0
    unrated = [d for d in done if d.level is None]
    with engine.transaction() as session:   # late ratings of transactions that were not rated
        for d, level in zip(unrated[-4:-1], (5, 2, 3)):
            records.rate(session, spec=spec, ticket_id=d.ticket_id, level=level, reasons=["slow"] if level <= 2 else [],
                         comment="", channel=Channel.PHONE_PAGE, identified=False, now=clock())
    due = [d for d in unrated[:-4] if session_row(engine, d.ticket_id).callback_due]
    assert due
    with engine.transaction() as session:   # a call-back answered
        for d in due[:1]:
            callbacks.record_call(session, spec=spec, ticket_id=d.ticket_id, outcome=CallOutcome.ANSWERED,
                                  job_no="9001", now=clock(), level=4)
    with engine.transaction() as session:   # appeals: two upheld, one withdrawn
        bad = cases.cases(session, spec=spec, now=clock(), unfinished=True)
        assert len(bad) >= 3
        for record, last in zip(bad, (CaseStep.UPHOLD, CaseStep.UPHOLD, CaseStep.WITHDRAW)):
            for step in (CaseStep.APPEAL, CaseStep.REVIEW, last):
                cases.take_step(session, spec=spec, case_id=record.case.id, step=step, note="复核", job_no="9001",
                                now=clock())
    # One more transaction still awaiting its prompt.
    serve(engine, clock, day=DAYS[-1], at=(17, 0), counter="7", service="taxation", job_no="0701", wait=3,
          service_minutes=4, level=None)

    with engine.reading() as session:
        states, times = counted_by_hand(session, spec)
        assert kept_totals(session) == as_kept((states, times))
        for by in Grouping:
            got = {f.key: (f.transactions, f.rated, f.not_rated, f.satisfied, f.bad, f.below_threshold)
                   for f in figures.figures(session, spec=spec, by=by, start=DAYS[0], end=DAYS[-1])}
            assert got == hand_figures(states, by, spec.ratings.satisfaction_threshold), by
        levels = figures.levels(session, spec=spec, start=DAYS[1], end=DAYS[-1])
        spans = figures.durations(session, spec=spec, start=DAYS[1], end=DAYS[-1])
    kinds = sum((c for k, c in states.items() if k[0] >= DAYS[1]), Counter())
    assert levels == figures.Levels(counts={lv: kinds[f"level_{lv}"] for lv in range(1, 6)},
                                    not_rated=kinds["not_rated"], awaiting=kinds["awaiting"],
                                    set_aside=kinds["set_aside"])
    everything = sum(states.values(), Counter())
    assert (everything["set_aside"], everything["awaiting"]) == (2, 1) and levels.not_rated > 0
    for measure, counts in (("wait", spans.waits), ("service", spans.services)):
        summed = sum((c for (day, m), c in times.items() if m == measure and day >= DAYS[1]), Counter())
        assert counts == [summed[i] for i in range(len(counts))], measure
    assert times[(DAYS[-1], "wait")][1] > 0 and times[(DAYS[-1], "service")][1] > 0


def session_row(engine, ticket_id: int) -> ServedTicket:
    with engine.reading() as session:
        return session.get(ServedTicket, ticket_id)


def test_raters_and_counters_writing_at_once_lose_no_count(engine, db_url, spec, clock):
    """Two raters, each through its own connection pool (as two server processes), rate
    transactions of the same staff member, counter and day at once; then both complete
    transactions at once on a new day, whose first totals both write. Nothing is lost."""
    per_rater = 12
    day = date(2026, 11, 25)
    done = [serve(engine, clock, day=day, at=divmod(9 * 60 + 7 * i, 60), counter="4", service="real_estate",
                  job_no="0401", wait=1, service_minutes=1, level=None) for i in range(2 * per_rater)]
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    engines = [QueueEngine(spec, db_url, clock=clock) for _ in range(2)]
    start, failures = threading.Barrier(2, timeout=60), []

    def work(hall: QueueEngine, mine, level: int, counter: str, service: str) -> None:
        try:
            start.wait()
            for d in mine:
                with hall.transaction() as session:
                    records.rate(session, spec=spec, ticket_id=d.ticket_id, level=level, reasons=[], comment="",
                                 channel=Channel.KIOSK, identified=False, now=clock())
            for n in range(per_rater):
                hall.issue_ticket(service, person_hash=f"{int(counter):032x}{n:032x}")
                with hall.transaction() as session:
                    hall.call_next(counter)
                    records.end_prompts(session, spec=spec, now=clock(), counter=counter)
                finished = hall.complete(counter)
                with hall.transaction() as session:
                    records.served(session, spec=spec, ticket_id=finished.id, job_no=f"0{counter}01", now=clock())
        except BaseException as exc:  # the test must hear of it
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=work, args=(engines[0], done[:per_rater], 5, "3", "household")),
               threading.Thread(target=work, args=(engines[1], done[per_rater:], 4, "6", "housing_fund"))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        for hall in engines:
            hall.close()
    assert failures == [] and not any(t.is_alive() for t in threads)
    with engine.reading() as session:
        states, times = counted_by_hand(session, spec)
        kept = kept_totals(session)
    assert kept == as_kept((states, times))
    assert kept[0][(day, "0401", "4", "real_estate", spec.department_of("real_estate"))] == {
        "level_5": per_rater, "level_4": per_rater}
    assert kept[1][(date(2026, 11, 26), "wait")] == {0: 2 * per_rater}
