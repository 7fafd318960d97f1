"""Ratings over HTTP: one per transaction in every channel, idempotent and race-proof, never
invented (not rated at the counter's next call or when its prompt times out), refused with a
reason and nothing written for bad input, and never shown to staff with its level."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from hall.queue import QueueEngine
from hall.schemas import DeviceKind, Role
from tests.conftest import OPEN_MORNING, SHANGHAI
from tests.hall.api.conftest import Api
from tests.hall.api.sse import Listener
from tests.hall.conftest import with_hall
from tests.support.waiting import until

RATE = "/api/v1/ratings"
WRITTEN = ("ratings", "rating_cases", "served_tickets", "events", "idempotency_keys")


@pytest.fixture
def terminal(add_device) -> Api:
    """The counter terminal of counter 3."""
    return add_device("counter-03", DeviceKind.COUNTER, counters=("3",))


@pytest.fixture
def supervisor(login) -> Api:
    return login("9001", role=Role.SUPERVISOR, counters=())


def written(count) -> dict[str, int]:
    return {table: count(table) for table in WRITTEN}


def state(who: Api, ticket_id: int) -> str | None:
    return who.get(f"{RATE}/state/{ticket_id}").json()["state"]


def reached(who: Api, ticket_id: int, wanted: str) -> None:
    """Waits for the server's watch to bring a transaction to a rating state."""
    until(lambda: state(who, ticket_id) == wanted, what=f"ticket {ticket_id} {wanted}")


def test_a_rating_is_taken_once_in_every_channel(serve, terminal, kiosk, supervisor, count):
    ticket = serve()
    given = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 5, "identified": True})
    assert given.status_code == 201, given.text
    assert given.json()["channel"] == "counter" and given.json()["state"] == "rated"
    again = [terminal.post(RATE, {"ticket_id": ticket["id"], "level": 4}),
             kiosk.post(RATE, {"ticket_id": ticket["id"], "level": 4}),
             Api(terminal.base).post(f"{RATE}/by-link/{ticket['token']}", {"level": 1, "reasons": ["slow"]})]
    for answer in again:
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"] == "rating_refused" and answer.json()["reason"] == "already_rated"
    assert count("ratings") == 1 and count("rating_cases") == 0
    [rating] = supervisor.get(RATE).json()
    assert (rating["number"], rating["level"], rating["channel"], rating["counter"], rating["staff_job_no"],
            rating["service"], rating["department"], rating["identified"]) == (
        "C001", 5, "counter", "3", "0301", "household", "县公安局", True)


def test_a_retry_with_its_key_gets_the_same_rating(serve, terminal, count):
    ticket = serve()
    body = {"ticket_id": ticket["id"], "level": 2, "reasons": ["attitude", "slow"], "comment": "等了很久"}
    first = terminal.post(RATE, body, key="counter-03-rating-0001")
    retry = terminal.post(RATE, body, key="counter-03-rating-0001")
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content and retry.headers["Idempotent-Replayed"] == "true"
    assert count("ratings") == 1 and count("rating_cases") == 1


def test_a_keypads_bad_rating_is_taken_as_pressed_and_opens_its_case(serve, terminal, add_device, count):
    """Five keys cannot choose a reason: the keypad's 非常不满意 stands, its case asks why; the
    counter's screen, which can ask, still must."""
    keypads = add_device("keypads-1", DeviceKind.KEYPAD_BRIDGE, counters=("3",))
    pressed, shown = serve(), serve()
    refused = terminal.post(RATE, {"ticket_id": shown["id"], "level": 1})
    assert refused.status_code == 422 and refused.json()["reason"] == "reason_required"
    taken = keypads.post(RATE, {"ticket_id": shown["id"], "level": 1})
    assert taken.status_code == 201 and taken.json()["channel"] == "keypad", taken.text
    assert count("ratings") == 1 and count("rating_cases") == 1
    assert keypads.post(RATE, {"ticket_id": pressed["id"], "level": 1}).json()["reason"] == "window_closed"


def test_duplicates_racing_in_make_one_rating(serve, terminal, kiosk, count):
    ticket = serve()
    start = threading.Barrier(6)
    answers = []

    def send(i: int) -> None:
        who = terminal if i % 2 else kiosk
        start.wait(timeout=10)
        answers.append(who.post(RATE, {"ticket_id": ticket["id"], "level": 1 + i % 5, "reasons": ["slow"]},
                                key=f"raced-rating-{i:04d}"))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["reason"] for a in answers if a.status_code == 409} == {"already_rated"}
    assert count("ratings") == 1


