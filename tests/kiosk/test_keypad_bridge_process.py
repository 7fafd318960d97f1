"""The keypad bridge as it runs (python main.py keypad-bridge), in its own process: against a
real hall server on 127.0.0.1 and simulated keypads on a real pty, a staff member's
completion prompts the counter's keypad and a press gives exactly one rating, whatever the
line, the server or a kill -9 does."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from devices import keypad_protocol as kp
from devices.keypad import DOUBLE_PRESS_WINDOW
from devices.urlhandler.protocol_simkeypad import SimulatedKeypadLine
from hall.schemas import DeviceKind
from kiosk.outbox import Outbox
from kiosk.remote import OUTBOX_FILE
from tests.conftest import ROOT
from tests.devices.keypad_lines import Clock, PtyLine
from tests.hall.api.conftest import Api
from tests.support.waiting import until

COUNTER = "3"      # the sample hall's counter for household matters
ADDRESS = 1
SATISFIED = 2      # the key of 满意, level 4


class Bridge:
    """`python main.py keypad-bridge` on its own file, its log kept for a test to read."""

    def __init__(self, folder: Path, server, token: str, line_url: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.data_dir = folder / "data"
        self.config = folder / "keypads.toml"
        self.config.write_text(f'[bridge]\nid = "keypads-1"\nhall = "{server.url}"\nhall_token = "{token}"\n'
                               f'data_dir = "{self.data_dir}"\n\n[line]\nurl = "{line_url}"\n\n'
                               f'[[keypad]]\naddress = {ADDRESS}\ncounter = "{COUNTER}"\n', encoding="utf-8")
        self.log = folder / "bridge.log"
        self.process: subprocess.Popen | None = None
        self._runs = 0

    def start(self) -> Bridge:
        """Started, with its line open and the hall's events streaming to it."""
        self._runs += 1
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "main.py", "keypad-bridge", "--config", str(self.config)],
                                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        until(lambda: self.text().count("live events from") >= self._runs or self.process.poll() is not None,
              seconds=60, what=lambda: f"the bridge streaming the hall's events:\n{self.text()[-3000:]}")
        assert self.process.poll() is None, self.text()
        return self

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def outbox(self) -> tuple[int, list]:
        """What waits in the bridge's outbox, and what the hall refused."""
        box = Outbox(self.data_dir / OUTBOX_FILE)
        try:
            return len(box), box.set_aside()
        finally:
            box.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(sig)
        return process.wait(timeout=30)


class Counter:
    """The hall around one keypad: a kiosk issuing, a staff member at counter 3."""

    def __init__(self, server, tmp_path: Path, **faults) -> None:
        self.server = server
        kiosk = server.register("kiosk-01")
        bridge = server.register("keypads-1", DeviceKind.KEYPAD_BRIDGE, counters=(COUNTER,))
        server.start()
        self.kiosk = Api(server.url, kiosk)
        self.staff = server.staff("s01", counters=(COUNTER,))
        self.keypad_clock = Clock()
        self.pty = PtyLine(SimulatedKeypadLine((ADDRESS,), clock=self.keypad_clock, **faults))
        self.keypad = self.pty.line[ADDRESS]
        self.bridge = Bridge(tmp_path / "bridge", server, bridge, self.pty.url)

    def serve(self) -> dict:
        """A ticket issued, called and completed at the counter, through the API; the ticket."""
        answer = self.kiosk.post("/api/v1/tickets", {"service": "household"}, key=f"t-{uuid.uuid4().hex}")
        assert answer.status_code == 201, answer.text
        for step in ("call-next", "complete"):
            answer = self.staff.post(f"/api/v1/counters/{COUNTER}/{step}", key=f"{step}-{uuid.uuid4().hex}")
            assert answer.status_code == 200, answer.text
        return answer.json()

    def prompted(self, ticket: dict) -> None:
        until(lambda: self.keypad.state == kp.KeypadState.PROMPTING and self.keypad.display == ticket["number"],
              what=lambda: f"the keypad prompted with {ticket['number']}; bridge log:\n{self.bridge.text()[-3000:]}")

    def press(self, key: int) -> bool:
        return self.pty.line.press(ADDRESS, key)

    def ratings(self) -> list[tuple]:
        return self.server.rows("select ticket_id, level, channel from ratings order by id")

    def close(self) -> None:
        self.bridge.stop()
        self.pty.close()


@pytest.fixture
def counter_on(tmp_path):
    made: list[Counter] = []

    def make(server, **faults) -> Counter:
        made.append(Counter(server, tmp_path, **faults))
        return made[-1]
    yield make
    for counter in made:
        counter.close()


