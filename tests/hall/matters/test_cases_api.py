"""Cases of matters (办件) through the API over real HTTP, on SQLite and PostgreSQL: accepted
for the ticket being served, through every state with the clock moved by hand (a pause for
documents adding its working days back), late for good once completed late, not accepted
with a reason, a walk-in carried by an agent and decided above; each bad step refused with
its reason and nothing written."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from hall.schemas import DeviceKind, Role
from tests.conftest import SHANGHAI

MATTERS = "/api/v1/matters"
ID_NUMBER = "11010519491231002X"
HOUSEHOLD_MOVE = "140830-GA-0302"   # 户口迁入: promised 5 working days, 3 documents
FUND_WITHDRAWAL = "140830-GJ-0601"  # 公积金提取: promised 1 working day
HOMESTEAD = "140830-ZR-0403"        # 宅基地登记: carried by agents, decided by the county registry
TAX_INVOICES = "140830-SW-0701"     # 发票领用: immediate, no agents


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI)


@pytest.fixture
def sign_in(login):
    """Counter 3's staff member signing in: again on each day the test moves to, as a
    session lasts a working day."""
    return lambda: login("0301", counters=("3",), counter="3")


@pytest.fixture
def desk(sign_in):
    return sign_in()


@pytest.fixture
def served_ticket(kiosk, desk) -> int:
    """The ticket now being served at counter 3."""
    issued = kiosk.post("/api/v1/tickets", {"service": "household"})
    assert issued.status_code == 201, issued.text
    called = desk.post("/api/v1/counters/3/call-next")
    assert called.json()["id"] == issued.json()["id"], called.text
    return issued.json()["id"]


def step(who, case_id: int, name: str, **body):
    return who.post(f"{MATTERS}/{case_id}/steps", {"step": name, **body})


def test_a_case_through_every_state_with_a_pause_added_back(desk, sign_in, served_ticket, clock, stored):
    opened = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "ticket_id": served_ticket, "id_number": ID_NUMBER,
                                 "documents": [0, 1]})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["number"], case["state"], case["due"], case["light"]) == ("20261125-0001", "accepted", "2026-12-02",
                                                                          "green")
    assert (case["applicant"], case["ticket_id"], case["accepted_by"]) == ("1101**********002X", served_ticket, "0301")
    assert [d["received"] for d in case["documents"]] == [True, True, False]
    assert case["documents"][2]["name"]["zh_CN"] == "房屋产权证明或租赁合同"
    assert step(desk, case["id"], "start").json()["state"] == "in_progress"
    clock.now = at("2026-11-27")   # a Friday: the third document is owed
    desk = sign_in()
    paused = step(desk, case["id"], "request_documents", note="缺房屋产权证明").json()
    assert (paused["state"], paused["paused_since"]) == ("waiting_documents", "2026-11-27")
    clock.now = at("2026-12-01")   # Mon 30 and Tue 1 owed so far: the due day has moved with them
    desk = sign_in()
    assert desk.get(f"{MATTERS}/{case['id']}").json()["due"] == "2026-12-04"
    clock.now = at("2026-12-02")   # Mon 30, Tue 1, Wed 2 added back: 5 + 3 working days from Wed 25
    desk = sign_in()
    resumed = step(desk, case["id"], "resume", documents=[2]).json()
    assert (resumed["state"], resumed["paused_days"], resumed["due"]) == ("in_progress", 3, "2026-12-07")
    assert all(d["received"] for d in resumed["documents"])
    clock.now = at("2026-12-07", 16)
    desk = sign_in()
    done = step(desk, case["id"], "complete", note="已落户").json()
    assert (done["state"], done["late"], done["light"], done["due"]) == ("completed", False, None, "2026-12-07")
    assert [(s["step"], s["state"], s["by"], s["at"][:10]) for s in done["steps"]] == [
        ("open", "accepted", "0301", "2026-11-25"), ("start", "in_progress", "0301", "2026-11-25"),
        ("request_documents", "waiting_documents", "0301", "2026-11-27"),
        ("resume", "in_progress", "0301", "2026-12-02"), ("complete", "completed", "0301", "2026-12-07")]
    assert done["steps"][2]["note"] == "缺房屋产权证明"
    kinds = stored("select kind, payload from events where kind = 'matter_step' order by id")
    assert len(kinds) == 5 and all(ID_NUMBER not in payload and "002X" not in payload for _, payload in kinds)
    # The number itself is nowhere: the case keeps it masked and hashed, the request's digest without it.
    [(masked, person_hash)] = stored("select applicant_masked, person_hash from matter_cases")
    assert masked == "1101**********002X" and len(person_hash) == 64 and ID_NUMBER not in person_hash
    for table in ("matter_cases", "matter_steps", "idempotency_keys", "events"):
        assert not any(ID_NUMBER in repr(row) for row in stored(f"select * from {table}")), table


def test_a_case_completed_late_stays_late(desk, sign_in, clock):
    case = desk.post(MATTERS, {"matter_code": FUND_WITHDRAWAL}).json()
    assert (case["due"], case["light"], case["ticket_id"]) == ("2026-11-26", "yellow", None)
    clock.now = at("2026-11-27")
    desk = sign_in()
    done = step(desk, case["id"], "complete").json()
    assert (done["state"], done["late"]) == ("completed", True)
    clock.now = at("2026-12-30")
    desk = sign_in()
    assert desk.get(f"{MATTERS}/{case['id']}").json()["late"] is True
    assert [c["number"] for c in desk.get(MATTERS, params={"state": "completed"}).json()] == [case["number"]]


def test_numbers_run_per_day_and_not_accepted_cases_keep_their_reason(desk, sign_in, clock):
    first = desk.post(MATTERS, {"matter_code": TAX_INVOICES}).json()
    refused = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "refused_reason": "不属于本县户籍管辖"}).json()
    assert (first["number"], refused["number"]) == ("20261125-0001", "20261125-0002")
    assert (refused["state"], refused["due"], refused["light"], refused["reason"]) == (
        "not_accepted", None, None, "不属于本县户籍管辖")
    assert refused["closed_at"] is not None
    clock.now = at("2026-11-26")
    desk = sign_in()
    assert desk.post(MATTERS, {"matter_code": TAX_INVOICES}).json()["number"] == "20261126-0001"
    assert step(desk, refused["id"], "start").json()["reason"] == "step_not_allowed"
    assert [c["number"] for c in desk.get(MATTERS, params={"open": True}).json()] == ["20261125-0001",
                                                                                     "20261126-0001"]


def test_a_walk_in_carried_by_an_agent_and_decided_above(desk):
    case = desk.post(MATTERS, {"matter_code": HOMESTEAD, "agent": "代办员李强", "documents": [1]}).json()
    assert (case["agent"], case["accepted_here"], case["decided_by"]) == ("代办员李强", "城关县政务服务中心",
                                                                          "县不动产登记中心")
    assert case["department"] == "县自然资源局" and case["ticket_id"] is None and case["applicant"] is None
    returned = step(desk, case["id"], "return", note="申请人撤回申请").json()
    assert (returned["state"], returned["reason"]) == ("returned", "申请人撤回申请")


def test_each_bad_step_is_refused_with_its_reason_and_nothing_written(desk, login, kiosk, count, db_url):
    case = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()
    assert step(desk, case["id"], "complete").status_code == 200
    before = {t: count(t) for t in ("matter_cases", "matter_steps", "events", "matter_sequences")}
    wrong = [
        (step(desk, case["id"], "complete"), 409, "step_not_allowed"),
        (step(desk, case["id"], "resume"), 409, "step_not_allowed"),
        (desk.post(MATTERS, {"matter_code": "140830-XX-9999"}), 422, "unknown_matter"),
        (desk.post(MATTERS, {"matter_code": TAX_INVOICES, "agent": "李强"}), 422, "agent_not_offered"),
        (desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "documents": [3]}), 422, "unknown_document"),
        (desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "ticket_id": 99999}), 404, "unknown_ticket"),
        (desk.get(f"{MATTERS}/99999"), 404, "not_found"),
    ]
    for answer, status, reason in wrong:
        assert (answer.status_code, answer.json()["error"], answer.json()["reason"]) == (
            status, "matter_refused", reason), answer.text
    assert "complete" in wrong[0][0].json()["message"] and "it is closed" in wrong[0][0].json()["message"]
    other = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()
    assert step(desk, other["id"], "resume").json()["message"].endswith(
        "resume does not follow; start, request_documents, complete, return")
    assert step(desk, other["id"], "return", note="  ").json()["reason"] == "reason_required"
    for body in ({"matter_code": HOUSEHOLD_MOVE, "id_number": "110105194912310021"[:-1]},
                 {"matter_code": HOUSEHOLD_MOVE, "refused_reason": ""},
                 {"matter_code": HOUSEHOLD_MOVE, "documents": [True]}):
        assert desk.post(MATTERS, body).status_code == 422
    after = {t: count(t) for t in before}
    assert after == {**before, "matter_cases": before["matter_cases"] + 1, "matter_steps": before["matter_steps"] + 1,
                     "events": before["events"] + 1}
    # A case of another hall on the same database is not this hall's to read or move.
    engine = create_engine(db_url)
    with engine.begin() as con:
        con.execute(text("update matter_cases set hall_id = 'elsewhere' where id = :id"), {"id": other["id"]})
    engine.dispose()
    assert step(desk, other["id"], "start").json()["reason"] == "not_found"
    assert desk.get(f"{MATTERS}/{other['id']}").status_code == 404
    assert count("matter_steps") == after["matter_steps"]
    assert kiosk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).status_code == 403


def test_staff_and_terminals_read_the_catalogue(desk, add_device, login):
    display = add_device("display-01", DeviceKind.DISPLAY)
    matters = display.get("/api/v1/catalogue").json()
    assert len(matters) == 18 and {m["service"] for m in matters} >= {"household", "veterans"}
    move = next(m for m in matters if m["code"] == HOUSEHOLD_MOVE)
    assert (move["promised_days"], move["supervision_phone"], move["department"]["en"]) == (
        5, "0359-3023390", "County Public Security Bureau")
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get("/api/v1/catalogue").status_code == 200


def test_the_lookup_hash_of_a_closed_case_is_forgotten_90_days_on(desk, live, clock, stored):
    from datetime import timedelta

    from hall import housekeeping

    closed = desk.post(MATTERS, {"matter_code": TAX_INVOICES, "id_number": ID_NUMBER}).json()
    still_open = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "id_number": ID_NUMBER}).json()
    assert step(desk, closed["id"], "complete").status_code == 200
    hashes = "select id, person_hash is not null, applicant_masked from matter_cases order by id"
    for days, kept in ((89, True), (91, False)):
        housekeeping.tidy(live.hall.engine, now=clock.now + timedelta(days=days))
        assert stored(hashes) == [(closed["id"], kept, "1101**********002X"),
                                  (still_open["id"], True, "1101**********002X")]


def test_bad_phone_numbers_are_refused_and_a_hall_telling_citizens_nothing_takes_none(desk, count):
    before = {t: count(t) for t in ("matter_cases", "matter_steps", "events", "matter_sequences", "idempotency_keys")}
    for i, phone in enumerate(("1381234567", "138123456789", "12812345678", "138 1234 5678", "0359-302",
                               "+1 2025550123", "13812345678x", "１３８１２３４５６７８", "", 13812345678)):
        answer = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "phone": phone}, key=f"bad-phone-{i}")
        assert (answer.status_code, answer.json()["error"]) == (422, "invalid"), phone
        assert "body.phone" in answer.json()["message"], answer.text
    # A good number, where the hall's supervision names no channel to tell citizens by.
    answer = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "phone": "13812345678"}, key="no-channel")
    assert (answer.status_code, answer.json()["fields"][0]["loc"]) == (422, ["phone"])
    assert "supervision.toml names no channel" in answer.json()["message"]
    assert {t: count(t) for t in before} == before
