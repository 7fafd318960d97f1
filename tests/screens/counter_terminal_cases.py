"""The counter terminal under Xvfb against a hall server in its own process on loopback: the
staff card, the rating screen turning up by itself when the staff member completes a ticket
through the API, a bad rating that cannot be sent without a reason, the record arriving once,
the prompt ended by its time and by the next call (not rated), and every screen held to the
kiosk's layout rules in both orientations of a 10" tablet, three languages and two type
sizes. The Kivy window is the one of the screen tests; the ticket kiosk's app, if one runs,
is set aside for this module and put back after it. The terminal is also run as its own
process (python main.py --mode counter) on a display of its own, tapped through the X
server, and killed -9 right after the tap. Screenshots go to artifacts/screens/counter/."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from hall.schemas import DeviceKind, Role
from kiosk.outbox import Outbox
from kiosk.remote import OUTBOX_FILE
from tests.conftest import OPEN_MORNING, ROOT, SAMPLE_HALL, write_kiosk_config
from tests.support.api_clients import Api, staff_session
from tests.support.clocks import Ticks
from tests.support.servers import FileClock, HallServer
from tests.screens.conftest import Driver, Monotonic
from tests.screens.layout_rules import settle, shoot
from tests.screens.x_display import XDisplay
from tests.support.waiting import until

ARTIFACTS = ROOT / "artifacts" / "screens" / "counter"
WINDOWS = [(1280, 800), (800, 1280)]
LANGUAGES = ["zh_CN", "zh_TW", "en"]
COUNTER = "3"
JOB_NO = "0301"


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (40, 110, 170)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from hall import accounts
    from tests.support.api_clients import PASSWORD

    folder = tmp_path_factory.mktemp("counter-hall")
    hall = HallServer(data_dir=folder, database=f"sqlite:///{folder / 'hall.db'}", hall_file=SAMPLE_HALL,
                      clock=FileClock(folder / "clock.txt", OPEN_MORNING))
    hall.start()
    hall.counter_token = hall.register("counter-03", DeviceKind.COUNTER, counters=(COUNTER,))
    hall.kiosk = Api(hall.url, hall.register("kiosk-01"))
    with hall._engine() as engine, engine.transaction() as session:
        accounts.add_staff(session, hall_id=engine.spec.hall.id, spec=engine.spec, job_no=JOB_NO, name="李晓梅",
                           role=Role.STAFF, counters=[COUNTER], password=PASSWORD, now=OPEN_MORNING,
                           post="综合受理岗", department="县人社局", photo=photo())
    hall.desk = staff_session(hall.url, JOB_NO, COUNTER)
    yield hall
    hall.kill()


@pytest.fixture(scope="module")
def counter(server, tmp_path_factory):
    """The counter terminal's app on the screen tests' window, talking to `server`."""
    from kivy.app import App
    from kivy.base import EventLoop
    from kivy.config import Config
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from kivy.core.window import Window

    from kiosk.config import load_settings
    from kiosk.fonts import find_cjk_font
    from kiosk.terminal import counter_flow, follow_events, open_hall
    from screens.app import use_font
    from screens.counter_terminal import CounterApp

    folder = tmp_path_factory.mktemp("counter-terminal")
    path = write_kiosk_config(folder, extra_terminal=f'mode = "counter"\nhall = "{server.url}"\n'
                                                    f'hall_token = "{server.counter_token}"')
    path.write_text(path.read_text(encoding="utf-8") + f'\n[counter]\nid = "{COUNTER}"\n', encoding="utf-8")
    settings = load_settings(path)
    monotonic = Monotonic()
    use_font(find_cjk_font())
    kept_app, kept_children = App.get_running_app(), list(Window.children)
    for child in kept_children:
        Window.remove_widget(child)
    hall = open_hall(settings)
    screen_clock = Ticks()  # moved by hand: a tap moves it past the screen's settling
    app = CounterApp(lambda listener, runner: counter_flow(settings, hall, listener=listener, runner=runner,
                                                           monotonic=monotonic, speaker=None),
                     lambda flow, post: follow_events(settings, flow, post), monotonic=screen_clock)
    app._run_prepare()
    EventLoop.start()  # touches reach the window once its loop runs (a no-op if the kiosk's tests started it)
    driver = Driver(app, monotonic, screen_clock)
    driver.settings = settings
    Window.size = WINDOWS[0]
    driver.frames(5)
    driver.until(lambda: app.stage == "card" and app.flow.connected, seconds=20)
    yield driver
    app.on_stop()
    Window.remove_widget(app.root)
    app.root = None  # answers still on their way find no screen to refresh
    App._running_app = kept_app
    for child in kept_children:
        Window.add_widget(child)
    Window.size = (720, 1280)
    driver.frames(3)


@pytest.fixture
def ui(counter, server):
    """The terminal at its card, nothing prompted, the hall's clock in the morning."""
    counter.until(lambda: counter.app.stage == "card", seconds=20)
    server.clock.now = OPEN_MORNING
    counter.monotonic.skipped = 0.0
    return counter


