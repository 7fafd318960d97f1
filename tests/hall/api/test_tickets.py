"""Issuing and looking up tickets over HTTP: answers, refusals, idempotency, signed links."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest

from hall.signing import Signer
from tests.conftest import OPEN_MORNING
from tests.support.servers import LiveServer

ISSUE = "/api/v1/tickets"


def test_a_kiosk_issues_a_ticket_and_anyone_with_its_link_can_follow_it(live, kiosk):
    first = kiosk.post(ISSUE, {"service": "social_security"}, key="issue-0001")
    second = kiosk.post(ISSUE, {"service": "social_security", "priority": "green"}, key="issue-0002")
    assert first.status_code == second.status_code == 201
    a1, a2 = first.json(), second.json()
    assert (a1["number"], a1["status"], a1["counters"], a1["ahead"]) == ("A001", "waiting", ["1", "2", "8"], 0)
    assert a2["number"] == "A002" and a2["priority"] == "green" and a2["ahead"] == 0
    assert a1["issued_at"] == OPEN_MORNING.isoformat()
    # The green ticket is called first, A001 beside it at another of the three free counters.
    assert kiosk.get(f"{ISSUE}/{a1['id']}").json()["ahead"] == 0

    link = urlsplit(a1["link"])
    assert f"{link.scheme}://{link.netloc}" == live.url and link.path.startswith("/t/")
    token = link.path.removeprefix("/t/")
    public = kiosk.__class__(live.url)  # no credentials: the citizen's phone
    looked_up = public.get(f"{ISSUE}/by-link/{token}")
    assert looked_up.status_code == 200 and looked_up.json()["number"] == "A001"


def test_a_forged_or_guessed_link_is_refused(live, kiosk):
    ticket = kiosk.post(ISSUE, {"service": "household"}).json()
    token = urlsplit(ticket["link"]).path.removeprefix("/t/")
    number, mac = token.split(".")
    other_hall = Signer(b"k" * 32).sign("ticket", number)
    booking = live.hall.signer.sign("booking", number)  # the right key, the wrong purpose
    for forged in (f"{int(number) + 1}.{mac}", other_hall, booking, number, f"{number}.", "x" * 100):
        answer = kiosk.get(f"{ISSUE}/by-link/{forged}")
        assert answer.status_code in (403, 422), forged
        assert answer.json()["error"] in ("bad_signature", "invalid")


def test_refusals_carry_the_reason(kiosk, clock):
    unknown = kiosk.post(ISSUE, {"service": "fishing_licences"})
    assert unknown.status_code == 404 and unknown.json()["reason"] == "unknown_service"
    clock.now = OPEN_MORNING.replace(day=29)  # a Sunday
    closed = kiosk.post(ISSUE, {"service": "veterans"})
    assert closed.status_code == 409
    assert closed.json()["error"] == "refused" and closed.json()["reason"] == "closed_today"
    assert closed.json()["reopens_at"] == "2026-11-30T08:30:00+08:00"


@pytest.mark.own_server
def test_the_same_request_twice_gives_one_ticket_even_after_a_restart(server_settings, clock, live, kiosk, count):
    body = {"service": "taxation"}
    first = kiosk.post(ISSUE, body, key="kiosk-01-0000042")
    again = kiosk.post(ISSUE, body, key="kiosk-01-0000042")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    live.stop()
    restarted = LiveServer(server_settings, clock)
    try:
        kiosk.base = restarted.url
        after = kiosk.post(ISSUE, body, key="kiosk-01-0000042")
        assert after.status_code == 201 and after.json()["id"] == first.json()["id"]
        assert after.json()["number"] == "G001"
        assert count("tickets") == 1 and count("idempotency_keys") == 1
        assert kiosk.post(ISSUE, body, key="kiosk-01-0000043").json()["number"] == "G002"
        reused = kiosk.post(ISSUE, {"service": "household"}, key="kiosk-01-0000042")
        assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
        assert count("tickets") == 2
    finally:
        restarted.stop()


def test_the_same_key_sent_twice_at_once_gives_one_ticket(kiosk, count):
    """Two copies of one request racing (a retry sent while the first is still on its way):
    one ticket, and both get it."""
    start = threading.Barrier(4)
    answers = []

    def send() -> None:
        start.wait(timeout=10)
        answers.append(kiosk.post(ISSUE, {"service": "household"}, key="raced-key-0001"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.text for a in answers}) == 1
    assert count("tickets") == 1 and count("idempotency_keys") == 1


def test_keys_belong_to_their_caller(add_device, count):
    one, two = add_device("kiosk-01"), add_device("kiosk-02")
    a = one.post(ISSUE, {"service": "taxation"}, key="same-key-123")
    b = two.post(ISSUE, {"service": "taxation"}, key="same-key-123")
    assert (a.json()["number"], b.json()["number"]) == ("G001", "G002")


MALFORMED = [
    ("not json", {"data": b"{service: social", "headers": {"Content-Type": "application/json"}}),
    ("no body", {}),
    ("a list", {"json": ["social_security"]}),
    ("a number for service", {"json": {"service": 12}}),
    ("an unknown priority", {"json": {"service": "household", "priority": "vip"}}),
    ("an unknown key", {"json": {"service": "household", "number": "C999"}}),
    ("a long service", {"json": {"service": "x" * 1000}}),
    ("a bad person hash", {"json": {"service": "household", "person_hash": "110101199003071234"}}),
    ("null service", {"json": {"service": None}}),
    ("a bad idempotency key", {"json": {"service": "household"}, "headers": {"Idempotency-Key": "a b"}}),
    ("latin-1 garbage", {"data": "\xff\xfe".encode("latin-1"), "headers": {"Content-Type": "application/json"}}),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_issue_requests_are_422_and_write_nothing(kiosk, count, case):
    _, kwargs = case
    answer = kiosk.http.post(kiosk.base + ISSUE, timeout=10, **kwargs)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid" and answer.json()["message"]
    assert count("tickets") == 0


def test_a_huge_body_is_refused_unread(kiosk, count):
    declared = kiosk.post(ISSUE, {"service": "x" * 100_000})
    streamed = kiosk.http.post(kiosk.base + ISSUE, data=iter([b'{"service": "', b"x" * 70_000, b'"}']),
                               headers={"Content-Type": "application/json"}, timeout=10)  # chunked: no length
    for answer in (declared, streamed):
        assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    assert count("tickets") == 0


@pytest.mark.parametrize("path", ["0", "-1", "abc", "99999999999999999999", "2147483648", "1.5"])
def test_bad_ticket_ids_are_4xx(kiosk, path):
    answer = kiosk.get(f"{ISSUE}/{path}")
    assert answer.status_code in (404, 422), answer.text
    assert answer.json()["error"] in ("not_found", "invalid")


def test_an_unknown_ticket_is_404(kiosk):
    answer = kiosk.get(f"{ISSUE}/4242")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
