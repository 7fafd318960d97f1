"""Every counter operation through the API, as a staff console uses them."""
from __future__ import annotations

from datetime import timedelta

import pytest

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
    assert op(staff, "3", "call-back", {"number": "C0001"}).status_code == 422
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
