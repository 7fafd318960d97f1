"""Device health: each kiosk, counter terminal and keypad bridge in one state, and since when."""
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


def test_a_keypad_bridge_is_as_bad_as_its_worst_keypad(live, add_device, login):
    bridge = add_device("keypads-1", DeviceKind.KEYPAD_BRIDGE, counters=("1", "2"))
    bridge.post("/api/v1/devices/heartbeat")
    report = {"kind": "rating_keypad", "status": "ok"}
    for counter in ("1", "2"):
        bridge.post("/api/v1/devices/reports", {**report, "device_id": f"keypads-1/counter-{counter}"})
    staff = login("0101")
    assert states(staff)["keypads-1"][0] == "ok"
    bridge.post("/api/v1/devices/reports", {**report, "device_id": "keypads-1/counter-2", "status": "offline"})
    [health] = [d for d in staff.get("/api/v1/device-health").json() if d["device_id"] == "keypads-1"]
    assert (health["kind"], health["state"], health["part"]) == ("keypad_bridge", "error", "keypads-1/counter-2")


def test_terminals_may_not_read_it(live, kiosk):
    assert kiosk.get("/api/v1/device-health").status_code == 403