def complete(server) -> dict:
    """A ticket issued, called and completed at the counter, as a kiosk and a staff member do."""
    issued = server.kiosk.post("/api/v1/tickets", {"service": "household"})
    assert issued.status_code == 201, issued.text
    called = server.desk.post(f"/api/v1/counters/{COUNTER}/call-next")
    assert called.status_code == 200 and called.json()["id"] == issued.json()["id"], called.text
    done = server.desk.post(f"/api/v1/counters/{COUNTER}/complete")
    assert done.status_code == 200, done.text
    return done.json()


def ratings(server, ticket_id: int) -> list[tuple]:
    return server.rows(f"select level, reasons, channel from ratings where ticket_id = {ticket_id}")


def rating_state(server, ticket_id: int) -> str:
    return server.rows(f"select rating_state from served_tickets where ticket_id = {ticket_id}")[0][0]


def shown(ui, stage: str) -> None:
    """Waits for the screen of `stage`, laid out: a new screen's widgets take their places in
    the frames after it appears."""
    ui.until(lambda: ui.app.stage == stage)
    ui.frames(5)


def face(ui, level: int):
    return next(b for b in ui.screen.ids.faces.children if b.level == level)


def test_the_card_shows_who_serves_here(ui):
    card = ui.screen
    assert (card.name_text, card.job_no, card.place) == ("李晓梅", "工号 0301", "综合受理岗 · 县人社局")
    assert card.counter == "3号窗口"
    ui.until(lambda: card.photo is not None)
    assert card.photo.size == (300, 400)


def test_a_staff_member_signing_out_and_in_shows_on_the_card_from_the_live_events(ui, server):
    """The card is read again on the hall's counter_staff event, not at its minute's refresh."""
    card = ui.screen
    assert card.name_text == "李晓梅"
    assert server.desk.delete("/api/v1/session").status_code == 204
    ui.until(lambda: card.name_text == ui.app.flow.tr.t("counter.no_staff") and card.job_no == "")
    server.desk = staff_session(server.url, JOB_NO, COUNTER)
    ui.until(lambda: (card.name_text, card.job_no) == ("李晓梅", "工号 0301"))
    ui.until(lambda: card.photo is not None)


def test_a_bad_rating_needs_a_reason_and_arrives_once(ui, server):
    ticket = complete(server)
    shown(ui, "rating")
    assert ui.screen.title == f"{ticket['number']}号，请您对本次服务进行评价"
    assert [f.label for f in ui.screen.faces] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    ui.tap(face(ui, 2))
    shown(ui, "reasons")
    ui.tap(ui.screen.ids.send)
    assert ui.app.stage == "reasons" and ui.screen.hint == "请至少选择一项原因"
    assert len(ui.app.flow.hall._outbox) == 0 and ratings(server, ticket["id"]) == []
    ui.tap(ui.find("服务态度差"))
    ui.tap(ui.find("业务不熟练"))
    ui.tap(ui.find("业务不熟练"))  # chosen, then not
    ui.tap(ui.screen.ids.send)
    ui.until(lambda: ui.app.stage == "thanks")
    until(lambda: ratings(server, ticket["id"]) != [], seconds=10)
    until(lambda: len(ui.app.flow.hall._outbox) == 0, seconds=10)
    assert ratings(server, ticket["id"]) == [(2, "attitude", "counter")]
    assert rating_state(server, ticket["id"]) == "rated"
    ui.until(lambda: ui.app.stage == "card", seconds=15)


def test_a_good_rating_is_sent_at_once(ui, server):
    ticket = complete(server)
    shown(ui, "rating")
    ui.tap(face(ui, 5))
    ui.until(lambda: ui.app.stage == "thanks")
    until(lambda: ratings(server, ticket["id"]) == [(5, "", "counter")], seconds=10)


def test_nobody_rating_in_time_leaves_it_not_rated(ui, server):
    ticket = complete(server)
    ui.until(lambda: ui.app.stage == "rating")
    ui.monotonic.skipped += server_window(ui) + 1
    server.clock.now = OPEN_MORNING + timedelta(seconds=server_window(ui) + 1)
    ui.until(lambda: ui.app.stage == "card")
    until(lambda: rating_state(server, ticket["id"]) == "not_rated", seconds=10)
    assert ratings(server, ticket["id"]) == []


def test_the_next_call_ends_the_prompt(ui, server):
    ticket = complete(server)
    ui.until(lambda: ui.app.stage == "rating")
    server.kiosk.post("/api/v1/tickets", {"service": "household"})
    called = server.desk.post(f"/api/v1/counters/{COUNTER}/call-next").json()
    ui.until(lambda: ui.app.stage == "card")
    assert ui.screen.serving == f"正在办理 {called['number']}"
    assert rating_state(server, ticket["id"]) == "not_rated" and ratings(server, ticket["id"]) == []
    assert server.desk.post(f"/api/v1/counters/{COUNTER}/complete").status_code == 200
    shown(ui, "rating")
    ui.tap(face(ui, 4))
    ui.until(lambda: ui.app.stage == "thanks")


