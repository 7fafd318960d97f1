"""What every terminal's Kivy application is, the ticket kiosk's and the counter terminal's:
the listener of its flow, one touch one flow call, and the names the shared chrome (base.kv)
binds to, followed from the flow's visit.

The flow's jobs run on one worker thread and come back through the Kivy clock, the only way a
thread may reach a widget. Each app says which screens it has, what its window is drawn for
and where its flow keeps its texts; the rest is here, once.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kivy.app import App
from kivy.clock import mainthread
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.i18n import Translator
from kiosk.machine import Listener, MachineError, ThreadRunner

log = logging.getLogger(__name__)
LARGE_TYPE_SCALE = 1.35


class TerminalApp(App, Listener):
    flow = ObjectProperty(None, allownone=True)
    lang = StringProperty("zh_CN")
    large_type = BooleanProperty(False)
    voice = BooleanProperty(False)
    voice_lost = BooleanProperty(False)  # voice asked for, and the speaker cannot give it
    unit = NumericProperty(1.0)        # the window's size against the design it is drawn for
    text_scale = NumericProperty(1.0)  # unit, times LARGE_TYPE_SCALE in large type
    wide = BooleanProperty(False)      # a landscape window
    stage = StringProperty("")         # the flow state's name, for kv bindings
    hall_name = StringProperty("")
    help_offered = BooleanProperty(False)  # 呼叫工作人员 on every screen (a kiosk in a hall with staff consoles)
    help_state = StringProperty("none")    # kiosk.help_call.HelpState's value
    help_text = StringProperty("")

    def __init__(self, make_flow, *, title: str, worker: str,
                 monotonic: Callable[[], float] = time.monotonic, **kwargs):
        """`make_flow(listener, runner)` builds the flow; the app is its listener.
        `monotonic` is the clock on which a screen settles after it appears (KioskScreen)."""
        super().__init__(**kwargs)
        self.monotonic = monotonic
        self.title = title
        self._make_flow = make_flow
        self.runner = ThreadRunner(self._on_main_thread, name=worker)

    # -- what each terminal says of itself ------------------------------------------------

    def design(self) -> tuple[int, int]:
        """The window (dp) the present orientation's layout is drawn for."""
        raise NotImplementedError

    def translator(self) -> Translator:
        raise NotImplementedError

    def flow_hall_name(self) -> str:
        raise NotImplementedError

    # -- what the .kv files call ----------------------------------------------------------

    def t(self, key: str, *_bindings, **fields) -> str:
        """Text for `key` in the visit's language; kv passes app.lang so it re-renders."""
        return self.translator().t(key, **fields) if self.flow else key

    def act(self, action: str, *args) -> None:
        """One touch, one flow call. A tap on a button that the flow has already left (a
        double tap on 取号) is logged and dropped, never a crash."""
        self.flow.touched()
        try:
            getattr(self.flow, action)(*args)
        except MachineError as exc:
            log.info("touch ignored: %s", exc)

    # -- Listener ---------------------------------------------------------------------------

    def on_state(self, old, new) -> None:
        self._sync_visit()
        self.stage = new.value
        if self.root is not None:
            self.root.show(new.value)

    def on_update(self, event) -> None:
        self._sync_visit()
        if self.root is not None:
            self.root.refresh()

    def _sync_visit(self) -> None:
        visit = self.flow.visit
        self.lang = visit.language
        self.large_type = visit.large_type
        self.voice = visit.voice
        self.voice_lost = visit.voice_lost
        self.hall_name = self.flow_hall_name()
        self._fit_window()

    def _fit_window(self, *_) -> None:
        """Sizes follow the window: a 1080×1920 kiosk gets the 720×1280 layout at 1.5 times."""
        self.wide = Window.width > Window.height
        width, height = self.design()
        self.unit = min(Window.width / dp(width), Window.height / dp(height))
        self.text_scale = self.unit * (LARGE_TYPE_SCALE if self.large_type else 1.0)

    @mainthread
    def _on_main_thread(self, call) -> None:
        call()
