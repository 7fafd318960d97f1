"""The figures per staff member, counter, service, department and day, on both databases,
against counts made by hand; a rating set aside by an upheld appeal counts nowhere."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from hall.ratings import cases, figures, records
from hall.ratings.terms import CaseStep, Channel, Grouping
from tests.conftest import SHANGHAI


def serve_and_rate(engine, clock, counter: str, job_no: str, level: int | None, reasons=(), comment="") -> int:
    """One transaction at `counter`, rated at its screen, or its prompt ended by the next call."""
    service = {"1": "social_security", "3": "household"}[counter]
    clock.now += timedelta(minutes=3)
    engine.issue_ticket(service)
    with engine.transaction() as session:
        if engine.call_next(counter) is not None:
            records.end_prompts(session, spec=engine.spec, now=clock(), counter=counter)
    done = engine.complete(counter)
    with engine.transaction() as session:
        records.served(session, spec=engine.spec, ticket_id=done.id, job_no=job_no, now=clock())
    if level is not None:
        with engine.transaction() as session:
            records.rate(session, spec=engine.spec, ticket_id=done.id, level=level, reasons=list(reasons),
                         comment=comment, channel=Channel.COUNTER, identified=False, now=clock(),
                         counters=(counter,))
    return done.id


def figures_by(engine, by: Grouping, start=date(2026, 11, 25), end=date(2026, 11, 26)) -> dict[str, tuple]:
    with engine.reading() as session:
        return {f.key: (f.transactions, f.rated, f.not_rated, f.satisfied, f.bad, f.below_threshold)
                for f in figures.figures(session, spec=engine.spec, by=by, start=start, end=end)}


def test_figures_match_the_ratings_counted_by_hand(engine, clock):
    # Wednesday: counter 3 (0301) rated 5, 3, 2 and one not rated; counter 1 (0101) 4, and 1 appealed.
    for level, reasons in ((5, ()), (3, ()), (2, ("slow",)), (None, ())):
        serve_and_rate(engine, clock, "3", "0301", level, reasons)
    serve_and_rate(engine, clock, "1", "0101", 4)
    appealed = serve_and_rate(engine, clock, "1", "0101", 1, ("attitude",))
    serve_and_rate(engine, clock, "3", "0301", 5)  # its prompt is ended below: rated all the same
    # Thursday: counter 3 rated 1 and 4.
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
    serve_and_rate(engine, clock, "3", "0301", 1, ("other",), "窗口无人")
    serve_and_rate(engine, clock, "3", "0301", 4)
    with engine.transaction() as session:
        [case] = [c for c in cases.cases(session, spec=engine.spec, now=clock()) if c.case.ticket_id == appealed]
        for step in (CaseStep.APPEAL, CaseStep.REVIEW, CaseStep.UPHOLD):
            cases.take_step(session, spec=engine.spec, case_id=case.case.id, step=step, note="复核", job_no="9001",
                            now=clock())
        assert records.end_prompts(session, spec=engine.spec, now=clock() + timedelta(minutes=2)) == 0

    # (transactions, rated, not rated, satisfied, bad, below 80 %)
    assert figures_by(engine, Grouping.STAFF) == {"0301": (7, 6, 1, 4, 2, True), "0101": (2, 1, 0, 1, 0, False)}
    assert figures_by(engine, Grouping.COUNTER) == {"3": (7, 6, 1, 4, 2, True), "1": (2, 1, 0, 1, 0, False)}
    assert figures_by(engine, Grouping.SERVICE) == {"household": (7, 6, 1, 4, 2, True),
                                                    "social_security": (2, 1, 0, 1, 0, False)}
    assert figures_by(engine, Grouping.DEPARTMENT) == {"县公安局": (7, 6, 1, 4, 2, True),
                                                       "县人力资源和社会保障局": (2, 1, 0, 1, 0, False)}
    assert figures_by(engine, Grouping.DAY) == {"2026-11-25": (7, 5, 1, 4, 1, False),
                                                "2026-11-26": (2, 2, 0, 1, 1, True)}
    assert figures_by(engine, Grouping.DAY, start=date(2026, 11, 26)) == {"2026-11-26": (2, 2, 0, 1, 1, True)}
    with engine.reading() as session:
        [staff] = [f for f in figures.figures(session, spec=engine.spec, by=Grouping.STAFF, start=date(2026, 11, 25),
                                              end=date(2026, 11, 25)) if f.key == "0301"]
    assert (staff.satisfaction_rate, staff.bad_rate, staff.not_rated_share) == (3 / 4, 1 / 4, 1 / 5)


def test_a_status_never_holds_the_level(engine, clock):
    ticket = serve_and_rate(engine, clock, "3", "0301", 1, ("slow",))
    with engine.reading() as session:
        status = records.status(session, spec=engine.spec, ticket_id=ticket)
    assert status.__dict__ == {"ticket_id": ticket, "state": records.RatingState.RATED, "rateable_until": None,
                               "callback_offered": False}
