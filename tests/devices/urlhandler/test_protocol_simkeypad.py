"""The simulated keypads as pyserial sees them: the real bytes, the keypad's rules, faults and URL options."""
from __future__ import annotations

import pytest
import serial

import devices.keypad  # noqa: F401  (registers devices.urlhandler with pyserial)
from devices import keypad_protocol as kp
from devices.errors import BadDeviceUrl
from devices.urlhandler.protocol_simkeypad import GARBAGE, SimulatedKeypadLine


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ask(port, address: int, seq: int, request: kp.Request) -> kp.Reply | None:
    """One exchange in the real bytes: the reply decoded, or None when no keypad answered."""
    port.write(kp.encode_request(address, seq, request))
    framer = kp.KeypadFramer()
    framer.data_received(port.read(64))
    if not framer.events:
        return None
    [frame] = framer.events
    assert (frame.address, frame.seq) == (address, seq)
    return kp.decode_reply(frame)


def idle(transaction: int = 0, state=kp.KeypadState.IDLE, keys=frozenset()) -> kp.Status:
    return kp.Status(state, transaction, frozenset(keys))


@pytest.fixture
def port():
    port = serial.serial_for_url("simkeypad://?keypads=1,2", timeout=0.05)
    yield port
    port.close()


def test_a_poll_in_the_documented_bytes(port):
    port.write(bytes.fromhex("A5 01 01 01 00 39 B5"))
    assert port.read(64) == bytes.fromhex("A5 01 01 80 04 00 00 00 00 F2 AB")


def test_only_the_addressed_keypad_answers(port):
    assert ask(port, 2, 1, kp.Poll()) == idle()
    assert ask(port, 3, 1, kp.Poll()) is None  # nobody at address 3
    port.write(kp.encode_request(1, 1, kp.Poll())[:-1] + b"\x00")  # a bad CRC: silence
    assert port.read(64) == b""


def test_a_prompt_a_press_reported_until_acknowledged(port):
    keypad = port.line[1]
    assert ask(port, 1, 1, kp.Prompt(7, "A001", 60)) == idle(7, kp.KeypadState.PROMPTING)
    assert (keypad.display, keypad.lit, keypad.beeps) == ("A001", frozenset(kp.KEYS), 1)
    assert port.line.press(1, 2)
    event = kp.KeyEvent(1, 7, 2, frozenset())
    assert ask(port, 1, 2, kp.Poll()) == event
    assert ask(port, 1, 3, kp.Poll()) == event  # the same event, the same number, until acknowledged
    assert ask(port, 1, 4, kp.Ack(1)) == idle(7, kp.KeypadState.RATED)
    assert keypad.lit == {2}
    assert ask(port, 1, 5, kp.Idle()) == idle()


def test_a_request_sent_again_is_answered_again_and_not_acted_on_twice(port):
    assert ask(port, 1, 9, kp.Beep(2, 100)) == idle()
    assert ask(port, 1, 9, kp.Beep(2, 100)) == idle()
    assert port.line[1].beeps == 2  # two beeps once, not four
    assert ask(port, 1, 10, kp.Beep(2, 100)) == idle()
    assert port.line[1].beeps == 4


def test_one_press_per_prompt_a_held_key_once_and_nothing_without_a_prompt():
    clock = Clock()
    line = SimulatedKeypadLine([1], clock=clock)
    keypad = line[1]
    assert not line.press(1, 3)  # no prompt
    keypad.answer(kp.Frame(1, 1, kp.PROMPT, kp.Prompt(1, "A001", 0).data()))
    assert keypad.press(3, hold=True)
    assert keypad.keys_down == {3}
    assert not keypad.press(4)  # the prompt took its press
    clock.now += 5
    keypad.answer(kp.Frame(1, 2, kp.PROMPT, kp.Prompt(2, "A002", 0).data()))
    assert [e.key for e in keypad.events] == [3]
    assert keypad.events[0].keys_down == {3}


def test_a_second_press_within_2_s_is_ignored_even_for_a_new_prompt():
    clock = Clock()
    keypad = SimulatedKeypadLine([1], clock=clock)[1]
    keypad.answer(kp.Frame(1, 1, kp.PROMPT, kp.Prompt(1, "A001", 0).data()))
    assert keypad.press(1)
    clock.now += 1.5
    keypad.answer(kp.Frame(1, 2, kp.PROMPT, kp.Prompt(2, "A002", 0).data()))
    assert not keypad.press(1)
    clock.now += 1
    assert keypad.press(1)
    assert [e.transaction for e in keypad.events] == [1, 2]


def test_a_prompt_ends_by_itself_after_its_timeout():
    clock = Clock()
    keypad = SimulatedKeypadLine([1], clock=clock)[1]
    keypad.answer(kp.Frame(1, 1, kp.PROMPT, kp.Prompt(1, "A001", 30).data()))
    clock.now += 30
    assert not keypad.press(1)
    assert (keypad.state, keypad.display) == (kp.KeypadState.IDLE, "")


