"""Follow-up cases of bad ratings through the API, step by step: verify, rectify, call back,
close; or appeal, review, then upheld (the rating set aside) or withdrawn (the follow-up goes
on); each step by a supervisor with a note, kept as events; overdue by the hall's calendar."""
from __future__ import annotations

from datetime import datetime

import pytest

from hall.schemas import DeviceKind, Role
from tests.conftest import SHANGHAI

CASES = "/api/v1/cases"


@pytest.fixture
def supervisor(login):
    return login("9001", role=Role.SUPERVISOR, counters=())


@pytest.fixture
def bad_rating(serve, add_device):
    terminal = add_device("counter-03", DeviceKind.COUNTER, counters=("3",))

    def give(level: int = 1) -> dict:
        ticket = serve()
        answer = terminal.post("/api/v1/ratings", {"ticket_id": ticket["id"], "level": level, "reasons": ["attitude"]})
        assert answer.status_code == 201, answer.text
        return ticket
    return give


def step(who, case_id: int, name: str, note: str = "已处理"):
    return who.post(f"{CASES}/{case_id}/steps", {"step": name, "note": note})


def test_a_bad_rating_is_followed_up_to_its_close(bad_rating, supervisor, count):
    ticket = bad_rating(2)
    [case] = supervisor.get(CASES).json()
    assert (case["ticket_id"], case["state"], case["due"], case["overdue"]) == (ticket["id"], "open", "2026-12-02", False)
    assert case["rating"]["level"] == 2 and case["rating"]["reasons"] == ["attitude"]
    events_before = count("events")
    wrong = step(supervisor, case["id"], "close")
    assert wrong.status_code == 409 and wrong.json()["reason"] == "step_not_allowed"
    assert "verify" in wrong.json()["message"] and count("events") == events_before
    for name, after in (("verify", "verified"), ("rectify", "rectified"), ("callback", "called_back"),
                        ("close", "closed")):
        answer = step(supervisor, case["id"], name, f"{name} 记录")
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == after
    done = supervisor.get(f"{CASES}/{case['id']}").json()
    assert [(s["step"], s["state"], s["by"]) for s in done["steps"]] == [
        ("open", "open", None), ("verify", "verified", "9001"), ("rectify", "rectified", "9001"),
        ("callback", "called_back", "9001"), ("close", "closed", "9001")]
    assert done["steps"][2]["note"] == "rectify 记录" and done["finished_at"] is not None
    assert step(supervisor, case["id"], "appeal").json()["reason"] == "step_not_allowed"
    assert supervisor.get(CASES, params={"unfinished": True}).json() == []
    assert count("events") == events_before + 4


def test_an_appeal_upheld_sets_the_rating_aside_and_one_withdrawn_goes_on(bad_rating, supervisor):
    upheld, withdrawn = bad_rating(1), bad_rating(2)
    ids = {c["ticket_id"]: c["id"] for c in supervisor.get(CASES).json()}
    for name, after in (("appeal", "appealed"), ("review", "reviewed"), ("uphold", "upheld")):
        assert step(supervisor, ids[upheld["id"]], name).json()["state"] == after
    for name, after in (("verify", "verified"), ("appeal", "appealed"), ("review", "reviewed"),
                        ("withdraw", "withdrawn"), ("rectify", "rectified")):
        assert step(supervisor, ids[withdrawn["id"]], name).json()["state"] == after
    ratings = {r["ticket_id"]: r for r in supervisor.get("/api/v1/ratings").json()}
    assert ratings[upheld["id"]]["set_aside"] is True and ratings[withdrawn["id"]]["set_aside"] is False
    [figure] = supervisor.get("/api/v1/ratings/figures", params={"by": "counter"}).json()
    assert (figure["transactions"], figure["rated"], figure["bad"], figure["not_rated"]) == (2, 1, 1, 0)


def test_a_step_needs_a_supervisor_and_a_note(bad_rating, supervisor, login, count):
    bad_rating()
    [case] = supervisor.get(CASES).json()
    staff = login("0302", counters=("3",))
    assert step(staff, case["id"], "verify").status_code == 403
    before = count("events")
    for body in ({"step": "verify", "note": ""}, {"step": "verify"}, {"step": "approve", "note": "x"},
                 {"step": "verify", "note": "x" * 501}):
        assert supervisor.post(f"{CASES}/{case['id']}/steps", body).status_code == 422, body
    assert step(supervisor, 424242, "verify").status_code == 404
    assert count("events") == before


def test_overdue_by_the_halls_calendar(bad_rating, supervisor, clock):
    clock.now = datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI)  # a Tuesday before the National Day holidays
    bad_rating()
    [case] = supervisor.get(CASES).json()
    # 09-30, then 10-01 to 10-07 off, 10-08, 10-09, the make-up Saturday 10-10, and Monday 10-12.
    assert case["due"] == "2026-10-12"
    clock.now = datetime(2026, 10, 12, 23, 59, tzinfo=SHANGHAI)
    assert supervisor.get(CASES, params={"overdue": True}).json() == []
    assert supervisor.get(f"{CASES}/{case['id']}").json()["overdue"] is False
    clock.now = datetime(2026, 10, 13, 0, 1, tzinfo=SHANGHAI)
    [late] = supervisor.get(CASES, params={"overdue": True}).json()
    assert late["id"] == case["id"] and late["overdue"] is True
