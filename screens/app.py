"""The ticket kiosk's Kivy application: one window, one screen per flow state.

Screens are thin: they show what kiosk.flow says and pass every touch to it. The flow's
worker runs off the UI thread (numbering and printing can take a second at 9600 baud) and
its result comes back through the Kivy clock, the only way a thread may reach a widget.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.flow import FlowError, FlowListener, State, TicketFlow
from kiosk.hall_client import HallUnavailable
from screens import ticket_kiosk, widgets  # noqa: F401  (registers the classes the .kv files name)

log = logging.getLogger(__name__)
KV_DIR = Path(__file__).resolve().parent
SCREENS = ("base", "home", "services", "confirm", "issuing", "ticket", "notice", "shell")
LARGE_TYPE_SCALE = 1.35


def use_font(path: Path) -> None:
    """Every label draws with this font, so Chinese never shows as boxes."""
    LabelBase.register(DEFAULT_FONT, str(path))


class KioskApp(App, FlowListener):
    flow: TicketFlow = ObjectProperty(None, allownone=True)
    lang = StringProperty("zh_CN")
    large_type = BooleanProperty(False)
    scale = NumericProperty(1.0)
    stage = StringProperty(State.IDLE.value)  # the flow state's name, for kv bindings
    hall_name = StringProperty("")

    def __init__(self, make_flow, **kwargs):
        """`make_flow(listener, run_async)` builds the TicketFlow; the app is its listener."""
        super().__init__(**kwargs)
        self.title = "hall-kiosk"
        self._make_flow = make_flow
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ticket-worker")

    # -- Kivy life cycle ----------------------------------------------------------------

    def build(self):
        for name in SCREENS:
            Builder.load_file(str(KV_DIR / f"{name}.kv"))
        self.flow = self._make_flow(self, self.run_async)
        self._sync_session()
        self.root = Builder.load_string("Shell:")
        Clock.schedule_interval(lambda _dt: self.flow.tick(), 1.0)
        Clock.schedule_interval(self._refresh_idle, 60.0)  # today's hours change at midnight
        Window.bind(on_flip=self._first_frame)
        return self.root

    def _refresh_idle(self, _dt) -> None:
        if self.stage == State.IDLE.value:
            self.root.refresh()

    def _first_frame(self, *_):
        """With the home screen up, open the hall and the printer in the background."""
        Window.unbind(on_flip=self._first_frame)
        self.run_async(self.flow.warm_up, lambda _result: None)

    def on_stop(self):
        self._worker.shutdown(wait=True)
        if self.flow is not None:
            self.flow.printer.close()
            self.flow.hall.close()

    # -- what the .kv files call --------------------------------------------------------

    def t(self, key: str, *_bindings, **fields) -> str:
        """Text for `key` in the session's language; kv passes app.lang so it re-renders."""
        return self.flow.tr.t(key, **fields) if self.flow else key

    def fs(self, size: float, *_bindings) -> float:
        """A font size, enlarged in large-type mode; kv passes app.scale so it re-renders."""
        return sp(size) * self.scale

    def act(self, action: str, *args) -> None:
        """One touch, one flow call. A tap on a button that the flow has already left
        (a double tap on 取号) is logged and dropped, never a crash."""
        self.flow.touched()
        try:
            getattr(self.flow, action)(*args)
        except FlowError as exc:
            log.info("touch ignored: %s", exc)
        except HallUnavailable as exc:
            log.error("hall unavailable: %s", exc)

    # -- FlowListener -------------------------------------------------------------------

    def on_state(self, old: State, new: State) -> None:
        self._sync_session()
        self.stage = new.value
        if self.root is not None:
            self.root.show(new.value)

    def on_session(self) -> None:
        self._sync_session()
        if self.root is not None:
            self.root.refresh()

    def _sync_session(self) -> None:
        session = self.flow.session
        self.lang = session.language
        self.large_type = session.large_type
        self.scale = LARGE_TYPE_SCALE if session.large_type else 1.0
        self.hall_name = self.flow.hall_name()

    # -- the worker ---------------------------------------------------------------------

    def run_async(self, job, done) -> None:
        """One long-lived worker, so jobs run in order (the warm-up before the first ticket)
        and the process does not grow a thread and its memory arena per ticket."""
        def work():
            try:
                result = job()
            except Exception:  # the flow catches what it expects; anything else is a bug
                log.exception("ticket worker failed")
                raise
            self._deliver(done, result)
        self._worker.submit(work)

    @mainthread
    def _deliver(self, done, result) -> None:
        done(result)
