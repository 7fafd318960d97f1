"""The hall display's public data: the board, its stream cut to what anyone may see, and the
audio of a call (the chime, for a hall that chose it)."""
from __future__ import annotations

import shutil

import pytest
import requests

from hall.schemas import Role
from hall.settings import ServerSettings
from tests.conftest import SAMPLE_HALL
from tests.support.servers import LiveServer
from tests.hall.api.sse import messages

TICKET_FIELDS = {"number", "service", "status", "counter"}


def test_the_board_shows_calls_counters_and_waiting_without_login(live, kiosk, login):
    for service in ("household", "household", "social_security"):
        kiosk.post("/api/v1/tickets", {"service": service})
    at_3 = login("0301", counters=("3",))
    at_1 = login("0101", counters=("1",))
    at_3.post("/api/v1/counters/3/call-next")
    at_1.post("/api/v1/counters/1/call-next")
    at_3.post("/api/v1/counters/3/recall")
    at_3.post("/api/v1/counters/3/recall")
    board = requests.get(f"{live.url}/api/v1/display", timeout=10).json()
    # A recall marks its number's line, which keeps its place under the later call.
    assert [(c["kind"], c["number"], c["counter"]) for c in board["calls"]] == [
        ("called", "A001", "1"), ("recalled", "C001", "3")]
    assert board["calls"][1]["event_id"] > board["calls"][0]["event_id"] > board["calls"][1]["first_event_id"]
    assert {c["id"]: c["number"] for c in board["counters"]}["3"] == "C001"
    waiting = {s["code"]: (s["waiting"], s["estimated_wait_minutes"]) for s in board["services"]}
    assert waiting["household"][0] == 1 and waiting["social_security"] == (0, 0)
    assert waiting["household"][1] > 0
    assert board["hall_name"]["zh_CN"] == "城关县政务服务中心" and board["announcement"] == "speech"


def test_the_public_stream_shows_no_device_staff_or_help_news(live, kiosk, login):
    stream = requests.get(f"{live.url}/api/v1/display/events", stream=True, timeout=10)
    lines = stream.iter_lines(decode_unicode=True)
    received = messages(lines)
    assert next(received).event == "ready"
    kiosk.post("/api/v1/tickets", {"service": "household", "priority": "green"})
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_out"})
    kiosk.post("/api/v1/help-calls", {"location": "东门"})
    login("0301", counters=("3",)).post("/api/v1/counters/3/call-next")
    seen = []
    for message in received:
        if message.event != "tick":
            seen.append(message)
        if message.event == "called":
            break
    stream.close()
    assert [m.event for m in seen] == ["issued", "called"]
    for message in seen:
        event = message.json()
        assert set(event["payload"]["ticket"]) == TICKET_FIELDS and event["ticket_id"] is None


def test_a_quiet_public_stream_ticks(live):
    stream = requests.get(f"{live.url}/api/v1/display/events", stream=True, timeout=10)
    received = messages(stream.iter_lines(decode_unicode=True))
    assert [next(received).event for _ in range(3)] == ["ready", "tick", "tick"]
    stream.close()


def test_the_audio_of_something_not_a_call_is_not_found(live, kiosk):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    for event_id in (1, 999999):
        answer = requests.get(f"{live.url}/api/v1/display/calls/{event_id}/audio", timeout=10)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert requests.get(f"{live.url}/api/v1/display/calls/abc/audio", timeout=10).status_code == 422


@pytest.fixture
def hall_with(tmp_path, db_url, clock):
    """hall_with(line, instead): a server on the sample hall with one line of it changed."""
    servers = []

    def start(line: str, instead: str) -> LiveServer:
        hall_file = tmp_path / "hall.toml"
        shutil.copy(SAMPLE_HALL, hall_file)
        text = hall_file.read_text(encoding="utf-8")
        assert line in text
        hall_file.write_text(text.replace(line, instead), encoding="utf-8")
        servers.append(LiveServer(ServerSettings(data_dir=tmp_path / "server", database=db_url, hall_file=hall_file),
                                  clock))
        return servers[-1]
    yield start
    for server in servers:
        server.stop()


def first_call_audio(server: LiveServer) -> tuple[dict, bytes]:
    """The board and the audio of its call, after C001 was called at counter 3."""
    server.hall.engine.issue_ticket("household")
    server.hall.engine.call_next("3")
    board = requests.get(f"{server.url}/api/v1/display", timeout=10).json()
    audio = requests.get(f"{server.url}/api/v1/display/calls/{board['calls'][0]['event_id']}/audio", timeout=30)
    return board, audio.content


@pytest.mark.own_server
def test_a_hall_that_chose_the_chime_gets_it_for_every_call(hall_with):
    chime_hall = hall_with('announcement = "speech"', 'announcement = "chime"')
    board, audio = first_call_audio(chime_hall)
    assert board["announcement"] == "chime"
    assert audio == requests.get(f"{chime_hall.url}/api/v1/display/chime", timeout=10).content


@pytest.mark.own_server
def test_a_hall_may_have_the_number_said_twice(hall_with):
    from hall.speech import spoken_call, synthesize

    _, audio = first_call_audio(hall_with("number_twice = false", "number_twice = true"))
    assert audio == synthesize(spoken_call("C001", "3", "zh_CN", number_twice=True), "zh_CN")
    once = synthesize(spoken_call("C001", "3", "zh_CN"), "zh_CN")
    assert len(audio) > len(once) * 1.3


def test_a_supervisor_sets_the_notice_line_and_every_display_gets_it(live, login):
    stream = requests.get(f"{live.url}/api/v1/display/events", stream=True, timeout=10)
    received = messages(stream.iter_lines(decode_unicode=True))
    assert next(received).event == "ready"
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    answer = supervisor.http.put(f"{live.url}/api/v1/display/notice", json={"text": "  今天下午3号窗口暂停办理 "},
                                 timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"] == "今天下午3号窗口暂停办理" and answer.json()["set_by"] == "9001"
    while (message := next(received)).event != "notice_set":
        pass
    assert message.json()["payload"] == {"notice": "今天下午3号窗口暂停办理"}
    stream.close()
    assert requests.get(f"{live.url}/api/v1/display", timeout=10).json()["notice"] == "今天下午3号窗口暂停办理"
    cleared = supervisor.http.put(f"{live.url}/api/v1/display/notice", json={"text": ""}, timeout=10)
    assert cleared.json()["text"] == ""
    assert requests.get(f"{live.url}/api/v1/display", timeout=10).json()["notice"] == ""


def test_only_a_supervisor_sets_the_notice_and_bad_text_is_refused(live, login):
    clerk = login("0301", counters=("3",))
    assert clerk.http.put(f"{live.url}/api/v1/display/notice", json={"text": "x"}, timeout=10).status_code == 403
    assert requests.put(f"{live.url}/api/v1/display/notice", json={"text": "x"}, timeout=10).status_code == 401
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    for bad in ({"text": "长" * 201}, {"text": "a\x00b"}, {"text": 5}, {}, {"text": "x", "more": 1}):
        answer = supervisor.http.put(f"{live.url}/api/v1/display/notice", json=bad, timeout=10)
        assert answer.status_code == 422, (bad, answer.text)
    assert requests.get(f"{live.url}/api/v1/display", timeout=10).json()["notice"] == ""
