"""Identified and booked citizens over HTTP, on SQLite and PostgreSQL: today's person key for
kiosks alone, tickets by hash and age, booking codes checked in once with the reason of
every refusal, and today's ticket by its number."""
from __future__ import annotations

from datetime import time, timedelta

from hall.booking_codes import BOOKING_PURPOSE, make_booking_code
from hall.person_keys import PersonKeys, read_key_file
from hall.schemas import DeviceKind
from tests.conftest import OPEN_MORNING, SHANGHAI

ISSUE = "/api/v1/tickets"
CHECK_IN = "/api/v1/bookings/check-ins"
SALT = "/api/v1/person-salt"
HELD = "/api/v1/tickets/of-person"
PERSON = "ab" * 32


def code(live, *, booking_id="Q7K2M9", key=None, window=(time(9), time(9, 30))) -> str:
    return make_booking_code(key or live.hall.signer.key_for(BOOKING_PURPOSE), hall_id="chengguan",
                             booking_id=booking_id, service="social_security", day=OPEN_MORNING.date(),
                             window_start=window[0], window_end=window[1])


def test_the_person_salt_is_todays_key_for_kiosks_only(live, kiosk, add_device, login, server_settings, clock):
    """Today's key, from the key file beside the database; tomorrow's differs, and no question
    gets another day's."""
    keys = PersonKeys(read_key_file(server_settings.person_key_path), hall_id="chengguan", zone=SHANGHAI)
    answer = kiosk.get(SALT)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    today = OPEN_MORNING.date()
    assert answer.json() == {"salt": keys.for_day(today).hex(), "day": today.isoformat()}
    yesterday = kiosk.get(SALT, params={"day": (today - timedelta(days=1)).isoformat()})
    assert yesterday.json() == answer.json()
    clock.now = OPEN_MORNING + timedelta(days=1)
    tomorrow = kiosk.get(SALT).json()
    assert tomorrow == {"salt": keys.for_day(today + timedelta(days=1)).hex(),
                        "day": (today + timedelta(days=1)).isoformat()}
    assert tomorrow["salt"] != answer.json()["salt"]
    assert add_device("counter-01", DeviceKind.COUNTER).get(SALT).status_code == 403
    assert login("0042").get(SALT).status_code == 403
    assert kiosk.__class__(live.url).get(SALT).status_code == 401


def test_a_ticket_by_hash_and_age_and_the_second_one_refused_with_the_first(kiosk, clock):
    first = kiosk.post(ISSUE, {"service": "household", "person_hash": PERSON, "age": 75}, key="person-0001")
    assert first.status_code == 201, first.text
    assert first.json()["priority"] == "green"
    assert "person_hash" not in first.json() and "age" not in first.json()
    clock.now = OPEN_MORNING.replace(minute=40)
    second = kiosk.post(ISSUE, {"service": "taxation", "person_hash": PERSON, "age": 75}, key="person-0002")
    assert second.status_code == 409
    problem = second.json()
    assert (problem["error"], problem["reason"]) == ("refused", "already_has_ticket")
    assert problem["earlier_ticket"] == {"number": "C001", "service": "household",
                                         "issued_at": "2026-11-25T09:00:00+08:00"}
    for body in ({"service": "taxation", "age": 200}, {"service": "taxation", "age": "old"},
                 {"service": "taxation", "age": True}, {"service": "taxation", "age": "75"},
                 {"service": "taxation", "age": 75.5}, {"service": "taxation", "birth_date": "19491231"}):
        answer = kiosk.post(ISSUE, body)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid", body
    needs_id = kiosk.post(ISSUE, {"service": "housing_fund"})
    assert needs_id.status_code == 409 and needs_id.json()["reason"] == "identification_required"


def test_a_persons_open_tickets_for_kiosks_only(live, kiosk, add_device, login):
    assert kiosk.post(HELD, {"person_hash": PERSON}).json() == {
        "tickets": [], "open_to": [s.code for s in live.hall.engine.spec.services]}
    kiosk.post(ISSUE, {"service": "household", "person_hash": PERSON}, key="held-0001")
    answer = kiosk.post(HELD, {"person_hash": PERSON})
    assert answer.status_code == 200, answer.text
    [ticket] = answer.json()["tickets"]
    assert (ticket["number"], ticket["ahead"], ticket["counters"]) == ("C001", 0, ["3"])
    assert ticket["link"].startswith(live.url) and answer.json()["open_to"] == ["veterans"]
    for body in ({}, {"person_hash": "AB" * 32}, {"person_hash": "ab" * 31}, {"person_hash": 7}):
        refused = kiosk.post(HELD, body)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid", body
    assert add_device("counter-01", DeviceKind.COUNTER).post(HELD, {"person_hash": PERSON}).status_code == 403
    assert login("0042").post(HELD, {"person_hash": PERSON}).status_code == 403
    assert kiosk.__class__(live.url).post(HELD, {"person_hash": PERSON}).status_code == 401


def test_a_booking_checks_in_once_and_each_refusal_says_why(live, kiosk, add_device, clock, count):
    booked = kiosk.post(CHECK_IN, {"code": code(live)}, key="scan-0001")
    assert booked.status_code == 201
    ticket = booked.json()
    assert (ticket["number"], ticket["priority"]) == ("A001", "booked") and ticket["link"].startswith(live.url)
    replay = kiosk.post(CHECK_IN, {"code": code(live)}, key="scan-0001")
    assert replay.json() == ticket and replay.headers["Idempotent-Replayed"] == "true"
    other_kiosk = add_device("kiosk-02")
    used = other_kiosk.post(CHECK_IN, {"code": code(live).lower()}, key="scan-0001")
    assert used.status_code == 409 and used.json()["reason"] == "booking_used"
    assert used.json()["earlier_ticket"]["number"] == "A001"

    forged = kiosk.post(CHECK_IN, {"code": code(live, booking_id="B2", key=bytes(32))})
    early = kiosk.post(CHECK_IN, {"code": code(live, booking_id="B3", window=(time(10), time(10, 30)))})
    assert (forged.status_code, forged.json()["reason"]) == (409, "booking_forged")
    assert (early.json()["reason"], early.json()["reopens_at"]) == ("booking_early", "2026-11-25T09:30:00+08:00")
    clock.now = OPEN_MORNING.replace(hour=10)
    expired = kiosk.post(CHECK_IN, {"code": code(live, booking_id="B4")})
    assert expired.json()["reason"] == "booking_expired"
    for body in ({"code": "HKB1.NOT.A.CODE"}, {"code": ""}, {"code": "x" * 600}, {}, {"code": code(live), "age": 80}):
        answer = kiosk.post(CHECK_IN, body)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid", body
    assert add_device("counter-01", DeviceKind.COUNTER).post(CHECK_IN, {"code": code(live)}).status_code == 403
    assert count("booking_check_ins") == 1 and count("tickets") == 1


def test_todays_ticket_by_its_number(kiosk, clock):
    issued = kiosk.post(ISSUE, {"service": "household"}).json()
    found = kiosk.get(f"{ISSUE}/by-number/c001")
    assert found.status_code == 200 and found.json() == issued
    assert kiosk.get(f"{ISSUE}/by-number/C002").json()["error"] == "not_found"
    assert kiosk.get(f"{ISSUE}/by-number/C1").status_code == 422
    assert kiosk.__class__(kiosk.base).get(f"{ISSUE}/by-number/C001").status_code == 401
