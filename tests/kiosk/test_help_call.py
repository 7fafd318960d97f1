"""The call for staff (呼叫工作人员) through the ticket flow, on a kiosk whose hall server runs
in its own process: pressed, taken by a staff member through the console's API, the hall
unreachable, the visit ended; spoken when voice is on. An embedded hall has no one to call."""
from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import pytest

from hall.schemas import HelpCallPublic
from kiosk.config import load_settings
from kiosk.hall_client import HallUnavailable
from kiosk.help_call import HELP_POLL_MISSES, HELP_POLL_SECONDS, HelpCallWatch, HelpState
from kiosk.terminal import open_hall, open_printer, ticket_flow
from kiosk.ticket_states import State
from kiosk.voice import Speaker, VoiceGuide
from tests.conftest import write_kiosk_config
from tests.kiosk.conftest import make_flow
from tests.kiosk.test_voice import SINK
from tests.support.clocks import Ticks
from tests.support.waiting import until

CALLED = "已通知工作人员，请在此稍候。"
COMING = "工作人员正在赶来，请在此稍候。"
GO_TO_DESK = "无法呼叫工作人员，请到服务台寻求帮助。"


class Kiosk:
    """A kiosk configured for the hall server, its flow's jobs run inline, its idle clock moved by hand."""

    def __init__(self, server, folder, **flow_options):
        token = server.register("kiosk-01")
        server.start()
        settings = load_settings(write_kiosk_config(folder, extra_terminal=(
            f'hall = "{server.url}"\nhall_token = "{token}"\nlocation = "一楼东门"')))
        self.hall = open_hall(settings)
        self.printer = open_printer(settings)
        self.ticks = Ticks()
        flow_options.setdefault("guide", None)
        flow_options.setdefault("now", server.clock)  # the hall's hours on the hall's clock
        self.flow = ticket_flow(settings, self.hall, self.printer, monotonic=self.ticks, **flow_options)

    def poll(self) -> None:
        """A poll's worth of the clock's ticks."""
        self.ticks.t += HELP_POLL_SECONDS
        self.flow.tick()

    def close(self) -> None:
        self.printer.close()
        self.hall.close()


@pytest.fixture
def kiosk(hall_server, tmp_path):
    kiosk = Kiosk(hall_server, tmp_path / "kiosk")
    yield kiosk
    kiosk.close()


def test_three_presses_raise_one_call_and_staff_taking_it_is_told(kiosk, hall_server):
    flow = kiosk.flow
    assert flow.help_offered() and flow.texts.help_text() == ""
    flow.choose("household")
    for _ in range(3):
        flow.call_for_help()
    assert flow.help.state is HelpState.CALLED and flow.texts.help_text() == CALLED
    assert flow.state is State.CONFIRMING  # the citizen's step is left as it was
    # One request reached the server: the kiosk did not count on it to collapse the presses.
    assert hall_server.rows("select device_id, location, presses, taken_at from help_calls") == [
        ("kiosk-01", "一楼东门", 1, None)]

    kiosk.ticks.t += HELP_POLL_SECONDS / 2
    flow.tick()
    staff = hall_server.staff("0301")
    [call] = staff.get("/api/v1/help-calls").json()
    assert staff.post(f"/api/v1/help-calls/{call['id']}/take").status_code == 200
    assert flow.help.state is HelpState.CALLED  # not asked again before its time
    kiosk.poll()
    assert flow.help.state is HelpState.COMING and flow.texts.help_text() == COMING
    flow.set_language("en")
    assert flow.texts.help_text() == "A staff member is on the way. Please wait here."
    flow.set_language("zh_TW")
    assert flow.texts.help_text() == "工作人員正在趕來，請在此稍候。"

    flow.call_for_help()  # pressed again: told again, nothing sent
    assert flow.help.state is HelpState.COMING
    assert hall_server.rows("select count(*), sum(presses) from help_calls") == [(1, 1)]
    flow.confirm()
    assert flow.state is State.TICKET and flow.help.state is HelpState.COMING


def test_an_unreachable_hall_sends_the_citizen_to_the_desk_and_a_new_press_tries_again(kiosk, hall_server):
    flow = kiosk.flow
    hall_server.kill()
    flow.call_for_help()  # answered when the hall refuses the connection (test_remote_faults.py: at one deadline)
    assert flow.help.state is HelpState.UNAVAILABLE and flow.texts.help_text() == GO_TO_DESK
    flow.set_language("en")
    assert flow.texts.help_text() == "Staff cannot be called. Please go to the service desk."

    hall_server.start()
    flow.call_for_help()
    assert flow.help.state is HelpState.CALLED
    assert hall_server.rows("select count(*) from help_calls") == [(1,)]


def test_a_hall_that_stops_answering_while_staff_are_awaited_sends_the_citizen_to_the_desk(kiosk, hall_server):
    flow = kiosk.flow
    flow.call_for_help()
    assert flow.help.state is HelpState.CALLED
    hall_server.kill()
    for _ in range(HELP_POLL_MISSES - 1):
        kiosk.poll()
        assert flow.help.state is HelpState.CALLED  # a lost answer or two is no news
    kiosk.poll()
    assert flow.help.state is HelpState.UNAVAILABLE and flow.texts.help_text() == GO_TO_DESK


