"""The keypad line driver against simulated keypads over a real pty and simkeypad://, with every fault."""
from __future__ import annotations

import logging
import os

import pytest

from devices import keypad_protocol as kp
from devices.errors import BadDeviceUrl, KeypadUnavailable
from devices.keypad import KeypadLine, KeypadStatus, KeyPressed, open_keypad_line
from tests.devices.keypad_lines import Line, Recorder, wait_until

TRANSPORTS = ["pty", "sim"]


@pytest.fixture
def line():
    made: list[Line] = []

    def make(transport: str, addresses: tuple[int, ...] = (1, 2, 3), **faults) -> Line:
        made.append(Line(transport, addresses, **faults))
        return made[-1]

    yield make
    for each in made:
        each.close()


def warnings(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "devices.keypad" and r.levelno >= logging.WARNING and words in r.getMessage()]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_rating_from_each_keypad_for_its_own_prompt(line, transport, caplog):
    keypads = line(transport)
    first = keypads.rate(1, 1, "A001")
    third = keypads.rate(3, 4, "B017")
    keypads.recorder.wait_for(lambda: len(keypads.recorder.keys) == 2, "two ratings")
    assert sorted(keypads.recorder.keys, key=lambda k: k.address) == [KeyPressed(1, first, 5), KeyPressed(3, third, 2)]
    assert keypads.sim[3].display == "B017"
    assert {address for address, status in keypads.recorder.statuses if status is KeypadStatus.OK} == {1, 2, 3}
    wait_until(lambda: keypads.sim[1].settled and keypads.sim[3].settled, "both presses acknowledged")
    assert not warnings(caplog, "")


