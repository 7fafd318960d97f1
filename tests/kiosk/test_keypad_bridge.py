"""The keypad bridge with the real driver against simulated keypads on a real pty: a completed
ticket prompts its counter's keypad, a press rates it once, and nothing else ever does."""
from __future__ import annotations

import threading

import pytest

from devices import keypad_protocol as kp
from devices.keypad import KeypadStatus
from devices.urlhandler.protocol_simkeypad import SimulatedKeypadLine
from hall.configfile import ConfigError
from kiosk.keypad_bridge import KeypadBridge, NotRated, NotRatedReason, RatingSubmission, load_bridge_config
from tests.devices.keypad_lines import WAIT, Clock, PtyLine, wait_until


class Outcomes:
    def __init__(self) -> None:
        self.ratings: list[RatingSubmission] = []
        self.not_rated: list[NotRated] = []
        self.statuses: list[tuple[str, KeypadStatus]] = []
        self._changed = threading.Condition()

    def _add(self, into: list, item: object) -> None:
        with self._changed:
            into.append(item)
            self._changed.notify_all()

    def wait_for(self, what, description: str) -> None:
        with self._changed:
            if not self._changed.wait_for(what, timeout=WAIT):
                raise AssertionError(f"waited {WAIT} s for {description}")


def write_config(tmp_path, url: str, keypads: str = '[[keypad]]\naddress = 1\ncounter = "3"\n\n'
                                                     '[[keypad]]\naddress = 2\ncounter = "7"\n') -> str:
    path = tmp_path / "keypads.toml"
    path.write_text(f'[line]\nurl = "{url}"\nrating_timeout = 60\n\n{keypads}', encoding="utf-8")
    return path


class Hall:
    """A bridge on a pty line of simulated keypads 1 and 2 (counters 3 and 7)."""

    def __init__(self, tmp_path, **faults) -> None:
        self.keypad_clock, self.clock = Clock(), Clock()
        self.pty = PtyLine(SimulatedKeypadLine((1, 2), clock=self.keypad_clock, **faults))
        self.sim = self.pty.line
        self.outcomes = Outcomes()
        out = self.outcomes
        self.bridge = KeypadBridge(load_bridge_config(write_config(tmp_path, self.pty.url)),
                                   on_rating=lambda r: out._add(out.ratings, r),
                                   on_not_rated=lambda n: out._add(out.not_rated, n),
                                   on_keypad_status=lambda c, s, d: out._add(out.statuses, (c, s)),
                                   clock=self.clock).start()

    def prompted(self, address: int, number: str) -> None:
        keypad = self.sim[address]
        wait_until(lambda: keypad.state == kp.KeypadState.PROMPTING and keypad.display == number,
                   f"keypad {address} prompted with {number}")

    def close(self) -> None:
        self.bridge.close()
        self.pty.close()


@pytest.fixture
def hall(tmp_path):
    made: list[Hall] = []

    def make(**faults) -> Hall:
        made.append(Hall(tmp_path, **faults))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_the_configuration_maps_addresses_to_counters(tmp_path):
    config = load_bridge_config(write_config(tmp_path, "simkeypad://?keypads=1,2"))
    assert config.counters == {1: "3", 2: "7"}
    assert config.line.rating_timeout == 60


