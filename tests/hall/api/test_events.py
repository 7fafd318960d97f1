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


# "²" is a digit to str.isdigit() and no number to int(); the others are beyond what the
# events table's ids can be on PostgreSQL (int4), and the last one on SQLite too.
BAD_EVENT_IDS = ("abc", "-1", "1" * 30, "\xb2", "\xb9\xb2", str(2**31), "99999999999999999999")


def test_a_bad_last_event_id_is_422(kiosk):
    for bad in BAD_EVENT_IDS:
        answer = kiosk.get("/api/v1/events", headers={"Last-Event-ID": bad})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid", bad


def test_an_event_id_beyond_the_table_is_refused_before_the_stream_starts(live, kiosk):
    """On PostgreSQL such an id failed inside the open stream, which then broke off with a
    traceback; on SQLite the stream waited for an event that cannot come."""
    public = kiosk.__class__(live.url)
    for beyond in (2**31, 2**63 - 1):
        for caller, path in ((kiosk, f"/api/v1/events?after={beyond}"),
                             (public, f"/api/v1/display/events?after={beyond}")):
            answer = caller.get(path)
            assert answer.status_code == 422 and answer.json()["error"] == "invalid", (path, answer.text)
        audio = public.get(f"/api/v1/display/calls/{beyond}/audio")
        assert audio.status_code in (404, 422) and audio.json()["error"] in ("not_found", "invalid"), audio.text
