"""Who may do what: every refusal has its status and leaves the database as it was."""
from __future__ import annotations

import time

import pytest

from hall.schemas import DeviceKind, Role
from tests.hall.api.conftest import PASSWORD, Api

ISSUE = "/api/v1/tickets"
WRITE_TABLES = ("tickets", "events", "idempotency_keys", "device_status", "staff_sessions")


@pytest.fixture
def unchanged(count):
    """Asserts at the end that nothing was written by the refused requests."""
    before = {}

    def snapshot():
        before.update({t: count(t) for t in WRITE_TABLES})

    def check():
        assert {t: count(t) for t in WRITE_TABLES} == before
    return snapshot, check


PROTECTED = [("GET", "/api/v1/hall"), ("GET", "/api/v1/services"), ("POST", ISSUE), ("GET", f"{ISSUE}/1"),
             ("GET", "/api/v1/counters"), ("POST", "/api/v1/counters/1/call-next"),
             ("POST", "/api/v1/devices/heartbeat"), ("POST", "/api/v1/devices/reports"),
             ("GET", "/api/v1/devices"), ("GET", "/api/v1/events"), ("GET", "/api/v1/session")]


def test_no_token_or_a_wrong_token_is_401_everywhere(live, kiosk, unchanged):
    kiosk.post(ISSUE, {"service": "household"})
    snapshot, check = unchanged
    snapshot()
    for token in (None, "not-a-token", kiosk.http.headers["Authorization"].split()[1] + "x"):
        caller = Api(live.url, token)
        for method, path in PROTECTED:
            answer = caller.http.request(method, live.url + path, json={"service": "household"}, timeout=10)
            assert answer.status_code == 401, (token, method, path, answer.text)
            assert answer.json()["error"] == "unauthorized"
    check()


def test_a_token_of_another_kind_is_403(add_device, login, unchanged):
    display = add_device("hall-screen", DeviceKind.DISPLAY)
    counter_terminal = add_device("counter-3", DeviceKind.COUNTER)
    kiosk = add_device("kiosk-01")
    snapshot, check = unchanged
    snapshot()
    for caller in (display, counter_terminal):
        refused = caller.post(ISSUE, {"service": "household"}, key="refused-0001")
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    for caller in (display, kiosk):
        assert caller.post("/api/v1/counters/3/call-next").status_code == 403
    assert kiosk.get("/api/v1/devices").status_code == 403
    assert kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-02/printer", "kind": "printer",
                                                  "status": "paper_out"}).status_code == 403
    check()
    # and what they may do
    assert display.get("/api/v1/counters/3").status_code == 200
    assert kiosk.get("/api/v1/services").status_code == 200


def test_staff_operate_only_their_counters(kiosk, login, unchanged):
    kiosk.post(ISSUE, {"service": "household"})
    kiosk.post(ISSUE, {"service": "social_security"})
    at_one = login("1001", counters=("1", "2"), counter="1")
    of_one_two = login("1002", counters=("1", "2"))
    snapshot, check = unchanged
    snapshot()
    for who, counter in ((at_one, "3"), (at_one, "2"), (of_one_two, "3")):
        refused = who.post(f"/api/v1/counters/{counter}/call-next", key="call-0000001")
        assert refused.status_code == 403 and refused.json()["error"] == "not_your_counter"
    assert at_one.post("/api/v1/counters/99/call-next").status_code == 404
    check()
    assert at_one.post("/api/v1/counters/1/call-next").json()["number"] == "A001"
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.post("/api/v1/counters/3/call-next").json()["number"] == "C001"


def test_a_cookie_without_its_csrf_token_cannot_write(kiosk, login, unchanged):
    kiosk.post(ISSUE, {"service": "social_security"})
    staff = login("1001", counters=("1",))
    staff.http.headers.pop("X-CSRF-Token")
    snapshot, check = unchanged
    snapshot()
    for csrf in (None, "guessed"):
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        refused = staff.post("/api/v1/counters/1/call-next", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf"
    check()
    assert staff.get("/api/v1/counters/1").status_code == 200  # reading needs no token


def test_the_session_cookie_is_httponly_and_samesite(live, login):
    login("1001")  # makes the account
    browser = Api(live.url)
    answer = browser.post("/api/v1/session", {"job_no": "1001", "password": PASSWORD})
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert answer.json()["csrf_token"] and PASSWORD not in answer.text
    browser.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    assert browser.get("/api/v1/session").json()["job_no"] == "1001"
    assert browser.delete("/api/v1/session").status_code == 204
    browser.http.cookies.set("hall_session", cookie.split(";")[0].split("=", 1)[1])
    assert browser.get("/api/v1/session").status_code == 401  # the session ended on the server


def test_unknown_account_and_wrong_password_answer_alike_and_are_slowed_alike(live, login):
    login("1001")
    browser = Api(live.url)
    answers = {}
    for job_no in ("1001", "9999"):
        seen = []
        for _ in range(3):
            began = time.perf_counter()
            answer = browser.post("/api/v1/session", {"job_no": job_no, "password": "wrong password"})
            seen.append((answer.status_code, answer.json(), time.perf_counter() - began))
        answers[job_no] = seen
        assert [s[:2] for s in seen] == [(401, {"error": "login_refused",
                                                "message": "unknown job number or wrong password"})] * 3
        slowed = browser.post("/api/v1/session", {"job_no": job_no, "password": PASSWORD})
        assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
        assert slowed.json()["error"] == "login_slowed"
        assert "set-cookie" not in slowed.headers
    # Both run Argon2: timed again from addresses of their own (none slowed), the least
    # disturbed of several by the machine's other work.
    for n, job_no in enumerate(["1001", "9999"] * 8):
        began = time.perf_counter()
        answer = Api(live.url, source=f"127.0.9.{n + 1}").post(
            "/api/v1/session", {"job_no": job_no, "password": "wrong password"})
        assert answer.status_code == 401
        answers[job_no].append((answer.status_code, answer.json(), time.perf_counter() - began))
    known = min(t for *_, t in answers["1001"])
    unknown = min(t for *_, t in answers["9999"])
    # Argon2 takes about 0.2 s here and a refusal without it a few ms: a ratio of 40 or more if
    # one skipped it; 5 leaves room for the other worker's and the machine's bursts.
    assert known / unknown < 5 and unknown / known < 5
    assert Api(live.url).post("/api/v1/session", {"job_no": "1002", "password": "x"}).status_code == 401


def test_a_job_number_no_account_can_have_is_422_and_counts_nowhere(live, count):
    """Failed logins are counted per job number in a table whose job numbers, like the
    accounts', have at most 32 characters and no NUL (PostgreSQL holds neither)."""
    for job_no in ("1" * 33, "1001\x00", ""):
        answer = Api(live.url).post("/api/v1/session", {"job_no": job_no, "password": "wrong password"})
        assert answer.status_code == 422 and answer.json()["error"] == "invalid", (job_no, answer.text)
    assert count("login_failures") == 0


def test_login_at_a_counter_that_is_not_theirs(login, live):
    login("1001", counters=("1",))
    answer = Api(live.url).post("/api/v1/session", {"job_no": "1001", "password": PASSWORD, "counter": "3"})
    assert answer.status_code == 403 and answer.json()["error"] == "not_your_counter"
