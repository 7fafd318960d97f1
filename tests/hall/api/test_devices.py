"""Device reports and heartbeats; a kiosk silent for the hall's limit counts as offline."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import create_engine, text

from hall.schemas import Role
from tests.support.waiting import until


def kinds(db_url) -> list[str]:
    return [kind for kind, _ in logged(db_url)]


def logged(db_url) -> list[tuple[str, str | None]]:
    """The event log's kinds, each with the device it names."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            return [(kind, json.loads(payload).get("device"))
                    for kind, payload in con.execute(text("select kind, payload from events order by id"))]
    finally:
        engine.dispose()


def test_a_printer_alarm_and_its_end_are_events_and_the_latest_status_is_kept(kiosk, login, db_url):
    report = {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_out", "detail": "纸尽"}
    answer = kiosk.post("/api/v1/devices/reports", report, key="report-0000001")
    assert answer.status_code == 200 and answer.json()["status"] == "paper_out"
    assert kiosk.post("/api/v1/devices/reports", report, key="report-0000001").headers["Idempotent-Replayed"]
    kiosk.post("/api/v1/devices/reports", {**report, "status": "ok", "detail": ""}, key="report-0000002")
    staff = login("1001")
    assert [(s["device_id"], s["status"]) for s in staff.get("/api/v1/devices/status").json()] == [
        ("kiosk-01/printer", "ok")]
    assert kinds(db_url) == ["device_status", "device_status"]


def test_a_silent_kiosk_goes_offline_once_and_comes_back(kiosk, add_device, login, clock, db_url, live):
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get("/api/v1/devices").json()[0]["last_seen_at"] is None
    beat = kiosk.post("/api/v1/devices/heartbeat")
    assert beat.status_code == 200 and beat.json()["online"] is True
    clock.now += timedelta(seconds=3)  # the limit is 2 s in these tests (120 s by default)
    until(lambda: "device_offline" in kinds(db_url), what="the silent kiosk's announcement")
    assert supervisor.get("/api/v1/devices").json()[0]["online"] is False
    # A second kiosk falling silent later is announced by a later round of the watcher: the
    # rounds in between, with the first kiosk still silent, announced it once only.
    second = add_device("kiosk-02")
    assert second.post("/api/v1/devices/heartbeat").status_code == 200
    clock.now += timedelta(seconds=3)
    until(lambda: ("device_offline", "kiosk-02") in logged(db_url), what="the second kiosk's announcement")
    assert logged(db_url) == [("device_offline", "kiosk-01"), ("device_offline", "kiosk-02")]
    assert kiosk.post("/api/v1/devices/heartbeat").json()["online"] is True
    assert logged(db_url)[2:] == [("device_online", "kiosk-01")]


def test_malformed_reports_are_422(kiosk, count):
    for body in ({"device_id": "kiosk-01/printer", "kind": "printer"},
                 {"device_id": "kiosk-01/printer", "kind": "printer", "status": "x" * 40},
                 {"device_id": "kiosk-01/printer", "kind": "printer", "status": "ok", "detail": "d" * 501},
                 {"device_id": "../../etc", "kind": "printer", "status": "ok"},
                 {"device_id": "kiosk-01", "kind": "Printer!", "status": "ok"},
                 {"device_id": "kiosk-01/printer", "kind": "printer", "status": "jam", "detail": "a\x00b"}):
        answer = kiosk.post("/api/v1/devices/reports", body)
        assert answer.status_code == 422, body
    assert count("device_status") == 0
