"""What logins may cost: guesses are slowed where they come from (a network source, and a
source with a job number), never where the staff member is; every attempt is counted, also
when several arrive at once; the password checks have a bounded queue; the failures are
forgotten. Sources are loopback addresses of their own (tests.hall.api.conftest.FromAddress)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from hall import accounts
from hall.api.login_limits import CHECKS_WAITING, SOURCE_FREE_FAILURES
from tests.hall.api.conftest import PASSWORD, Api, add_staff
from tests.support.waiting import until

LOGIN = "/api/v1/session"
WRONG = "wrong password"


def log_in(api: Api, job_no: str, password: str = WRONG):
    return api.post(LOGIN, {"job_no": job_no, "password": password})


def failures_of(db_url: str, job_no: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            return con.execute(text("select coalesce(sum(failures), 0) from login_failures where job_no = :j"),
                               {"j": job_no}).scalar()
    finally:
        engine.dispose()


def at_once(calls) -> list:
    """Runs the calls in threads released together; their results in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i, call):
        start.wait()
        results[i] = call()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_wrong_logins_at_once_on_a_new_job_number_are_each_counted(live, db_url):
    """All from one source at once, for a job number with no failure yet: each is a JSON
    401 and counted, or a 429 that checked no password; none is a 5xx (PostgreSQL's
    colliding inserts were a plain-text 500, an uncounted guess)."""
    browsers = [Api(live.url) for _ in range(1 + CHECKS_WAITING)]
    answers = at_once([lambda b=b: log_in(b, "4242") for b in browsers])
    assert all(a.status_code in (401, 429) for a in answers), [(a.status_code, a.text) for a in answers]
    refused = [a for a in answers if a.status_code == 401]
    assert all(a.json()["error"] == "login_refused" for a in refused)
    assert all(a.json()["error"] in ("login_slowed", "login_busy") and int(a.headers["Retry-After"]) >= 1
               for a in answers if a.status_code == 429)
    assert len(refused) >= accounts.FREE_FAILURES
    assert failures_of(db_url, "4242") == len(refused)


def test_guesses_from_one_place_do_not_lock_the_staff_member_out_elsewhere(live, clock):
    add_staff(live.hall.engine, "1001")
    attacker = Api(live.url, source="127.0.0.2")
    for _ in range(accounts.FREE_FAILURES):
        assert log_in(attacker, "1001").status_code == 401
    slowed = log_in(attacker, "1001", PASSWORD)
    assert slowed.status_code == 429 and slowed.json()["error"] == "login_slowed"
    for _ in range(6):  # one more try each time the block ends keeps the attacker's address blocked
        clock.now += accounts.MAX_BLOCK
        assert log_in(attacker, "1001").status_code == 401
    assert log_in(attacker, "1001", PASSWORD).status_code == 429
    at_the_counter = Api(live.url, source="127.0.0.3")
    assert log_in(at_the_counter, "1001", PASSWORD).status_code == 200


def test_an_address_guessing_across_job_numbers_is_slowed_and_others_are_not(live, clock):
    add_staff(live.hall.engine, "1001")
    sprayer = Api(live.url, source="127.0.0.4")
    answers = [log_in(sprayer, f"{2000 + n}").status_code for n in range(SOURCE_FREE_FAILURES)]
    assert answers == [401] * SOURCE_FREE_FAILURES  # never more than 2 on one job number
    slowed = log_in(sprayer, "1001", PASSWORD)
    assert slowed.status_code == 429 and slowed.json()["error"] == "login_slowed"
    assert slowed.headers["Retry-After"] == "1"
    clock.now += timedelta(seconds=1)
    assert log_in(sprayer, "3000").status_code == 401
    again = log_in(sprayer, "3001")
    assert again.status_code == 429 and again.headers["Retry-After"] == "2"  # doubling
    assert log_in(Api(live.url, source="127.0.0.5"), "1001", PASSWORD).status_code == 200


def test_a_right_password_is_not_counted_against_its_address(live):
    add_staff(live.hall.engine, "1001")
    shared_pc = Api(live.url, source="127.0.0.6")
    for n in range(SOURCE_FREE_FAILURES - 1):
        assert log_in(shared_pc, f"{2000 + n}").status_code == 401
    for _ in range(3):  # counted, the second would already be slowed
        assert log_in(shared_pc, "1001", PASSWORD).status_code == 200
    assert log_in(shared_pc, "3000").status_code == 401
    assert log_in(shared_pc, "1001", PASSWORD).status_code == 429


def test_logins_beyond_the_queue_of_password_checks_are_answered_429_at_once(live):
    """A flood of logins from many addresses: those that find every place of the password
    checks' queue taken are answered at once, and a staff member logs in afterwards."""
    add_staff(live.hall.engine, "1001")
    busy = threading.Event()
    answers: list[tuple[int, str, str | None]] = []

    def flood(source: str) -> None:
        client = Api(live.url, source=source)
        for n in range(SOURCE_FREE_FAILURES):  # under the address's limit, one try per job number
            if busy.is_set():
                return
            answer = log_in(client, f"9{n:03d}")
            answers.append((answer.status_code, answer.json()["error"], answer.headers.get("Retry-After")))
            if answer.json()["error"] == "login_busy":
                busy.set()
    threads = [threading.Thread(target=flood, args=(f"127.0.1.{i}",)) for i in range(1, 17)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (429, "login_busy", "1") in answers
    assert set(answers) <= {(401, "login_refused", None), (429, "login_busy", "1")}
    assert log_in(Api(live.url, source="127.0.0.7"), "1001", PASSWORD).status_code == 200


@pytest.mark.own_server
def test_failed_logins_are_forgotten_a_day_after_the_last(live, clock, count):
    for source in ("127.0.0.8", "127.0.0.9"):
        assert log_in(Api(live.url, source=source), "5555").status_code == 401
    assert count("login_failures") == 2
    clock.now += accounts.FAILURES_KEPT_FOR + timedelta(hours=1)  # and housekeeping's hour has passed
    until(lambda: count("login_failures") == 0, seconds=30, every=0.1, what="the failures to be forgotten")


@pytest.mark.parametrize("keep", [0, 3])
def test_the_failures_kept_are_bounded_whatever_their_age(live, clock, db_url, keep):
    sources = [f"127.0.2.{n}" for n in range(1, 6)]
    for source in sources:
        assert log_in(Api(live.url, source=source), "6666").status_code == 401
        clock.now += timedelta(minutes=1)
    with live.hall.engine.transaction() as session:
        assert accounts.forget_failures(session, now=clock.now, keep=keep) == len(sources) - keep
    engine = create_engine(db_url)
    with engine.connect() as con:
        kept = {s for (s,) in con.execute(text("select source from login_failures"))}
    engine.dispose()
    assert kept == set(sources[len(sources) - keep:])  # the newest


def test_an_address_is_forgiven_a_day_after_its_last_failure(live, clock):
    add_staff(live.hall.engine, "1001")
    pc = Api(live.url, source="127.0.0.10")
    for n in range(SOURCE_FREE_FAILURES):
        assert log_in(pc, f"{2000 + n}").status_code == 401
    assert log_in(pc, "1001", PASSWORD).status_code == 429
    clock.now += accounts.FAILURES_KEPT_FOR
    assert [log_in(pc, f"{3000 + n}").status_code for n in range(SOURCE_FREE_FAILURES)] == [401] * SOURCE_FREE_FAILURES
    assert log_in(pc, "1001", PASSWORD).status_code == 429
