"""What of an event goes up: the allow-list of each kind, over events a hall really writes
(a ticket taken with an ID card, a bad rating with its comment and case, a device's alarm,
a help call taken, the display's notice) and over payloads carrying what must never leave."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hall import events, help_calls, notices
from hall.matters import cases
from hall.matters.applicants import Applicant
from hall.matters.catalogue import load_catalogue
from hall.ratings import records
from hall.ratings.terms import Channel
from hall.tickets import EventKind
from hall.uplink import regions
from hall.uplink.wire import ALLOWED, COUNTS, strip
from tests.conftest import SAMPLE_HALL

PERSON = "a3f1" * 16
JOB_NO = "0301"
COMMENT = "张三 13912345678 等了很久"
SECRETS = (PERSON, JOB_NO, "13912345678", "张三", "110101199003071234", "王五", "前台李四")


def test_what_a_hall_writes_goes_up_without_anything_that_names_a_person(open_engine, spec, clock):
    engine = open_engine(spec)
    ticket = engine.issue_ticket("household", person_hash=PERSON)
    clock.now += timedelta(minutes=3)
    engine.call_next("3")
    engine.complete("3")
    with engine.transaction() as session:
        records.served(session, spec=spec, ticket_id=ticket.id, job_no=JOB_NO, now=clock())
        records.rate(session, spec=spec, ticket_id=ticket.id, level=1, reasons=["slow"], comment=COMMENT,
                     channel=Channel.COUNTER, identified=True, now=clock(), counters=("3",))
        call = help_calls.raise_call(session, hall_id=spec.hall.id, device_id="kiosk-01", location="一楼东门",
                                     now=clock())
        help_calls.take(session, hall_id=spec.hall.id, call_id=call.id, job_no=JOB_NO, now=clock())
        notices.set_notice(session, hall_id=spec.hall.id, text="请 王五 到 3 号窗口", job_no=JOB_NO, now=clock())
    engine.report_device("printer-01", "printer", "paper_out", detail="前台李四 110101199003071234")
    with engine.reading() as session:
        written = events.events_after(session, hall_id=spec.hall.id, after=0)
    kinds = {e.kind for e in written}
    assert {"issued", "called", "completed", "rated", "case_opened", "help_requested", "help_taken", "notice_set",
            "device_status"} <= kinds
    for e in written:
        sent = json.dumps(strip(e.kind, e.payload), ensure_ascii=False)
        assert not any(secret in sent for secret in SECRETS), (e.kind, sent)
    by_kind = {e.kind: strip(e.kind, e.payload) for e in written}
    assert by_kind["issued"]["ticket"]["number"] == ticket.number and by_kind["issued"]["waiting"] == {"household": 1}
    assert by_kind["rated"]["rating"]["level"] == 1 and by_kind["rated"]["rating"]["reasons"] == ["slow"]
    assert by_kind["device_status"] == {"device": "printer-01", "kind": "printer", "status": "paper_out",
                                        "previous": None}
    assert by_kind["notice_set"] == {}


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_fields_not_on_a_kinds_list_never_go_up(kind):
    """Whatever a later change adds to a payload, at any depth, stays home."""
    def leaked(rule):
        if isinstance(rule, dict):
            return {**{sub: leaked(inner) for sub, inner in rule.items()}, "name": "张三", "phone": "13912345678"}
        if isinstance(rule, list):
            return [leaked(rule[0])]
        return {"household": 2, "person_hash": PERSON} if rule is COUNTS else 1
    crafted = {name: leaked(rule) for name, rule in ALLOWED[kind].items()}
    crafted |= {"person_hash": PERSON, "id_number": "110101199003071234", "staff_job_no": JOB_NO}
    sent = json.dumps(strip(kind, crafted), ensure_ascii=False)
    assert not any(secret in sent for secret in SECRETS), sent


def test_a_kind_not_listed_goes_up_with_nothing_but_its_kind():
    assert strip("some_new_kind", {"ticket": {"id": 1}, "name": "张三"}) == {}
    assert strip(EventKind.ISSUED.value, "not a payload") == {}


@pytest.mark.parametrize("code, chain", [
    ("511525", ["510000", "511500", "511525"]),
    ("511525001", ["510000", "511500", "511525", "511525001"]),
    ("511525001002", ["510000", "511500", "511525", "511525001", "511525001002"]),
    ("510000", ["510000"]),
])
def test_a_regions_place_is_read_from_its_codes_digits(code, chain):
    assert regions.chain(code) == chain
    assert all(regions.contains(outer, code) for outer in chain)


@pytest.mark.parametrize("outer, inner, inside", [
    ("511500", "511525001", True), ("511525", "511526001", False), ("510000", "520100", False),
    ("511525001", "511525001002", True), ("511525001", "511525002001", False)])
def test_a_region_contains_only_what_its_code_leads(outer, inner, inside):
    assert regions.contains(outer, inner) is inside


@pytest.mark.parametrize("code", ["51152", "5115250", "abcdef", "005100", "", "5115250010021"])
def test_a_code_not_of_the_standard_forms_is_refused(code):
    with pytest.raises(regions.BadRegion, match="administrative code"):
        regions.check(code)


def test_a_matters_case_goes_up_with_its_standing_and_not_who_moved_it():
    """As hall.matters.cases writes it: the parent counts it open, and overdue once red."""
    step = {"matter": {"id": 7, "number": "20261125-0001", "code": "11510000-001", "service": "household",
                       "step": "open", "state": "accepted", "by": JOB_NO, "due": "2026-11-27", "light": "green"}}
    assert strip(EventKind.MATTER_STEP.value, step) == {"matter": {
        "id": 7, "number": "20261125-0001", "code": "11510000-001", "service": "household", "step": "open",
        "state": "accepted", "due": "2026-11-27", "light": "green"}}
    light = {"light": "red", "count": 1, "numbers": ["20261125-0001"], "day": "2026-11-28"}
    assert strip(EventKind.MATTER_LIGHT.value, light) == {"light": "red", "count": 1, "day": "2026-11-28"}


def test_a_case_sent_up_goes_with_its_checklist_and_the_masked_id_at_most(open_engine, spec, clock):
    """A case of a matter the parent decides, accepted with the applicant's card and phone."""
    engine = open_engine(spec)
    catalogue = load_catalogue(SAMPLE_HALL, spec)
    with engine.transaction() as session:
        case = cases.open_case(session, spec=spec, catalogue=catalogue, code="140800-GJ-0603", job_no=JOB_NO,
                               now=clock(), documents=[1], phone="13912345678",
                               applicant=Applicant(masked="1101**********1234", person_hash=PERSON))
        number, due = case.number, case.due.isoformat()
    with engine.reading() as session:
        [referred] = [e for e in events.events_after(session, hall_id=spec.hall.id, after=0)
                      if e.kind == EventKind.MATTER_REFERRED.value]
    sent = strip(referred.kind, referred.payload)
    assert not any(secret in json.dumps(sent, ensure_ascii=False) for secret in SECRETS)
    assert sent == {"matter": {
        "id": 1, "number": number, "code": "140800-GJ-0603",
        "name": {"zh_CN": "住房公积金异地转移接续", "zh_TW": "住房公積金異地轉移接續",
                 "en": "Moving a provident fund account from another city"},
        "service": "housing_fund", "department": "县住房公积金中心", "decided_by": "市住房公积金管理中心",
        "promised_days": 5, "due": due, "applicant": "1101**********1234",
        "documents": [{"zh_CN": "居民身份证", "zh_TW": "居民身份證", "en": "Resident ID card"},
                      {"zh_CN": "异地转移接续申请表", "zh_TW": "異地轉移接續申請表", "en": "Transfer application form"}],
        "received": [1]}}
