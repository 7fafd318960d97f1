"""A counter's queue as its console shows it, and who may see it."""
from __future__ import annotations

from datetime import datetime, timedelta


def test_waiting_in_calling_order_then_set_aside(live, kiosk, login, clock):
    numbers = {}
    for service, priority in (("social_security", "normal"), ("medical_insurance", "normal"),
                              ("social_security", "green"), ("household", "normal")):
        numbers.setdefault(service, []).append(
            kiosk.post("/api/v1/tickets", {"service": service, "priority": priority}).json()["number"])
        clock.now += timedelta(seconds=1)
    staff = login("0101", counters=("1",))
    staff.post("/api/v1/counters/1/call-next")          # the green ticket, A002
    staff.post("/api/v1/counters/1/hold")
    staff.post("/api/v1/counters/1/call-next")          # A001
    clock.now += timedelta(minutes=3)
    queue = staff.get("/api/v1/counters/1/queue").json()
    assert queue["counter"]["current"]["number"] == "A001"
    assert datetime.fromisoformat(queue["now"]) - datetime.fromisoformat(queue["serving_since"]) == timedelta(minutes=3)
    assert [(t["number"], t["status"]) for t in queue["tickets"]] == [("B001", "waiting"), ("A002", "held")]


def test_another_counter_is_refused(live, login):
    staff = login("0101", counters=("1",))
    answer = staff.get("/api/v1/counters/3/queue")
    assert answer.status_code == 403 and answer.json()["error"] == "not_your_counter"
    assert staff.get("/api/v1/counters/99/queue").status_code == 404
    assert staff.get("/api/v1/counters/1/queue?limit=0").status_code == 422
