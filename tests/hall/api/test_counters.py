"""Every counter operation through the API, as a staff console uses them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from hall.events import events_after
from hall.schemas import Role

ISSUE = "/api/v1/tickets"


@pytest.fixture
def issued(kiosk, clock):
    def issue(*services):
        out = []
        for service in services:
            clock.now += timedelta(minutes=1)
            out.append(kiosk.post(ISSUE, {"service": service}).json())
        return out
    return issue


def op(who, counter, name, body=None, key=None):
    return who.post(f"/api/v1/counters/{counter}/{name}", body, key=key)


def test_a_ticket_through_every_operation(issued, login, kiosk):
    issued("social_security", "social_security", "medical_insurance")
    staff = login("1001", role=Role.SUPERVISOR, counters=())
    called = op(staff, "1", "call-next")
    assert called.status_code == 200 and called.json()["number"] == "A001" and called.json()["counter"] == "1"
    assert op(staff, "1", "recall").json()["recalls"] == 1
    assert op(staff, "1", "hold").json()["status"] == "held"
    assert op(staff, "1", "call-next").json()["number"] == "A002"
    assert op(staff, "1", "absent").json()["status"] == "absent"
    assert op(staff, "2", "call-back", {"number": " a001 "}).json()["number"] == "A001"
    moved = op(staff, "2", "transfer", {"to_counter": "8"}).json()
    assert moved["status"] == "waiting" and moved["counters"] == ["8"]
    assert op(staff, "8", "call-next").json()["number"] == "A001"
    assert op(staff, "8", "complete").json()["status"] == "completed"
    assert op(staff, "2", "call-back", {"number": "A002"}).json()["number"] == "A002"
    assert op(staff, "2", "transfer", {"to_service": "household"}).json()["service"] == "household"
    paused = op(staff, "1", "pause").json()
    assert paused == {"id": "1", "paused": True, "current": None}
    assert op(staff, "1", "call-next").json()["error"] == "paused"
    assert op(staff, "1", "resume").json()["paused"] is False
    assert op(staff, "1", "call-next").json()["number"] == "B001"
    state = staff.get("/api/v1/counters/1").json()
    assert state["current"]["number"] == "B001"
    assert [c["id"] for c in staff.get("/api/v1/counters").json()] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert kiosk.get(f"{ISSUE}/{state['current']['id']}").json()["status"] == "called"


def test_nobody_waiting_is_null_and_states_refuse_with_their_code(login, issued):
    staff = login("1001", counters=("3",))
    nobody = op(staff, "3", "call-next")
    assert nobody.status_code == 200 and nobody.json() is None
    idle = op(staff, "3", "complete")
    assert idle.status_code == 409 and idle.json()["error"] == "idle"
    issued("household", "household")
    op(staff, "3", "call-next")
    busy = op(staff, "3", "call-next")
    assert busy.status_code == 409 and busy.json()["error"] == "busy" and "C001" in busy.json()["message"]
    assert op(staff, "3", "transfer", {"to_service": "nowhere"}).status_code == 404
    both = op(staff, "3", "transfer", {"to_service": "household", "to_counter": "1"})
    assert both.status_code == 422 and both.json()["error"] == "invalid"
    assert op(staff, "3", "call-back", {"number": "C00001"}).status_code == 422  # no service numbers five digits
    op(staff, "3", "complete")
    assert op(staff, "3", "call-back", {"number": "Z999"}).json()["error"] == "not_found"


def test_a_double_click_with_one_key_calls_one_ticket(login, issued, count):
    issued("household", "household")
    staff = login("1001", counters=("3",))
    first = op(staff, "3", "call-next", key="console-click-1")
    second = op(staff, "3", "call-next", key="console-click-1")
    assert first.json() == second.json() and first.json()["number"] == "C001"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count("events") == 3  # two issued, one called


def test_complete_and_call_next_is_one_request_and_one_event_pair(live, login, issued, kiosk, count):
    """N while serving: the ticket served is completed and the next called in one write; its
    rating prompt stays open for the citizen walking away, an earlier one ends."""
    first, second, _third = issued("household", "household", "household")
    staff = login("1001", counters=("3",))
    op(staff, "3", "call-next")
    before = count("events")
    answer = op(staff, "3", "complete-and-call-next", key="console-n-1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["completed"]["number"], body["completed"]["status"]) == (first["number"], "completed")
    assert (body["called"]["number"], body["called"]["status"], body["called"]["counter"]) == (second["number"], "called", "3")
    assert body["called"]["link"].startswith("http://127.0.0.1")
    with live.hall.engine.reading() as session:
        written = events_after(session, hall_id=live.hall.hall_id, after=0)[before:]
    assert [(e.kind, e.payload["ticket"]["number"]) for e in written] == [
        ("completed", first["number"]), ("called", second["number"])]
    assert kiosk.get(f"/api/v1/ratings/state/{first['id']}").json()["state"] == "awaiting"
    replay = op(staff, "3", "complete-and-call-next", key="console-n-1")
    assert replay.json() == body and replay.headers["Idempotent-Replayed"] == "true"
    assert count("events") == before + 2

    again = op(staff, "3", "complete-and-call-next").json()
    assert again["completed"]["number"] == second["number"]
    assert kiosk.get(f"/api/v1/ratings/state/{first['id']}").json()["state"] == "not_rated"
    last = op(staff, "3", "complete-and-call-next").json()
    assert last["called"] is None and last["completed"]["status"] == "completed"


def test_complete_and_call_next_refuses_with_its_reason_and_changes_nothing(login, issued):
    issued("household", "household")
    staff = login("1001", counters=("3",))
    idle = op(staff, "3", "complete-and-call-next")
    assert idle.status_code == 409 and idle.json()["error"] == "idle"
    op(staff, "3", "call-next")
    op(staff, "3", "pause")
    paused = op(staff, "3", "complete-and-call-next")
    assert paused.status_code == 409 and paused.json()["error"] == "paused"
    state = staff.get("/api/v1/counters/3").json()
    assert state["current"]["number"] == "C001" and state["current"]["status"] == "called"
    assert op(staff, "4", "complete-and-call-next").json()["error"] == "not_your_counter"
    assert op(staff, "99", "complete-and-call-next").status_code in (403, 404)