def test_the_next_call_ends_the_prompt_as_not_rated_and_a_late_rating_may_follow(serve, terminal, kiosk, count):
    first = serve()
    assert state(terminal, first["id"]) == "awaiting"
    serve()  # the counter calls the next citizen
    assert state(terminal, first["id"]) == "not_rated"
    late_at_counter = terminal.post(RATE, {"ticket_id": first["id"], "level": 5})
    assert late_at_counter.status_code == 409 and late_at_counter.json()["reason"] == "window_closed"
    assert count("ratings") == 0
    late = Api(kiosk.base).post(f"{RATE}/by-link/{first['token']}", {"level": 3})
    assert late.status_code == 201 and late.json()["channel"] == "phone_page"
    assert state(terminal, first["id"]) == "rated"


def test_a_prompt_unanswered_in_time_is_not_rated(serve, terminal, login, clock, count):
    ticket = serve()
    staff = login("0302", counters=("3",))
    listener = Listener(staff)
    try:
        clock.now += timedelta(seconds=59)
        assert terminal.post(RATE, {"ticket_id": ticket["id"], "level": 4, "reasons": ["bogus"]}).status_code == 422
        clock.now += timedelta(seconds=1)
        ended = listener.until("not_rated").json()
    finally:
        listener.close()
    assert ended["ticket_id"] == ticket["id"] and ended["payload"]["rating"]["state"] == "not_rated"
    assert state(staff, ticket["id"]) == "not_rated"
    before = written(count)
    refused = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 4})
    assert refused.status_code == 409 and refused.json()["reason"] == "window_closed"
    assert written(count) == before


def levels(supervisor: Api) -> dict:
    return supervisor.get(f"{RATE}/levels").json()


def test_a_rating_given_in_its_prompt_and_arriving_after_it_ended_by_time_is_taken(serve, terminal, supervisor,
                                                                                  clock, count):
    """The terminal could not reach the hall: its outbox delivers the rating after the prompt
    ended as not rated, saying how long ago it was given; the transaction turns rated, once,
    and the day's totals move it from not rated to its level."""
    ticket = serve()
    completed = clock.now
    clock.now += timedelta(seconds=90)
    reached(terminal, ticket["id"], "not_rated")
    assert levels(supervisor)["not_rated"] == 1
    body = {"ticket_id": ticket["id"], "level": 2, "reasons": ["slow"], "given_seconds_ago": 35}
    given = terminal.post(RATE, body, key="counter-rating-late-0001")
    assert given.status_code == 201, given.text
    assert datetime.fromisoformat(given.json()["rated_at"]) == completed + timedelta(seconds=55)
    assert state(terminal, ticket["id"]) == "rated"
    resent = terminal.post(RATE, {**body, "given_seconds_ago": 47.5}, key="counter-rating-late-0001")
    assert resent.status_code == 201 and resent.content == given.content, resent.text  # the same rating, its age grown
    assert count("ratings") == 1 and count("rating_cases") == 1
    assert levels(supervisor) == {"counts": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}, "not_rated": 0, "awaiting": 0,
                                  "set_aside": 0}
    [mine] = [f for f in supervisor.get(f"{RATE}/figures", params={"by": "staff"}).json() if f["key"] == "0301"]
    assert (mine["transactions"], mine["rated"], mine["bad"]) == (1, 1, 1)
    again = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 5, "given_seconds_ago": 80})
    assert again.status_code == 409 and again.json()["reason"] == "already_rated"


def test_a_rating_given_before_the_next_call_is_taken_and_one_given_after_it_refused(serve, terminal, supervisor,
                                                                                    clock, count):
    first = serve()
    clock.now += timedelta(seconds=20)
    second = serve()  # the next call ended the first prompt, 20 s in, as not rated
    assert state(terminal, first["id"]) == "not_rated"
    clock.now += timedelta(seconds=10)
    before = written(count)
    after_the_call = terminal.post(RATE, {"ticket_id": first["id"], "level": 4, "given_seconds_ago": 9.5})
    assert after_the_call.status_code == 409 and after_the_call.json()["reason"] == "window_closed"
    assert "before this rating was given" in after_the_call.json()["message"]
    assert written(count) == before
    before_the_call = terminal.post(RATE, {"ticket_id": first["id"], "level": 4, "given_seconds_ago": 10.5})
    assert before_the_call.status_code == 201, before_the_call.text
    assert state(terminal, first["id"]) == "rated" and state(terminal, second["id"]) == "awaiting"
    assert levels(supervisor)["counts"]["4"] == 1 and levels(supervisor)["not_rated"] == 0


