"""Device health: each kiosk and counter terminal in one state, and since when."""
from __future__ import annotations

from datetime import datetime, timedelta

from hall.schemas import DeviceKind


def states(staff) -> dict[str, tuple[str, str | None]]:
    return {d["device_id"]: (d["state"], d["since"]) for d in staff.get("/api/v1/device-health").json()}


def test_states_and_since_when(live, add_device, login, clock):
    kiosk, other, counter = add_device("kiosk-01"), add_device("kiosk-02"), add_device("counter-03", DeviceKind.COUNTER)
    add_device("display-01", DeviceKind.DISPLAY)
    for device in (kiosk, other, counter):
        device.post("/api/v1/devices/heartbeat")
    report = {"device_id": "kiosk-01/printer", "kind": "printer"}
    kiosk.post("/api/v1/devices/reports", {**report, "status": "paper_near_end"})
    clock.now += timedelta(seconds=1)
    out_at = clock.now
    kiosk.post("/api/v1/devices/reports", {**report, "status": "paper_out"})
    clock.now += timedelta(seconds=1)
    kiosk.post("/api/v1/devices/reports", {**report, "status": "paper_out"})   # again: still out since out_at
    other.post("/api/v1/devices/reports", {"device_id": "kiosk-02/printer", "kind": "printer", "status": "offline"})
    staff = login("0101")
    found = states(staff)
    assert set(found) == {"kiosk-01", "kiosk-02", "counter-03"}
    assert found["kiosk-01"][0] == "paper_out" and datetime.fromisoformat(found["kiosk-01"][1]) == out_at
    assert found["kiosk-02"][0] == "error"
    assert found["counter-03"][0] == "ok"
    clock.now += timedelta(seconds=live.hall.settings.offline_after + 1)
    counter.post("/api/v1/devices/heartbeat")
    found = states(staff)
    assert found["kiosk-01"][0] == "offline" and found["counter-03"][0] == "ok"


def test_terminals_may_not_read_it(live, kiosk):
    assert kiosk.get("/api/v1/device-health").status_code == 403
