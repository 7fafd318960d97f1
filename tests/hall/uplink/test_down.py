"""The parent's steps applied to the cases a hall sent up (hall.uplink.down.apply), on both
databases: each once and in order, with where and by whom it was taken and as of when; a
repeat, a step out of order, a step for a case the hall never sent up and one that does not
follow are passed over with their reason logged, and never stop the ones after them."""
from __future__ import annotations

import logging
from datetime import timedelta

from hall.matters import cases, referrals
from hall.matters.catalogue import load_catalogue
from hall.uplink import down
from hall.uplink.wire import DownStep
from tests.conftest import OPEN_MORNING, SAMPLE_HALL

PLACE = "市政务服务中心"


def sent_up(engine, catalogue, code: str = "140800-GJ-0603"):
    with engine.transaction() as session:
        case = cases.open_case(session, spec=engine.spec, catalogue=catalogue, code=code, job_no="0301",
                               now=OPEN_MORNING, documents=[0])
        return case.id, case.number, case.due


def parent_step(cursor: int, case_id: int, number: str, step: str, state: str, days: int = 0, **more) -> DownStep:
    return DownStep(cursor=cursor, case=case_id, number=number, step=step, state=state, by="9001", place=PLACE,
                    at=OPEN_MORNING + timedelta(days=days, hours=1), note=more.pop("note", ""),
                    received=more.pop("received", [0]))


def apply(engine, catalogue, steps: list[DownStep], applied: int) -> int:
    with engine.transaction() as session:
        return down.apply(session, spec=engine.spec, catalogue=catalogue, steps=steps, applied=applied,
                          citizen_channels=[], progress=lambda case_id: "")


def test_steps_apply_once_in_order_and_the_rest_is_passed_over_with_its_reason(engine, caplog):
    catalogue = load_catalogue(SAMPLE_HALL, engine.spec)
    case_id, number, due = sent_up(engine, catalogue)
    [here_only] = [sent_up(engine, catalogue, code="140830-GJ-0601")]   # decided here: never sent up
    caplog.set_level(logging.INFO, logger="hall.uplink.down")
    steps = [parent_step(3, case_id, number, "request_documents", "waiting_documents", note="请补交申请表"),
             parent_step(2, case_id, number, "start", "in_progress"),                  # out of order
             parent_step(4, 9999, "20261125-9999", "start", "in_progress"),            # no such case here
             parent_step(5, here_only[0], here_only[1], "start", "in_progress"),       # not sent up
             parent_step(6, case_id, "20261125-0042", "resume", "in_progress"),        # another number
             parent_step(7, case_id, number, "complete", "completed"),                 # does not follow
             parent_step(8, case_id, number, "resume", "in_progress", days=1, received=[0, 1])]
    assert apply(engine, catalogue, steps, applied=0) == 8
    assert apply(engine, catalogue, steps, applied=8) == 8                              # all of them again
    with engine.reading() as session:
        case = cases.one_case(session, spec=engine.spec, case_id=case_id)
        timeline = [(s.step, s.state, s.by, s.place, s.at, s.note) for s in cases.timeline(session, case=case)]
        assert (case.state, cases.received(case), case.paused_days) == ("in_progress", [0, 1], 1)
        assert case.due == due + timedelta(days=1)     # paused Wednesday, resumed Thursday: one working day
    assert timeline[1:] == [
        ("request_documents", "waiting_documents", "9001", PLACE, OPEN_MORNING + timedelta(hours=1), "请补交申请表"),
        ("resume", "in_progress", "9001", PLACE, OPEN_MORNING + timedelta(days=1, hours=1), "")]
    log = caplog.text
    assert "step 2 came again or out of order" in log and "step 8 came again" in log
    assert "step 4 (start of case 20261125-9999) not applied: no case 9999" in log
    assert f"step 5 (start of case {here_only[1]}) not applied: no case" in log
    assert "step 6 (resume of case 20261125-0042) not applied" in log
    assert f"step 7 (complete of case {number}) not applied: case {number} is waiting_documents here" in log


def test_the_parent_sends_a_childs_steps_in_order_a_few_at_a_time(engine):
    """The parent's side: the steps its staff took on the cases a child sent up, after the
    child's cursor, at most `limit` an answer, and whether more follow."""
    catalogue = load_catalogue(SAMPLE_HALL, engine.spec)
    payload = {"matter": {"id": 7, "number": "20261125-0007", "code": "140800-GJ-0603", "name": {"zh_CN": "转移"},
                          "service": "housing_fund", "department": "县住房公积金中心", "decided_by": PLACE,
                          "promised_days": 5, "due": "2026-12-02", "documents": [{"zh_CN": "居民身份证"}],
                          "received": []}}
    with engine.transaction() as session:
        for origin in ("town-01", "town-02"):
            case = referrals.open_referred(session, spec=engine.spec, catalogue=catalogue, origin=origin,
                                           origin_name="城关镇便民服务中心", payload=payload, at=OPEN_MORNING,
                                           now=OPEN_MORNING)
        theirs = case.id
    for name in ("start", "request_documents", "resume"):
        with engine.transaction() as session:
            cases.take_step(session, spec=engine.spec, catalogue=catalogue, case_id=theirs - 1, step=name,
                            job_no="9001", now=OPEN_MORNING)
            cases.take_step(session, spec=engine.spec, catalogue=catalogue, case_id=theirs, step=name,
                            job_no="9002", now=OPEN_MORNING)
    with engine.reading() as session:
        first, more = down.steps_for(session, spec=engine.spec, child_id="town-01", after=0, limit=2)
        rest, no_more = down.steps_for(session, spec=engine.spec, child_id="town-01", after=first[-1].cursor, limit=2)
    assert [(s.case, s.number, s.step.value, s.by) for s in first + rest] == [
        (7, "20261125-0007", "start", "9001"), (7, "20261125-0007", "request_documents", "9001"),
        (7, "20261125-0007", "resume", "9001")]
    assert (more, no_more) == (True, False)
    assert first[0].cursor < first[1].cursor < rest[0].cursor


def test_a_case_not_accepted_on_review_above_closes_here_with_its_reason(engine):
    catalogue = load_catalogue(SAMPLE_HALL, engine.spec)
    case_id, number, _due = sent_up(engine, catalogue)
    refused = parent_step(1, case_id, number, "refuse", "not_accepted", note="不属于本市办理范围")
    assert apply(engine, catalogue, [refused], applied=0) == 1
    with engine.reading() as session:
        case = cases.one_case(session, spec=engine.spec, case_id=case_id)
        assert (case.state, case.reason, case.light, case.closed_at) == (
            "not_accepted", "不属于本市办理范围", None, refused.at)