def test_the_age_of_a_rating_is_bounded_by_its_transaction_and_the_late_rating_time(serve, terminal, kiosk, clock,
                                                                                  count):
    """An age beyond the transaction's completion is taken as given at the completion; no age
    lets a counter's rating in after the late-rating time; a claimed time after the prompt's
    end stays refused; and an age that is no number of seconds is bad input."""
    ticket = serve()
    completed = clock.now
    clock.now += timedelta(minutes=10)
    for age in (-1, 60 * 24 * 3600 + 1, 1e300, "30", None, True):
        answer = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 5, "given_seconds_ago": age})
        assert answer.status_code == 422, (age, answer.text)
    assert count("ratings") == 0
    refused = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 5, "given_seconds_ago": 539})
    assert refused.status_code == 409 and refused.json()["reason"] == "window_closed"
    given = terminal.post(RATE, {"ticket_id": ticket["id"], "level": 5, "given_seconds_ago": 60 * 24 * 3600})
    assert given.status_code == 201, given.text
    assert datetime.fromisoformat(given.json()["rated_at"]) == completed
    overdue = serve()
    clock.now = datetime.fromisoformat(kiosk.get(f"{RATE}/state/{overdue['id']}").json()["rateable_until"])
    reached(kiosk, overdue["id"], "not_rated")  # the watch's own write, before the count
    before = written(count)
    late = terminal.post(RATE, {"ticket_id": overdue["id"], "level": 5, "given_seconds_ago": 3 * 24 * 3600})
    assert late.status_code == 409 and late.json()["reason"] == "window_closed"
    assert written(count) == before


def test_a_late_rating_is_taken_until_the_end_of_the_next_working_day(serve, kiosk, clock):
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)  # a Friday; the hall opens on Saturday morning
    friday = serve()
    other = serve()
    assert kiosk.get(f"{RATE}/state/{friday['id']}").json()["rateable_until"] == "2026-11-30T16:00:00Z"
    clock.now = datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)  # Monday night
    assert kiosk.post(RATE, {"ticket_id": friday["id"], "level": 4}).json()["channel"] == "kiosk"
    clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    for answer in (kiosk.post(RATE, {"ticket_id": other["id"], "level": 4}),
                   Api(kiosk.base).post(f"{RATE}/by-link/{other['token']}", {"level": 4})):
        assert answer.status_code == 409 and answer.json()["reason"] == "window_closed"


@pytest.fixture
def refusals(serve, kiosk, terminal, add_device, live, clock, db_url):
    """Each thing that must be refused, made ready: name -> (caller, path, body, status, reason)."""
    waiting = kiosk.post("/api/v1/tickets", {"service": "taxation"}).json()
    rated = serve()
    terminal.post(RATE, {"ticket_id": rated["id"], "level": 5})
    at_counter_1 = serve("social_security", counter="1", job_no="0101")
    ticket = serve()
    other_spec = with_hall(live.hall.spec, id="another")
    other_hall = QueueEngine(other_spec, db_url, clock=clock)
    try:
        other_hall.issue_ticket("household")
        other_hall.call_next("3")
        foreign = other_hall.complete("3")
    finally:
        other_hall.close()
    wrong_counter = add_device("counter-01", DeviceKind.COUNTER, counters=("1",))
    own = {"ticket_id": ticket["id"]}
    return {
        "level 0": (terminal, RATE, {**own, "level": 0}, 422, None),
        "level 6": (terminal, RATE, {**own, "level": 6}, 422, None),
        "level as text": (terminal, RATE, {**own, "level": "5"}, 422, None),
        "level true": (terminal, RATE, {**own, "level": True}, 422, None),
        "bad without reason": (terminal, RATE, {**own, "level": 2, "comment": "不好"}, 422, "reason_required"),
        "very bad without reason": (terminal, RATE, {**own, "level": 1}, 422, "reason_required"),
        "unknown reason": (terminal, RATE, {**own, "level": 1, "reasons": ["rude_weather"]}, 422, "unknown_reason"),
        "other without comment": (terminal, RATE, {**own, "level": 2, "reasons": ["other"], "comment": "  "},
                                  422, "comment_required"),
        "not completed": (kiosk, RATE, {"ticket_id": waiting["id"], "level": 5}, 409, "not_completed"),
        "no such ticket": (kiosk, RATE, {"ticket_id": 999_999, "level": 5}, 404, "not_found"),
        "another hall": (kiosk, RATE, {"ticket_id": foreign.id, "level": 5}, 403, "other_hall"),
        "another counter's device": (wrong_counter, RATE, {**own, "level": 5}, 403, "not_your_counter"),
        "a counter's device, another counter's ticket": (terminal, RATE, {"ticket_id": at_counter_1["id"],
                                                                         "level": 5}, 403, "not_your_counter"),
        "twice": (kiosk, RATE, {"ticket_id": rated["id"], "level": 1, "reasons": ["slow"]}, 409, "already_rated"),
        "twice by link": (Api(kiosk.base), f"{RATE}/by-link/{rated['token']}", {"level": 3}, 409, "already_rated"),
        "a forged link": (Api(kiosk.base), f"{RATE}/by-link/{ticket['id']}.forged", {"level": 3}, 404, None),
        "a staff member": (serve.desks["3"], RATE, {**own, "level": 5}, 403, None),
        "a display": (add_device("display-01", DeviceKind.DISPLAY), RATE, {**own, "level": 5}, 403, None),
        "a long comment": (terminal, RATE, {**own, "level": 5, "comment": "好" * 501}, 422, None),
        "a comment with NUL": (terminal, RATE, {**own, "level": 5, "comment": "a\x00b"}, 422, None),
        "an unknown field": (terminal, RATE, {**own, "level": 5, "channel": "kiosk"}, 422, None),
        "eleven reasons": (terminal, RATE, {**own, "level": 1, "reasons": ["slow"] * 11}, 422, None),
    }