# Each fault: its one log line, and one rating. The marker that the fault has played out is
# the simulated keypad with nothing left to report (every event acknowledged).
FAULTS = [
    ("garbage", "noise around the poll of keypad 1: 5 bytes skipped; bad CRC in a 8-byte frame"),
    ("split", "the reply of keypad 1 to its poll was cut short after 6 of 12 bytes"),
    ("held", "key 2 held down; its repeats are ignored, the first press counts"),
    ("double", "pressed again for transaction 1 within 2 s; the first press counts"),
    ("repeat", "reported key event 1 again (its acknowledgement was lost): acknowledged again, not counted"),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("fault, logged", FAULTS, ids=[f for f, _ in FAULTS])
def test_each_fault_gives_one_log_line_and_never_a_second_rating(line, transport, fault, logged, caplog):
    keypads = line(transport, (1, 2), fault=fault, fault_address=1, fault_times=1)
    transaction = keypads.rate(1, 2)
    keypads.recorder.wait_for(lambda: keypads.recorder.keys, "the rating")
    wait_until(lambda: keypads.sim[1].settled, "every event of keypad 1 acknowledged")
    assert keypads.sim.struck == 1
    assert keypads.recorder.keys == [KeyPressed(1, transaction, 4)]
    assert len(warnings(caplog, logged)) == 1, caplog.text
    assert len(warnings(caplog, "")) == 1, caplog.text


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_keypad_that_stops_answering_is_offline_once_then_ok_and_rates_once(line, transport, caplog):
    keypads = line(transport, (1, 2))
    keypads.recorder.wait_for(lambda: len(keypads.recorder.statuses) == 2, "both keypads heard")
    keypads.sim.silence(2)
    keypads.recorder.wait_for(lambda: (2, KeypadStatus.OFFLINE) in keypads.recorder.statuses, "keypad 2 offline")
    first = keypads.rate(1, 3)  # the others are polled meanwhile
    keypads.recorder.wait_for(lambda: keypads.recorder.keys, "keypad 1's rating")
    keypads.sim.resume(2)
    keypads.recorder.wait_for(lambda: keypads.recorder.statuses[-1] == (2, KeypadStatus.OK), "keypad 2 back")
    second = keypads.rate(2, 5)
    keypads.recorder.wait_for(lambda: len(keypads.recorder.keys) == 2, "keypad 2's rating")
    assert keypads.recorder.keys == [KeyPressed(1, first, 3), KeyPressed(2, second, 1)]
    assert keypads.recorder.statuses == [(1, KeypadStatus.OK), (2, KeypadStatus.OK), (2, KeypadStatus.OFFLINE),
                                         (2, KeypadStatus.OK)]
    assert warnings(caplog, "") == [f"rating keypad 2 on {keypads.driver.url} is offline: no reply to 3 requests "
                                    "in a row; is it connected, at address 2?"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_late_press_for_an_earlier_prompt_is_never_applied_to_the_next(line, transport, caplog):
    keypads = line(transport, (1,))
    keypads.recorder.wait_for(lambda: keypads.recorder.statuses, "keypad 1 heard")
    earlier = keypads.driver.prompt(1, "A001", 60)
    wait_until(lambda: keypads.sim[1].transaction == earlier, "the first prompt shown")
    keypads.sim.silence(1)  # the press waits in the keypad while the line is disturbed
    keypads.sim.press(1, 1)
    later = keypads.driver.prompt(1, "A002", 60)  # the counter called the next ticket
    keypads.sim.resume(1)
    wait_until(lambda: keypads.sim[1].transaction == later and keypads.sim[1].settled, "the late press heard")
    assert len(warnings(caplog, f"key 1 for transaction {earlier}, but transaction {later} is prompted; ignored")) == 1
    assert keypads.recorder.keys == []
    assert keypads.sim[1].state == kp.KeypadState.PROMPTING  # the later prompt still waits for its press


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_commands_reach_the_keypad(line, transport):
    keypads = line(transport, (1, 2))
    keypads.driver.show(2, "A003")
    keypads.driver.light(2, [1, 5])
    keypads.driver.beep(2, 3, 200)
    wait_until(lambda: keypads.sim[2].beeps == 3, "the beeps")
    assert (keypads.sim[2].display, keypads.sim[2].lit) == ("A003", {1, 5})
    keypads.driver.idle(2)
    wait_until(lambda: isinstance(keypads.sim[2].requests[-1], kp.Idle), "the idle command")
    assert (keypads.sim[2].display, keypads.sim[2].lit) == ("", frozenset())
    assert [type(r) for r in keypads.sim[2].requests if not isinstance(r, kp.Poll)] == [
        kp.Show, kp.Light, kp.Beep, kp.Idle]


def test_bad_commands_fail_the_caller_not_the_line(line):
    keypads = line("sim", (1,))
    with pytest.raises(ValueError, match="does not fit the keypad's display"):
        keypads.driver.prompt(1, "a001", 60)
    with pytest.raises(ValueError, match="no keypad at address 4"):
        keypads.driver.beep(4)
    assert keypads.rate(1, 1) == 2  # the refused prompt took transaction 1; the line goes on


def test_on_loop_back_nobody_answers_and_the_echo_is_not_noise(caplog):
    recorder = Recorder()
    with open_keypad_line("loop://", [1, 2], on_key=recorder.on_key, on_status=recorder.on_status) as keypads:
        recorder.wait_for(lambda: len(recorder.statuses) == 2, "both keypads offline")
    assert recorder.statuses == [(1, KeypadStatus.OFFLINE), (2, KeypadStatus.OFFLINE)]
    assert not warnings(caplog, "noise")
    assert keypads.port is None


def test_a_line_unplugged_puts_every_keypad_offline_and_comes_back(caplog):
    recorder = Recorder()
    with KeypadLine("simkeypad://?keypads=1,2&rate=1:2", [1, 2], on_key=recorder.on_key,
                    on_status=recorder.on_status, reopen_after=0.1) as keypads:
        keypads.open()
        keypads.start()
        recorder.wait_for(lambda: len(recorder.statuses) == 2, "both keypads heard")
        keypads.port.unplug()
        recorder.wait_for(lambda: len(recorder.statuses) == 6, "both offline, then both back")
        transaction = keypads.prompt(1, "A001", 60)  # the reopened line's keypad rates by itself
        recorder.wait_for(lambda: recorder.keys, "the rating")
    assert recorder.statuses[2:] == [(1, KeypadStatus.OFFLINE), (2, KeypadStatus.OFFLINE),
                                     (1, KeypadStatus.OK), (2, KeypadStatus.OK)]
    assert recorder.keys == [KeyPressed(1, transaction, 4)]
    assert "rating keypad line simkeypad://?keypads=1,2&rate=1:2 failed" in caplog.text


@pytest.mark.parametrize("url, error, words", [
    ("ftp://x", BadDeviceUrl, "unknown rating keypad line URL 'ftp://x'"),
    ("serial://", BadDeviceUrl, "no port named"),
    ("simkeypad://?fault=fire", BadDeviceUrl, "fault must be one of"),
    ("serial:///dev/no-such-keypad-line", KeypadUnavailable,
     "cannot open the rating keypad line serial:///dev/no-such-keypad-line"),
])
def test_lines_that_cannot_be_opened_say_why(url, error, words):
    with pytest.raises(error, match=words):
        open_keypad_line(url, [1], on_key=lambda pressed: None)


@pytest.mark.parametrize("addresses, words", [([], "at least one"), ([0], "address 0 is outside 1..247")])
def test_addresses_are_checked(addresses, words):
    with pytest.raises(ValueError, match=words):
        KeypadLine("loop://", addresses, on_key=lambda pressed: None)


@pytest.mark.skipif(not os.environ.get("HALL_KEYPAD_URL"), reason="set HALL_KEYPAD_URL and press key 1 on keypad 1")
def test_a_real_line():
    recorder = Recorder()
    with open_keypad_line(os.environ["HALL_KEYPAD_URL"], [1], on_key=recorder.on_key) as keypads:
        transaction = keypads.prompt(1, "A001", 30)
        recorder.wait_for(lambda: recorder.keys, "a press on keypad 1")
    assert recorder.keys[0].transaction == transaction
