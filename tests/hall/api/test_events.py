"""The live stream: calls, completions, waiting counts and alarms arrive as they happen, and
a client that reconnects with Last-Event-ID misses none."""
from __future__ import annotations

from hall.schemas import DeviceKind, Role
from tests.hall.api.sse import Listener

ISSUE = "/api/v1/tickets"


def test_a_call_reaches_a_listener_with_what_a_display_shows(kiosk, login, add_device):
    display = add_device("hall-screen", DeviceKind.DISPLAY)
    listener = Listener(display)
    try:
        ready = listener.next()
        assert ready.event == "ready" and ready.json() == {"last_event_id": 0}
        ticket = kiosk.post(ISSUE, {"service": "household"}).json()
        issued = listener.next()
        assert issued.event == "issued" and issued.id == "1"
        assert issued.json()["payload"]["waiting"] == {"household": 1}
        staff = login("1001", counters=("3",))
        staff.post("/api/v1/counters/3/call-next")
        called = listener.next()
        assert called.event == "called" and called.json()["counter"] == "3"
        assert called.json()["payload"]["ticket"] == {
            "id": ticket["id"], "number": "C001", "service": "household", "priority": "normal",
            "status": "called", "counter": "3", "target_counter": None}
        assert called.json()["payload"]["waiting"] == {"household": 0}
        staff.post("/api/v1/counters/3/complete")
        assert listener.next().event == "completed"
        staff.post("/api/v1/counters/3/pause")
        paused = listener.next()
        assert paused.event == "counter_paused" and paused.json()["payload"] == {"counter": "3", "paused": True}
        kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer",
                                               "status": "paper_out"})
        alarm = listener.next()
        assert alarm.event == "device_status" and alarm.json()["payload"]["status"] == "paper_out"
        assert "person_hash" not in called.data
    finally:
        listener.close()


def test_a_listener_that_reconnects_misses_nothing(kiosk, login):
    staff = login("9001", role=Role.SUPERVISOR, counters=())
    first = Listener(staff)
    try:
        assert first.next().event == "ready"
        kiosk.post(ISSUE, {"service": "household"})
        last_seen = first.next().id
    finally:
        first.close()
    # Gone: meanwhile three more happen.
    kiosk.post(ISSUE, {"service": "household"})
    staff.post("/api/v1/counters/3/call-next")
    staff.post("/api/v1/counters/3/complete")
    again = Listener(staff, last_event_id=last_seen)
    try:
        caught_up = [again.next() for _ in range(3)]
        assert [(m.id, m.event) for m in caught_up] == [("2", "issued"), ("3", "called"), ("4", "completed")]
        kiosk.post(ISSUE, {"service": "taxation"})
        assert again.next().id == "5"
    finally:
        again.close()


def test_a_bad_last_event_id_is_422(kiosk):
    for bad in ("abc", "-1", "1" * 30):
        answer = kiosk.get("/api/v1/events", headers={"Last-Event-ID": bad})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid"
