"""Help calls: one open call per kiosk however often it is pressed, listed for staff until
one of them takes it, and the kiosk told."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from hall.events import events_after
from hall.schemas import DeviceKind, Role


def test_presses_while_open_make_one_call_and_one_event(live, kiosk, login, count):
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: kiosk.post("/api/v1/help-calls", {"location": "一楼东门"}), range(3)))
    assert [a.status_code for a in answers] == [200] * 3
    assert len({a.json()["id"] for a in answers}) == 1
    assert count("help_calls") == 1
    with live.hall.engine.reading() as session:
        assert events_after(session, hall_id=live.hall.hall_id, after=0)[-1].kind == "help_requested"
        assert [e.kind for e in events_after(session, hall_id=live.hall.hall_id, after=0)].count("help_requested") == 1
    staff = login("0301", counters=("3",))
    open_calls = staff.get("/api/v1/help-calls").json()
    assert [(c["device_id"], c["location"], c["presses"]) for c in open_calls] == [("kiosk-01", "一楼东门", 3)]


def test_taking_a_call_tells_the_kiosk_and_a_new_press_opens_a_new_call(live, kiosk, login):
    call = kiosk.post("/api/v1/help-calls", {}).json()
    assert kiosk.get(f"/api/v1/help-calls/{call['id']}").json()["taken_at"] is None
    staff, other = login("0301", counters=("3",)), login("0101", counters=("1",))
    taken = staff.post(f"/api/v1/help-calls/{call['id']}/take").json()
    assert taken["taken_by"] == "0301"
    assert other.post(f"/api/v1/help-calls/{call['id']}/take").json()["taken_by"] == "0301"
    seen = kiosk.get(f"/api/v1/help-calls/{call['id']}").json()["taken_at"]
    assert datetime.fromisoformat(seen) == datetime.fromisoformat(taken["taken_at"])
    assert staff.get("/api/v1/help-calls").json() == []
    assert kiosk.post("/api/v1/help-calls", {}).json()["id"] != call["id"]


def test_who_may_do_what(live, kiosk, add_device, login):
    call = kiosk.post("/api/v1/help-calls", {}).json()
    other_kiosk, display = add_device("kiosk-02"), add_device("display-01", DeviceKind.DISPLAY)
    assert other_kiosk.get(f"/api/v1/help-calls/{call['id']}").status_code == 404
    assert display.post("/api/v1/help-calls", {}).status_code == 403
    assert display.get(f"/api/v1/help-calls/{call['id']}").status_code == 403
    assert kiosk.get("/api/v1/help-calls").status_code == 403
    assert kiosk.post(f"/api/v1/help-calls/{call['id']}/take").status_code == 403
    staff = login("0301", counters=("3",))
    assert staff.post("/api/v1/help-calls/999/take").status_code == 404
    for location in ("x" * 65, "一楼\x00东门"):  # PostgreSQL's text holds no NUL
        assert kiosk.post("/api/v1/help-calls", {"location": location}).status_code == 422
    unsigned = staff.http.post(f"{live.url}/api/v1/help-calls/{call['id']}/take",
                               headers={"X-CSRF-Token": "forged"}, timeout=10)
    assert unsigned.status_code == 403 and unsigned.json()["error"] == "csrf"


def test_a_kiosk_is_named_by_where_it_was_registered_until_a_help_call_says_otherwise(live, add_device, login):
    """Registered at 一楼东门 and never calling for help, its paper alarm on the board names
    that place; a help call from 二楼西侧 moves it there (the kiosk's configuration knows
    best), and a call that names no place leaves it where it was."""
    kiosk = add_device("kiosk-07", location="一楼东门")
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-07/printer", "kind": "printer", "status": "paper_out"})

    def named() -> list[tuple[str, str]]:
        return [(a["device_id"], a["location"]) for a in supervisor.get("/api/v1/hall-board").json()["device_alarms"]]

    assert named() == [("kiosk-07", "一楼东门")]
    call = kiosk.post("/api/v1/help-calls", {"location": "二楼西侧"}).json()
    assert call["location"] == "二楼西侧" and named() == [("kiosk-07", "二楼西侧")]
    supervisor.post(f"/api/v1/help-calls/{call['id']}/take")
    assert kiosk.post("/api/v1/help-calls", {}).status_code == 200
    assert named() == [("kiosk-07", "二楼西侧")]