def server_window(ui) -> int:
    return ui.app.flow.card.window_seconds


class TerminalProcess:
    """`python main.py --mode counter` on its own display, its log kept for a test to read."""

    def __init__(self, folder: Path, server, display: XDisplay):
        self.config = write_kiosk_config(folder, extra_terminal=f'hall = "{server.url}"\n'
                                                                f'hall_token = "{server.counter_token}"')
        self.config.write_text(self.config.read_text(encoding="utf-8") + f'\n[counter]\nid = "{COUNTER}"\n',
                               encoding="utf-8")
        self.outbox_file = folder / "data" / OUTBOX_FILE
        self.display = display
        self.log = folder / "terminal.log"
        self.process: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        """Started, and following the hall's live events."""
        self.runs += 1
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "main.py", "--mode", "counter", "--config",
                                             str(self.config)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "DISPLAY": self.display.name})
        self.until("live events from", self.runs)

    def until(self, line: str, times: int = 1) -> None:
        until(lambda: self.text().count(line) >= times or self.process.poll() is not None, seconds=60,
              what=lambda: f"{line!r} in the terminal's log:\n{self.text()[-3000:]}")
        assert self.process.poll() is None, self.text()[-3000:]

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def outbox(self) -> tuple[int, list]:
        box = Outbox(self.outbox_file)
        try:
            return len(box), box.set_aside()
        finally:
            box.close()

    def kill(self) -> int:
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        return process.wait(timeout=30)


def test_a_terminal_killed_right_after_the_tap_delivers_the_rating_once_after_its_restart(ui, server, tmp_path):
    """The hall is down at the tap, so the rating can only be in the terminal's outbox when
    the kill -9 comes, as soon as the terminal says it kept it; the restarted terminal
    delivers it once the hall is back: one rating. The tap lands where this module's window,
    at the same size, language and type, shows 非常满意."""
    size = WINDOWS[0]
    settle(ui, size, "zh_CN", False)
    display = XDisplay(*size)
    terminal = TerminalProcess(tmp_path / "terminal", server, display)
    try:
        terminal.start()
        ticket = complete(server)
        shown(ui, "rating")
        x, y = face(ui, 5).center
        terminal.until("from CARD to RATING on COMPLETED")
        server.kill(signal.SIGKILL)
        kept = "an answer kept for the hall"
        until(lambda: kept in terminal.text() or display.tap(x, size[1] - y), seconds=30, every=0.5,
              what=lambda: f"the tap taken:\n{terminal.text()[-3000:]}")  # taps while the new screen settles are dropped
        assert terminal.kill() == -signal.SIGKILL
        assert terminal.outbox() == (1, [])
        server.start()
        terminal.start()
        until(lambda: ratings(server, ticket["id"]), seconds=60,
              what=lambda: f"the rating delivered:\n{terminal.text()[-3000:]}")
        until(lambda: terminal.outbox() == (0, []), what="the terminal's outbox emptied")
        assert ratings(server, ticket["id"]) == [(5, "", "counter")]
        ui.until(lambda: ui.app.stage == "card", seconds=30)  # this module's terminal heard that it was rated
    finally:
        if terminal.process is not None:
            terminal.kill()
        display.close()


# -- the layout walk -----------------------------------------------------------------------

@pytest.mark.parametrize("large_type", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", WINDOWS, ids=[f"{w}x{h}" for w, h in WINDOWS])
def test_every_screen_keeps_the_layout_rules(ui, server, size, language, large_type):
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"{language}-{'large' if large_type else 'normal'}"
    problems: dict[str, list[str]] = {}
    flow = ui.app.flow
    settle(ui, size, language, large_type)
    ui.until(lambda: ui.screen.photo is not None)
    shoot(ui, folder, f"{tag}-1-card", problems, large_type)

    complete(server)
    ui.until(lambda: ui.app.stage == "rating")
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-2-rating", problems, large_type)
    flow.rate(1)
    ui.until(lambda: ui.app.stage == "reasons")
    flow.toggle_reason("other")
    ui.frames(2)
    shoot(ui, folder, f"{tag}-3-reasons", problems, large_type)
    flow.back()
    ui.until(lambda: ui.app.stage == "rating")
    flow.prompt = type(flow.prompt)(flow.prompt.ticket_id, flow.prompt.number, flow.prompt.deadline, True)
    flow.leave_phone()  # offered where the hall phones this transaction back
    ui.until(lambda: ui.app.stage == "phone")
    for digit in "138001380":
        flow.digit(digit)
    shoot(ui, folder, f"{tag}-4-phone", problems, large_type)
    flow.back()
    ui.until(lambda: ui.app.stage == "rating")
    settle(ui, size, language, large_type)
    flow.rate(3)
    ui.until(lambda: ui.app.stage == "thanks")
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-5-thanks", problems, large_type)
    ui.monotonic.skipped += 60
    ui.until(lambda: ui.app.stage == "card")
    ui.monotonic.skipped = 0.0
    assert not problems, "\n".join(f"{shot}:\n  " + "\n  ".join(found) for shot, found in problems.items())