@pytest.mark.parametrize("url, keypads, words", [
    ("simkeypad://", '[[keypad]]\naddress = 1\ncounter = "3"\n\n[[keypad]]\naddress = 1\ncounter = "4"\n',
     ["each keypad needs its own address: 1 given twice"]),
    ("simkeypad://", '[[keypad]]\naddress = 1\ncounter = "3"\n\n[[keypad]]\naddress = 2\ncounter = "3"\n',
     ["each keypad needs its own counter: 3 given twice"]),
    ("simkeypad://", '[[keypad]]\naddress = 0\ncounter = "3"\n', ["line 6", "keypad[0].address", "greater than"]),
    ("simkeypad://", '[[keypad]]\naddress = 1\ncounter = "3号"\n', ["keypad[0].counter", "the counter's id"]),
    ("simkeypad://", '[[keypad]]\naddress = 1\ncountr = "3"\n', ["line 7", "unknown key 'countr'", "counter"]),
    ("ftp://x", '[[keypad]]\naddress = 1\ncounter = "3"\n', ["line 2", "line.url", "unknown rating keypad line URL"]),
    ("simkeypad://", "", ["keypad", "required"]),
])
def test_configuration_mistakes_name_line_key_and_what_to_fix(tmp_path, url, keypads, words):
    path = write_config(tmp_path, url, keypads)
    with pytest.raises(ConfigError) as caught:
        load_bridge_config(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message, (word, message)


def test_a_completed_ticket_prompts_its_counters_keypad_and_is_rated_once(hall):
    h = hall()
    h.bridge.completed("7", 41, "b012")
    h.prompted(2, "B012")
    assert h.sim.press(2, 1)
    h.outcomes.wait_for(lambda: h.outcomes.ratings, "the rating")
    assert h.outcomes.ratings == [RatingSubmission("7", 41, "b012", 5, "keypad")]
    assert h.outcomes.ratings[0].key == "keypad-rating-41"
    assert h.sim[1].state == kp.KeypadState.IDLE  # counter 3's keypad was never asked
    h.bridge.completed("99", 42, "C001")  # a counter without a keypad
    h.bridge.called("7", 43, "B013")
    wait_until(lambda: h.sim[2].display == "B013", "the number now served shown")
    assert h.outcomes.not_rated == [] and len(h.outcomes.ratings) == 1


def test_nobody_pressing_in_time_is_not_rated_and_the_keypad_goes_dark(hall):
    h = hall()
    h.bridge.completed("3", 51, "A001")
    h.prompted(1, "A001")
    h.clock.now += 60
    h.outcomes.wait_for(lambda: h.outcomes.not_rated, "the ticket not rated")
    assert h.outcomes.not_rated == [NotRated("3", 51, "A001", NotRatedReason.TIMEOUT)]
    wait_until(lambda: h.sim[1].state == kp.KeypadState.IDLE, "the keypad dark")
    assert not h.sim.press(1, 1)  # the keypad takes no press without a prompt
    assert h.outcomes.ratings == []


def test_the_next_call_ends_the_prompt_unrated_and_shows_the_new_number(hall):
    h = hall()
    h.bridge.completed("3", 61, "A001")
    h.prompted(1, "A001")
    h.bridge.called("3", 62, "A002")
    h.outcomes.wait_for(lambda: h.outcomes.not_rated, "the ticket not rated")
    assert h.outcomes.not_rated == [NotRated("3", 61, "A001", NotRatedReason.NEXT_CALL)]
    wait_until(lambda: h.sim[1].display == "A002", "the new number shown")
    assert h.sim[1].state == kp.KeypadState.IDLE


def test_a_late_press_never_rates_the_next_ticket(hall, caplog):
    h = hall()
    h.bridge.completed("3", 71, "A001")
    h.prompted(1, "A001")
    h.sim.silence(1)  # the line is disturbed while the citizen presses
    h.sim.press(1, 5)
    h.bridge.called("3", 72, "A002")
    h.bridge.completed("3", 72, "A002")
    h.sim.resume(1)
    h.prompted(1, "A002")
    wait_until(lambda: h.sim[1].settled, "the late press heard and acknowledged")
    h.keypad_clock.now += 3  # past the keypad's 2 s rule
    assert h.sim.press(1, 2)
    h.outcomes.wait_for(lambda: h.outcomes.ratings, "the rating of A002")
    assert h.outcomes.ratings == [RatingSubmission("3", 72, "A002", 4)]
    assert h.outcomes.not_rated == [NotRated("3", 71, "A001", NotRatedReason.NEXT_CALL)]
    assert "key 5 for transaction 1" in caplog.text


@pytest.mark.parametrize("fault", ["garbage", "split", "held", "double", "repeat"])
def test_a_fault_on_the_line_never_gives_a_second_rating(hall, fault):
    h = hall(fault=fault, fault_address=2, fault_times=1)
    h.bridge.completed("7", 81, "B001")
    h.prompted(2, "B001")
    assert h.sim.press(2, 3)
    h.outcomes.wait_for(lambda: h.outcomes.ratings, "the rating")
    wait_until(lambda: h.sim[2].settled, "every event of keypad 2 acknowledged")
    assert h.sim.struck == 1
    assert h.outcomes.ratings == [RatingSubmission("7", 81, "B001", 3)]


def test_a_keypad_that_stops_answering_is_told_by_its_counter(hall):
    h = hall()
    h.outcomes.wait_for(lambda: len(h.outcomes.statuses) == 2, "both keypads heard")
    h.sim.silence(2)
    h.outcomes.wait_for(lambda: ("7", KeypadStatus.OFFLINE) in h.outcomes.statuses, "keypad 2 offline")
    assert sorted(h.outcomes.statuses[:2]) == [("3", KeypadStatus.OK), ("7", KeypadStatus.OK)]