def test_a_completed_ticket_prompts_the_keypad_and_a_press_gives_one_rating(any_hall_server, counter_on):
    c = counter_on(any_hall_server)
    c.bridge.start()
    ticket = c.serve()
    c.prompted(ticket)
    assert c.press(SATISFIED)
    until(lambda: c.ratings(), what="the rating at the hall")
    pressed = time.monotonic()  # after the bridge took the key, from which its double-tap window runs
    until(lambda: c.bridge.outbox() == (0, []), what="the bridge's outbox emptied")
    assert c.ratings() == [(ticket["id"], 4, "keypad")]
    # The next ticket prompts anew, and its rating is its own; a citizen's press, not a
    # double tap of the first one, which the keypad and the bridge each take for one.
    second = c.serve()
    c.prompted(second)
    c.keypad_clock.now += DOUBLE_PRESS_WINDOW + 1
    until(lambda: time.monotonic() > pressed + DOUBLE_PRESS_WINDOW, what="the double-tap window past")
    assert c.press(1)
    until(lambda: len(c.ratings()) == 2, what="the second rating")
    assert c.ratings() == [(ticket["id"], 4, "keypad"), (second["id"], 5, "keypad")]
    assert c.bridge.stop() == 0


def test_the_keypads_health_reaches_the_hall_as_a_part_of_the_bridge(hall_server, counter_on):
    c = counter_on(hall_server)
    c.bridge.start()
    until(lambda: hall_server.rows("select device_id, kind, status from device_status"),
          what="the keypad's report")
    assert hall_server.rows("select device_id, kind, status from device_status") == [
        (f"keypads-1/counter-{COUNTER}", "rating_keypad", "ok")]
    c.pty.line.silence(ADDRESS)
    until(lambda: hall_server.rows("select status from device_status") == [("offline",)],
          what="the keypad reported offline")


@pytest.mark.parametrize(("fault", "logged"), [("garbage", "bytes skipped"), ("split", "was cut short")])
def test_garbage_and_split_frames_on_the_line_give_a_log_line_and_no_second_rating(hall_server, counter_on,
                                                                                    fault, logged):
    c = counter_on(hall_server, fault=fault, fault_times=1)
    c.bridge.start()
    ticket = c.serve()
    c.prompted(ticket)
    assert c.press(SATISFIED)
    until(lambda: c.ratings(), what="the rating at the hall")
    until(lambda: c.keypad.settled and c.bridge.outbox() == (0, []), what="the press acknowledged and delivered")
    assert logged in c.bridge.text()
    assert c.ratings() == [(ticket["id"], 4, "keypad")]


def pressed_with_the_server_down(c: Counter) -> dict:
    """A ticket completed and its keypad prompted, then the server killed and the key pressed."""
    c.bridge.start()
    ticket = c.serve()
    c.prompted(ticket)
    c.server.kill(signal.SIGKILL)
    assert c.press(SATISFIED)
    return ticket


def test_a_press_while_the_server_is_down_waits_in_the_outbox_and_arrives_once(hall_server, counter_on):
    c = counter_on(hall_server)
    ticket = pressed_with_the_server_down(c)
    until(lambda: f"rating keypad-rating-{ticket['id']} kept for later" in c.bridge.text(),
          what=lambda: f"the rating kept for later:\n{c.bridge.text()[-3000:]}")
    assert c.bridge.outbox() == (1, [])
    hall_server.start()
    until(lambda: c.ratings(), seconds=60, what="the rating delivered once the server was back")
    until(lambda: c.bridge.outbox() == (0, []), what="the bridge's outbox emptied")
    assert c.ratings() == [(ticket["id"], 4, "keypad")]


def test_a_bridge_killed_right_after_the_press_delivers_the_rating_once_after_its_restart(hall_server, counter_on):
    """The server is down at the press, so the rating can only be in the bridge's outbox
    when the kill -9 comes; the restarted bridge sends it, and a resend of a rating the hall
    already took is that same rating (its key), never a refusal or a second one."""
    c = counter_on(hall_server)
    ticket = pressed_with_the_server_down(c)
    until(lambda: c.bridge.outbox() == (1, []), what="the rating in the bridge's outbox")
    assert c.bridge.stop(signal.SIGKILL) == -signal.SIGKILL
    hall_server.start()
    c.bridge.start()
    until(lambda: c.ratings(), seconds=60, what="the rating delivered by the restarted bridge")
    until(lambda: c.bridge.outbox() == (0, []), what="the bridge's outbox emptied")
    assert c.ratings() == [(ticket["id"], 4, "keypad")]


def test_a_rating_the_hall_refuses_is_logged_and_set_aside_not_sent_again(hall_server, file_clock, counter_on):
    """The hall's prompt ended (its window passed) while the keypad still asked: the press
    is refused for good, said in the log, kept for a technician and not retried."""
    c = counter_on(hall_server)
    c.bridge.start()
    ticket = c.serve()
    c.prompted(ticket)
    file_clock.now = file_clock.now + timedelta(seconds=61)
    assert c.press(SATISFIED)
    until(lambda: c.bridge.outbox()[1], what=lambda: f"the rating set aside:\n{c.bridge.text()[-3000:]}")
    waiting, refused = c.bridge.outbox()
    assert waiting == 0 and [e.key for e in refused] == [f"keypad-rating-{ticket['id']}"]
    assert "window_closed" in refused[0].refused and "refused by the hall" in c.bridge.text()
    assert c.ratings() == []
