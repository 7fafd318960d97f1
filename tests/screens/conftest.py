"""One real Kivy window for the screen tests (Kivy makes one per process), driven by real
touches. Run under Xvfb (the README's test command) or any display. The kiosk runs on its
embedded hall; `on_server` puts it on a hall server in its own process for a test, as
`hall = URL` in kiosk.toml does."""
from __future__ import annotations

import os
import sys
import time

import pytest

from tests.conftest import OPEN_MORNING, ROOT, SAMPLE_HALL, Clock, write_kiosk_config
from tests.support.clocks import Ticks
from tests.support.servers import FileClock, HallServer
from tests.support.waiting import until

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
os.environ.setdefault("KIVY_HOME", str(ROOT / ".pytest_cache" / "kivy"))
# Kivy makes its home folder but not the folders above it: on a fresh clone .pytest_cache
# does not exist yet when the first screen test imports Kivy.
os.makedirs(os.environ["KIVY_HOME"], exist_ok=True)


class Monotonic:
    """The flow's idle clock: real time plus whatever a test skips ahead."""

    def __init__(self):
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped


class Driver:
    """Touches and frames, as a citizen and a display would make them."""

    def __init__(self, app, monotonic: Monotonic, screen_clock: Ticks):
        from kivy.base import EventLoop
        self.app = app
        self.loop = EventLoop
        self.monotonic = monotonic
        self.screen_clock = screen_clock

    def frames(self, n: int = 3) -> None:
        for _ in range(n):
            self.loop.idle()

    def tap(self, widget) -> None:
        """A deliberate tap: made once the screen takes touches (see KioskScreen.settle)."""
        from kivy.tests.common import UnitTestTouch
        self.frames(2)  # a screen just shown is laid out
        screen = self.screen
        self.screen_clock.t = max(self.screen_clock.t, screen.shown_at + screen.settle)
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(3)

    def until(self, predicate, seconds: float = 10.0) -> None:
        until(lambda: predicate() or self.frames(1), seconds=seconds, every=0.01,
              what=lambda: f"the screen to reach the expected state; now {self.app.stage!r}")

    @property
    def screen(self):
        return self.app.root.current_screen

    def find(self, text: str):
        """The button or label on the current screen showing exactly `text`."""
        for widget in self.screen.walk(restrict=True):
            if getattr(widget, "text", None) == text:
                return widget
        raise AssertionError(f"no widget shows {text!r} on {self.screen.name}")

    def home(self) -> None:
        """Back to a fresh visit at home, as the idle timeout leaves the kiosk."""
        self.until(lambda: self.app.stage != "issuing")
        skipped, self.monotonic.skipped = self.monotonic.skipped, 10_000
        self.app.flow.tick()
        self.monotonic.skipped = skipped
        self.frames(3)


@pytest.fixture(scope="session")
def kiosk(tmp_path_factory):
    from kivy.config import Config
    Config.set("graphics", "width", "720")
    Config.set("graphics", "height", "1280")

    from kiosk.config import load_settings
    from kiosk.fonts import find_cjk_font
    from kiosk.terminal import open_hall, open_inputs, open_printer, ticket_flow
    from kiosk.voice import Speaker, VoiceGuide
    from screens.app import KioskApp, use_font

    folder = tmp_path_factory.mktemp("kiosk")
    settings = load_settings(write_kiosk_config(folder, extra_terminal='location = "一楼东门"'))
    clock = Clock()
    hall = open_hall(settings, clock=clock)
    printer = open_printer(settings)
    monotonic = Monotonic()
    use_font(find_cjk_font())
    sound = tmp_path_factory.mktemp("sound")
    speaker = Speaker(player=(sys.executable, str(ROOT / "tests" / "kiosk" / "sound_sink.py"), str(sound)))
    screen_clock = Ticks()  # moved by hand: a tap moves it past the screen's settling
    app = KioskApp(lambda listener, runner: ticket_flow(
        settings, hall, printer, listener=listener, runner=runner, monotonic=monotonic, now=clock,
        guide=VoiceGuide(speaker)), lambda flow, post: open_inputs(settings, flow, post), monotonic=screen_clock)
    app._run_prepare()
    driver = Driver(app, monotonic, screen_clock)
    driver.settings = settings
    driver.clock = clock
    driver.sound = sound
    driver.frames(5)
    yield driver
    app.stop()
    app.on_stop()


@pytest.fixture(scope="module")
def window(kiosk):
    """The kiosk's window, sized by the test; the common portrait size again after the module."""
    from kivy.core.window import Window
    yield Window
    Window.size = (720, 1280)
    kiosk.frames(3)


@pytest.fixture
def ui(kiosk):
    """The kiosk back at its home screen with a fresh session and a working printer."""
    from kiosk.terminal import open_printer
    kiosk.home()
    kiosk.app.flow.printer = open_printer(kiosk.settings)
    kiosk.monotonic.skipped = 0.0
    if kiosk.clock.now != OPEN_MORNING:
        kiosk.clock.now = OPEN_MORNING
        kiosk.app.flow.refresh()
        kiosk.until(lambda: kiosk.app.flow.texts.closed_text() == "")
    return kiosk


@pytest.fixture(scope="module")
def hall_server(tmp_path_factory):
    """A hall server in its own process on SQLite, for one test module; its clock is a file
    (FileClock) that tests set as they set the kiosk's."""
    folder = tmp_path_factory.mktemp("hall-server")
    server = HallServer(data_dir=folder, database=f"sqlite:///{folder / 'hall.db'}", hall_file=SAMPLE_HALL,
                        clock=FileClock(folder / "clock.txt", OPEN_MORNING))
    server.start()
    server.kiosk_token = server.register("test-kiosk")  # the id write_kiosk_config gives the terminal
    yield server
    server.kill()


@pytest.fixture(scope="module")
def remote_data(tmp_path_factory):
    """The data directory of the kiosk on the hall server (its kept hall definition, its outbox)."""
    return tmp_path_factory.mktemp("remote-kiosk")


@pytest.fixture(scope="module")
def remote_hall(hall_server, remote_data):
    from kiosk.remote import RemoteHall
    hall = RemoteHall(hall_server.url, hall_server.kiosk_token, data_dir=remote_data)
    yield hall
    hall.close()


@pytest.fixture
def on_server(ui, hall_server, remote_hall):
    """The kiosk at home with a fresh visit, talking to the hall server; on its embedded hall
    again afterwards."""
    flow = ui.app.flow
    kept = flow.hall
    hall_server.clock.now = OPEN_MORNING
    flow.hall = remote_hall
    flow.refresh()
    ui.until(lambda: ui.app.help_offered)
    yield ui
    ui.home()
    flow.hall = kept
    flow.refresh()
    ui.until(lambda: not ui.app.help_offered)

