"""The live-event reader against a real hall server on 127.0.0.1, in its own process that a
test kills and starts again: events arrive, in order and each once, across a restart."""
from __future__ import annotations

import logging
import signal
import threading
import uuid

from kiosk.live_events import LiveEvent, LiveEvents
from tests.support.api_clients import Api
from tests.support.waiting import until


class Heard:
    """What a reader hands on, for a test to wait on."""

    def __init__(self) -> None:
        self.events: list[LiveEvent] = []
        self.connections: list[bool] = []
        self._lock = threading.Lock()

    def on_event(self, event: LiveEvent) -> None:
        with self._lock:
            self.events.append(event)

    def on_connection(self, connected: bool) -> None:
        with self._lock:
            self.connections.append(connected)

    def numbers(self, kind: str = "issued") -> list[str]:
        with self._lock:
            return [e.data["payload"]["ticket"]["number"] for e in self.events if e.kind == kind]

    def ids(self) -> list[int]:
        with self._lock:
            return [e.id for e in self.events]


def issue(server, token: str, service: str = "household") -> str:
    answer = Api(server.url, token).post("/api/v1/tickets", {"service": service}, key=f"t-{uuid.uuid4().hex}")
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def reader(server, token: str, heard: Heard, **kwargs) -> LiveEvents:
    return LiveEvents(server.url, token, on_event=heard.on_event, on_connection=heard.on_connection,
                      **kwargs).start()


def connected(server, heard: Heard) -> tuple[str, LiveEvents]:
    """A kiosk's token, and a reader of the server (started now) whose stream has opened."""
    token = server.register("kiosk-01")
    server.start()
    live = reader(server, token, heard)
    until(lambda: live.connected, what="the stream opened")
    return token, live


def test_events_arrive_as_they_happen_with_what_the_api_documents(any_hall_server):
    heard = Heard()
    token, live = connected(any_hall_server, heard)
    try:
        numbers = [issue(any_hall_server, token) for _ in range(3)]
        until(lambda: heard.numbers() == numbers, what=lambda: f"three tickets issued, heard {heard.numbers()}")
        first = heard.events[0]
        assert first.kind == "issued" and first.id == first.data["id"] and first.data["kind"] == "issued"
        assert heard.connections == [True]
    finally:
        live.close()


def test_a_server_killed_and_restarted_the_events_written_meanwhile_arrive_once_in_order(any_hall_server):
    heard = Heard()
    token, live = connected(any_hall_server, heard)
    try:
        before = [issue(any_hall_server, token) for _ in range(2)]
        until(lambda: heard.numbers() == before, what="the first tickets")
        any_hall_server.kill(signal.SIGKILL)
        until(lambda: heard.connections == [True, False], what="the reader saw the stream drop")
        meanwhile = [any_hall_server.issue_behind_its_back("household").number for _ in range(3)]
        any_hall_server.start()
        after = issue(any_hall_server, token)
        until(lambda: after in heard.numbers(), what=lambda: f"the ticket after the restart, heard {heard.numbers()}")
        assert heard.numbers() == [*before, *meanwhile, after]
        ids = heard.ids()
        assert ids == sorted(set(ids))  # in order, none twice
        until(lambda: heard.connections == [True, False, True], what="the reader saw the stream back")
    finally:
        live.close()


def test_a_reader_started_after_an_event_id_gets_what_came_after_it(any_hall_server):
    token = any_hall_server.register("kiosk-01")
    any_hall_server.start()
    numbers = [issue(any_hall_server, token) for _ in range(3)]
    first = Heard()
    live = reader(any_hall_server, token, first, after=0)
    try:
        until(lambda: first.numbers() == numbers, what="the day's events from the start")
    finally:
        live.close()
    second = Heard()
    live = reader(any_hall_server, token, second, after=first.ids()[0])
    try:
        until(lambda: second.numbers() == numbers[1:], what="the events after the first")
    finally:
        live.close()


def test_a_reader_started_while_the_server_is_down_connects_once_it_is_up(hall_server):
    token = hall_server.register("kiosk-01")
    heard = Heard()
    live = reader(hall_server, token, heard)
    try:
        hall_server.start()
        until(lambda: live.connected, seconds=30, what="the stream opened once the server was up")
        number = issue(hall_server, token)
        until(lambda: heard.numbers() == [number], what="the ticket issued")
    finally:
        live.close()


def test_a_token_the_hall_does_not_know_is_said_in_the_log_and_tried_again(hall_server, caplog):
    caplog.set_level(logging.DEBUG, logger="kiosk.live_events")
    hall_server.start()
    live = LiveEvents(hall_server.url, "not-a-token", on_event=lambda event: None).start()
    try:
        until(lambda: "HTTP 401" in caplog.text, what="the refusal in the log")
        until(lambda: caplog.text.count("HTTP 401") >= 2, seconds=30, what="a second try")
        assert not live.connected
    finally:
        live.close()


def test_close_hangs_up_a_quiet_stream_at_once(hall_server):
    """The server is quiet for 15 s before its keepalive, and the read waits longer still:
    close() cuts the stream instead, and the reader's thread has ended when it returns."""
    _token, live = connected(hall_server, Heard())
    live.close()
    assert not live._thread.is_alive()
    assert not live.connected


def test_a_failing_handler_is_logged_and_the_stream_goes_on(hall_server, caplog):
    token = hall_server.register("kiosk-01")
    hall_server.start()
    heard = Heard()

    def on_event(event: LiveEvent) -> None:
        heard.on_event(event)
        raise RuntimeError("a bug in the terminal")

    live = LiveEvents(hall_server.url, token, on_event=on_event).start()
    try:
        until(lambda: live.connected, what="the stream opened")
        numbers = [issue(hall_server, token) for _ in range(2)]
        until(lambda: heard.numbers() == numbers, what="both events despite the failing handler")
        assert "a handler failed" in caplog.text
    finally:
        live.close()