def test_the_call_ends_with_the_visit_and_the_next_citizen_is_not_told_of_it(kiosk, hall_server):
    flow = kiosk.flow
    flow.call_for_help()
    kiosk.ticks.t += flow.visit.idle_seconds
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.help.state is HelpState.NONE and flow.texts.help_text() == ""
    staff = hall_server.staff("0301")
    [call] = staff.get("/api/v1/help-calls").json()  # the alert stays on the consoles until taken
    staff.post(f"/api/v1/help-calls/{call['id']}/take")
    kiosk.poll()
    assert flow.help.state is HelpState.NONE

    flow.call_for_help()  # a new citizen's call is a new alert: the last one was taken
    assert flow.help.state is HelpState.CALLED and flow.help.call.id != call["id"]
    assert staff.get("/api/v1/help-calls").json()[0]["id"] == flow.help.call.id


class HeldRunner:
    """Keeps each job until the test lets it run, as a slow hall would."""

    def __init__(self):
        self.jobs = []

    def submit(self, work, done, failed) -> None:
        self.jobs.append((work, done, failed))

    def run(self) -> None:
        while self.jobs:
            work, done, failed = self.jobs.pop(0)
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - handed to the flow, as the real runners do
                failed(exc)
            else:
                done(result)


def test_a_request_still_out_when_the_visit_ends_holds_back_the_next_citizens_until_answered(hall_server, tmp_path):
    runner = HeldRunner()
    kiosk = Kiosk(hall_server, tmp_path / "kiosk", runner=runner)
    try:
        flow = kiosk.flow
        flow.call_for_help()
        assert flow.help.state is HelpState.CALLING and len(runner.jobs) == 1
        kiosk.ticks.t += flow.visit.idle_seconds
        flow.tick()  # the visit ends with its request still out (and the home screen loads its queues)
        flow.call_for_help()
        flow.call_for_help()
        assert flow.help.state is HelpState.CALLING and len(runner.jobs) == 2  # no second help request yet
        runner.run()
        assert flow.help.state is HelpState.CALLED and flow.texts.help_text() == CALLED
        assert hall_server.rows("select count(*), sum(presses) from help_calls") == [(1, 2)]
    finally:
        kiosk.close()


def test_the_call_is_spoken_when_voice_is_on(hall_server, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    sound = tmp_path / "sound"
    sound.mkdir()
    speaker = Speaker(player=(sys.executable, str(SINK), str(sound)))
    kiosk = Kiosk(hall_server, tmp_path / "kiosk", guide=VoiceGuide(speaker))
    try:
        flow = kiosk.flow
        flow.toggle_voice()
        flow.set_language("en")
        flow.call_for_help()
        until(lambda: "saying (en): Staff have been called. Please wait here." in caplog.messages)
        kiosk.poll()  # nothing new: nothing said
        staff = hall_server.staff("0301")
        staff.post(f"/api/v1/help-calls/{flow.help.call.id}/take")
        kiosk.poll()
        until(lambda: "saying (en): A staff member is on the way. Please wait here." in caplog.messages)
        said = [m for m in caplog.messages if m.startswith("saying")]
        assert said[-2:] == ["saying (en): Staff have been called. Please wait here.",
                             "saying (en): A staff member is on the way. Please wait here."]
    finally:
        kiosk.close()
        speaker.close()


def test_an_embedded_hall_offers_no_call_for_help(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    assert not flow.help_offered()
    flow.call_for_help()  # a press that no screen can make changes nothing
    assert flow.help.state is HelpState.NONE and flow.state is State.IDLE


# The call as any flow holds it (kiosk.help_call), without a hall: what each answer does.

def a_call(taken: bool = False) -> HelpCallPublic:
    raised = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    return HelpCallPublic(id=7, device_id="k1", location="一楼东门", raised_at=raised, presses=1,
                          taken_at=raised if taken else None, taken_by="0301" if taken else None)


def test_a_call_is_raised_once_then_asked_after_until_taken():
    ticks = Ticks()
    help = HelpCallWatch(ticks)
    assert help.press(0)  # send
    assert not help.press(0) and help.state is HelpState.CALLING  # pressed again: nothing more sent
    assert not help.raised(0, a_call()) and help.state is HelpState.CALLED
    assert not help.poll_due()
    ticks.t += HELP_POLL_SECONDS
    assert help.poll_due()
    help.polling(0)
    assert not help.poll_due()  # one request out at a time
    assert not help.polled(0, a_call(taken=True)) and help.state is HelpState.COMING
    assert help.call.taken_by == "0301"


def test_an_answer_for_an_ended_visit_lets_the_next_visits_call_go():
    help = HelpCallWatch(Ticks())
    assert help.press(0)
    help.reset()  # the visit ended with its request out
    assert not help.press(1) and help.state is HelpState.CALLING  # held back until the answer
    assert help.raised(1, a_call())  # the old visit's answer: now send the new visit's
    assert help.state is HelpState.CALLING and help.call is None
    assert not help.raised(1, a_call(taken=True)) and help.state is HelpState.COMING


def test_unanswered_polls_send_the_citizen_to_the_desk():
    ticks = Ticks()
    help = HelpCallWatch(ticks)
    help.press(0)
    help.raised(0, a_call())
    for miss in range(HELP_POLL_MISSES):
        assert help.state is HelpState.CALLED, miss
        ticks.t += HELP_POLL_SECONDS
        assert help.poll_due()
        help.polling(0)
        assert not help.poll_failed(0, HallUnavailable("no answer"))
    assert help.state is HelpState.UNAVAILABLE
    assert help.press(0) and help.state is HelpState.CALLING  # a press tries again
