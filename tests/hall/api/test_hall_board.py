"""The hall board's figures (GET /api/v1/hall-board) against what the test did over HTTP:
tickets issued yesterday and today, calls, a completion, a pause, a help call and a device
alarm; for supervisors and admins only. On both databases."""
from __future__ import annotations

from datetime import datetime, timedelta

import requests

from hall.schemas import DeviceKind, Role


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def test_the_board_is_what_was_done(live, kiosk, add_device, login, clock):
    # Yesterday's tickets, one left waiting, and a pause left on overnight: none of it counts today.
    clock.now -= timedelta(days=1)
    yesterday = login("0801", counters=("8",))
    for _ in range(2):
        kiosk.post("/api/v1/tickets", {"service": "veterans"})
    yesterday.post("/api/v1/counters/8/call-next")
    yesterday.post("/api/v1/counters/8/complete")
    yesterday.post("/api/v1/counters/8/pause")
    clock.now += timedelta(days=1)

    issued = {}
    for service in ("social_security", "social_security", "household", "household", "household"):
        number = kiosk.post("/api/v1/tickets", {"service": service}).json()["number"]
        issued[number] = clock.now
        clock.now += timedelta(minutes=1)
    clerk, other = login("0101", counters=("1",)), login("0301", counters=("3",))
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert clerk.post("/api/v1/counters/1/call-next").json()["number"] == "A001"
    clock.now += timedelta(minutes=2)
    clerk.post("/api/v1/counters/1/complete")
    completed_at = clock.now
    clock.now += timedelta(minutes=1)
    other.post("/api/v1/counters/3/call-next")
    called_at = clock.now
    clock.now += timedelta(minutes=1)
    other.post("/api/v1/counters/3/pause")
    paused_at = clock.now
    clock.now += timedelta(minutes=1)
    kiosk.post("/api/v1/help-calls", {"location": "一楼东门"})
    raised_at = clock.now
    clock.now += timedelta(minutes=1)
    kiosk.post("/api/v1/devices/heartbeat")    # the hall's offline limit here is two seconds
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_out"})
    add_device("counter-02", DeviceKind.COUNTER, counters=("2",)).post("/api/v1/devices/heartbeat")

    board = supervisor.get("/api/v1/hall-board").json()
    assert at(board["now"]) == clock.now and board["hall"] == live.hall.hall_id
    counters = {c["counter"]: c for c in board["counters"]}
    assert [c["counter"] for c in board["counters"]] == [c.id for c in live.hall.spec.counters]
    one, three, eight = counters["1"], counters["3"], counters["8"]
    assert (one["activity"], at(one["since"]), one["job_no"], one["staff_name"], one["ticket"]) == (
        "idle", completed_at, "0101", "员工0101", None)
    assert (three["activity"], at(three["since"]), three["ticket"], three["service"], at(three["serving_since"])) == (
        "paused", paused_at, "C001", "household", called_at)
    assert three["job_no"] is None   # nothing completed there today, nobody signed in at it
    assert (eight["activity"], eight["since"]) == ("paused", None)   # paused before today
    assert (counters["2"]["activity"], counters["2"]["since"], counters["2"]["job_no"]) == ("idle", None, None)
    services = {s["service"]: s for s in board["services"]}
    assert [s["service"] for s in board["services"]] == [s.code for s in live.hall.spec.services]
    assert services["social_security"] == {"service": "social_security", "waiting": 1, "served_today": 1,
                                           "longest_wait_seconds": (clock.now - issued["A002"]).seconds}
    assert services["household"] == {"service": "household", "waiting": 2, "served_today": 0,
                                     "longest_wait_seconds": (clock.now - issued["C002"]).seconds}
    assert services["veterans"] == {"service": "veterans", "waiting": 0, "served_today": 0, "longest_wait_seconds": 0}
    [call] = board["help_calls"]
    assert (call["device_id"], call["location"], at(call["raised_at"])) == ("kiosk-01", "一楼东门", raised_at)
    [alarm] = board["device_alarms"]
    assert (alarm["device_id"], alarm["location"], alarm["state"], alarm["part"], at(alarm["since"])) == (
        "kiosk-01", "一楼东门", "paper_out", "kiosk-01/printer", clock.now)

    # A staff member signed in at a counter (its terminal's card) is who the board names there.
    login("0302", counters=("3",), counter="3")
    assert {c["counter"]: c["job_no"] for c in supervisor.get("/api/v1/hall-board").json()["counters"]}["3"] == "0302"


def test_supervisors_and_admins_only(live, kiosk, login):
    assert login("9002", role=Role.ADMIN, counters=()).get("/api/v1/hall-board").status_code == 200
    refused = login("0101", counters=("1",)).get("/api/v1/hall-board")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert kiosk.get("/api/v1/hall-board").status_code == 403
    assert requests.get(f"{live.url}/api/v1/hall-board", timeout=10).status_code == 401