def test_bad_requests_are_refused_with_the_reason(port):
    port.write(kp.encode_frame(kp.Frame(1, 1, 0x7E)))
    assert port.read(64) == kp.encode_reply(1, 1, kp.Refused(kp.RefusedReason.UNKNOWN_COMMAND))
    port.write(kp.encode_frame(kp.Frame(1, 2, kp.BEEP, b"\x00\x00")))
    assert port.read(64) == kp.encode_reply(1, 2, kp.Refused(kp.RefusedReason.BAD_DATA))


def prompted_press(port, url_line_address: int = 1) -> None:
    ask(port, url_line_address, 1, kp.Prompt(1, "A001", 60))
    port.line.press(url_line_address, 1)


def test_garbage_before_a_reply_reporting_a_press():
    port = serial.serial_for_url("simkeypad://?fault=garbage&fault_times=1", timeout=0.05)
    prompted_press(port)
    port.write(kp.encode_request(1, 2, kp.Poll()))
    assert port.read(64) == GARBAGE + kp.encode_reply(1, 2, kp.KeyEvent(1, 1, 1, frozenset()))
    assert port.line.struck == 1


def test_a_split_reply_sends_its_rest_before_the_next():
    port = serial.serial_for_url("simkeypad://?fault=split&fault_times=1", timeout=0.05)
    prompted_press(port)
    first = kp.encode_reply(1, 2, kp.KeyEvent(1, 1, 1, frozenset()))
    port.write(kp.encode_request(1, 2, kp.Poll()))
    assert port.read(64) == first[:6]
    port.write(kp.encode_request(1, 3, kp.Poll()))
    assert port.read(64) == first[6:] + kp.encode_reply(1, 3, kp.KeyEvent(1, 1, 1, frozenset()))


def test_a_silent_keypad_answers_again_after_its_fault_times():
    port = serial.serial_for_url("simkeypad://?keypads=1,2&fault=silent&fault_address=2&fault_times=2",
                                 timeout=0.05)
    assert [ask(port, 2, s, kp.Poll()) for s in (1, 2, 3)] == [None, None, idle()]
    assert ask(port, 1, 1, kp.Poll()) == idle()


def test_held_double_and_repeat_faults():
    port = serial.serial_for_url("simkeypad://?fault=held", timeout=0.05)
    prompted_press(port)
    events = []
    for seq in range(2, 10):
        reply = ask(port, 1, seq, kp.Poll())
        if isinstance(reply, kp.KeyEvent):
            events.append(reply)
            ask(port, 1, seq + 100, kp.Ack(reply.event))
    assert [(e.event, e.transaction, e.key, e.keys_down) for e in events] == [
        (1, 1, 1, {1}), (2, 1, 1, {1}), (3, 1, 1, {1}), (4, 1, 1, {1})]
    assert port.line[1].settled and not port.line[1].keys_down

    port = serial.serial_for_url("simkeypad://?fault=double", timeout=0.05)
    prompted_press(port)
    assert [e.event for e in port.line[1].events] == [1, 2]

    port = serial.serial_for_url("simkeypad://?fault=repeat", timeout=0.05)
    prompted_press(port)
    assert ask(port, 1, 2, kp.Ack(1)) is None  # lost
    assert ask(port, 1, 3, kp.Poll()) == kp.KeyEvent(1, 1, 1, frozenset())
    assert ask(port, 1, 4, kp.Ack(1)) == idle(1, kp.KeypadState.RATED)


def test_a_citizen_who_always_rates():
    port = serial.serial_for_url("simkeypad://?keypads=1,2&rate=2:5", timeout=0.05)
    ask(port, 2, 1, kp.Prompt(3, "B002", 60))
    assert ask(port, 2, 2, kp.Poll()) == kp.KeyEvent(1, 3, 5, frozenset())


@pytest.mark.parametrize("url, words", [
    ("simkeypad://?colour=red", "unknown option: 'colour'"),
    ("simkeypad://?keypads=0", "address 0 is outside 1..247"),
    ("simkeypad://?keypads=1&rate=2:1", "no keypad at address 2"),
    ("simkeypad://?rate=1:6", "the key is one of 1..5"),
    ("simkeypad://?fault=fire", "fault must be one of garbage|split|silent|held|double|repeat"),
    ("simkeypad://?fault_times=-1", "fault_times must be 0 or more"),
    ("simkeypad://?keypads=1&keypads=2", "option 'keypads' given 2 times"),
    ("simkeypad://host", "expected a URL of the form"),
])
def test_bad_urls_name_what_to_fix(url, words):
    with pytest.raises(BadDeviceUrl, match=words) as caught:
        serial.serial_for_url(url)
    assert "simkeypad://[?keypads=1,2,3]" in str(caught.value)