def test_bad_input_is_refused_with_its_reason_and_writes_nothing(refusals, count):
    for name, (who, path, body, status, reason) in refusals.items():
        before = written(count)
        answer = who.post(path, body, key="refused-rating-0001")
        assert answer.status_code == status, (name, answer.text)
        assert answer.json()["message"], name
        if reason is not None:
            assert answer.json()["reason"] == reason, (name, answer.text)
        assert written(count) == before, name


def test_staff_never_see_the_level(serve, terminal, login, supervisor):
    staff = login("0302", counters=("3",))
    for path in (RATE, f"{RATE}/figures?by=staff", "/api/v1/cases", "/api/v1/callbacks"):
        assert staff.get(path).status_code == 403, path
        assert terminal.get(path).status_code == 403, path
    staff_view, supervisor_view = Listener(staff), Listener(supervisor)
    try:
        ticket = serve()
        assert terminal.post(RATE, {"ticket_id": ticket["id"], "level": 1, "reasons": ["attitude"]}).status_code == 201
        assert set(staff.get(f"{RATE}/state/{ticket['id']}").json()) == {
            "ticket_id", "state", "rateable_until", "callback_offered"}
        serve.desks["3"].post("/api/v1/counters/3/pause")
        seen = []
        while (message := staff_view.next()).event != "counter_paused":
            seen.append(message)
        assert supervisor_view.until("rated").json()["payload"]["rating"]["level"] == 1
        assert supervisor_view.next().event == "case_opened"
    finally:
        staff_view.close()
        supervisor_view.close()
    [rated] = [m.json() for m in seen if m.event == "rated"]
    assert rated["payload"] == {"rating": {"ticket_id": ticket["id"], "counter": "3", "channel": "counter",
                                           "state": "rated"}}
    assert not [m for m in seen if m.event in ("case_opened", "case_step", "callback_made")]
    assert "level" not in str(seen)


def test_the_figures_count_what_was_given(serve, terminal, supervisor, clock):
    levels = [5, 4, 3, 2, None, 1]
    for level in levels:
        ticket = serve()
        if level is not None:
            body = {"ticket_id": ticket["id"], "level": level, "reasons": ["slow"] if level <= 2 else []}
            assert terminal.post(RATE, body).status_code == 201
    clock.now += timedelta(minutes=5)
    serve("social_security", counter="1", job_no="0101")
    clock.now += timedelta(minutes=5)  # the last two prompts ended by the clock
    by_staff = {f["key"]: f for f in supervisor.get(f"{RATE}/figures", params={"by": "staff"}).json()}
    mine = by_staff["0301"]
    assert (mine["transactions"], mine["rated"], mine["satisfied"], mine["bad"]) == (6, 5, 3, 2)
    assert mine["satisfaction_rate"] == pytest.approx(3 / 5) and mine["bad_rate"] == pytest.approx(2 / 5)
    assert mine["below_threshold"] is True
    assert by_staff["0101"]["rated"] == 0 and by_staff["0101"]["satisfaction_rate"] is None
    day = OPEN_MORNING.date().isoformat()
    [whole_day] = supervisor.get(f"{RATE}/figures", params={"by": "day", "start": day, "end": day}).json()
    assert whole_day["key"] == day and whole_day["transactions"] == 7
    departments = {f["key"] for f in supervisor.get(f"{RATE}/figures", params={"by": "department"}).json()}
    assert departments == {"县公安局", "县人力资源和社会保障局"}
