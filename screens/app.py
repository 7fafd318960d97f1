"""The ticket kiosk's Kivy application: one window, one screen per flow state.

Screens are thin: they show what kiosk.flow says and pass every touch to it. The flow's
jobs run on one worker thread (the hall's database, numbering and printing can take seconds)
and their results come back through the Kivy clock, the only way a thread may reach a widget.
The devices (the ID card reader, the scanners: kiosk.inputs) run on threads of their own and
post to the flow the same way; a keyboard-wedge scanner types into the window, and
kiosk.keyboard_scan tells its codes from other keys.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.properties import StringProperty

from kiosk.i18n import Translator
from kiosk.keyboard_scan import KeyBurstDetector, Scanned
from kiosk.ticket_states import State
from screens.terminal_app import TerminalApp
from screens.ticket_kiosk import Shell

DESIGN = (720, 1280)  # dp: the window the layout is drawn for, scaled to fit others


def use_font(path: Path) -> None:
    """Every label draws with this font, so Chinese never shows as boxes."""
    LabelBase.register(DEFAULT_FONT, str(path))


class KioskApp(TerminalApp):
    stage = StringProperty(State.IDLE.value)

    def __init__(self, make_flow, make_inputs=None, *, monotonic: Callable[[], float] = time.monotonic, **kwargs):
        """`make_flow(listener, runner)` builds the TicketFlow; `make_inputs(flow, post)`
        starts the devices (kiosk.inputs) once the first frame is up."""
        super().__init__(make_flow, title="hall-kiosk", worker="ticket-worker", monotonic=monotonic, **kwargs)
        self._make_inputs = make_inputs
        self.inputs = None
        self.keys = KeyBurstDetector()
        self._hours_event = None  # the Kivy clock's wake-up at the next change of the hours
        self._hours_due = None    # that change, on the flow's clock

    # -- Kivy life cycle ----------------------------------------------------------------

    def build(self):
        self.flow = self._make_flow(self, self.runner)
        self._sync_visit()
        self.root = Shell()
        Clock.schedule_interval(lambda _dt: self.flow.tick(), 1.0)
        Clock.schedule_interval(self._refresh_idle, 60.0)  # the queues, and today's hours at midnight
        self._follow_hours()
        Window.bind(on_flip=self._first_frame, size=self._fit_window, on_key_down=self._key_down,
                    on_request_close=self._keep_open)
        return self.root

    @staticmethod
    def _keep_open(_window, *, source: str | None = None, **_kwargs) -> bool:
        """No key closes a kiosk: Escape (Kivy's default way out) from a keyboard or from a
        scanner's misconfigured suffix would leave a blank screen in the hall until systemd
        restarts it. The service stops it; a window manager's close still does."""
        return source == "keyboard"

    def _refresh_idle(self, _dt) -> None:
        self.flow.refresh()
        if self.stage == State.IDLE.value:
            self.root.refresh()
        self._follow_hours()

    def _follow_hours(self) -> None:
        """Opens and closes the home screen on the second the hours say, not at the next
        minute's refresh: a wake-up at the next change, set again at each, and at each
        refresh and update of the flow (the clock may have been set meanwhile)."""
        if self._hours_event is not None:
            self._hours_event.cancel()
        self._hours_due = self.flow.next_hours_change()
        self._hours_event = None
        if self._hours_due is not None:
            delay = max((self._hours_due - self.flow.now()).total_seconds(), 0.0)
            self._hours_event = Clock.schedule_once(self._hours_changed, delay)

    def _hours_changed(self, dt) -> None:
        if self.flow.now() < self._hours_due:  # woken a moment early
            self._hours_event = Clock.schedule_once(
                self._hours_changed, (self._hours_due - self.flow.now()).total_seconds())
            return
        self._refresh_idle(dt)

    def _first_frame(self, *_):
        """With the home screen up, open the hall, the printer and the card reader and
        scanners, on the next tick: the flip that shows the first frame is not held up by
        loading their drivers."""
        Window.unbind(on_flip=self._first_frame)
        Clock.schedule_once(self._open_devices, 0)

    def _open_devices(self, _dt) -> None:
        self.flow.warm_up()
        if self._make_inputs is not None:
            self.inputs = self._make_inputs(self.flow, self._on_main_thread)

    def on_stop(self):
        if self.inputs is not None:
            self.inputs.close()
        self.runner.close()
        if self.flow is not None:
            self.flow.close()

    # -- a keyboard-wedge scanner ---------------------------------------------------------

    def _key_down(self, _window, key: int, _scancode, text: str | None, _modifiers) -> bool:
        """Keys to the burst detector: a scanner's burst ended by Enter is a code for the
        flow; a person's keys mean nothing to the kiosk (it has no text field)."""
        now = time.monotonic()
        if key in (13, 271):  # Enter, keypad Enter
            found = self.keys.enter(now)
        elif text and text.isprintable():
            found = self.keys.key(text, now)
        else:
            return False
        for item in found:
            if isinstance(item, Scanned):
                self.flow.code_scanned(item.text)
        if self.keys.deadline is not None:
            Clock.schedule_once(lambda _dt: self.keys.flush(time.monotonic()), self.keys.max_gap * 2)
        return True

    # -- TerminalApp ----------------------------------------------------------------------

    def design(self) -> tuple[int, int]:
        return DESIGN

    def translator(self) -> Translator:
        return self.flow.texts.tr

    def flow_hall_name(self) -> str:
        return self.flow.texts.hall_name()

    def on_update(self, event) -> None:
        super().on_update(event)
        self._follow_hours()  # cheap (a day's windows); the clock may have been set since

    def _sync_visit(self) -> None:
        super()._sync_visit()
        self.help_offered = self.flow.help_offered()
        self.help_state = self.flow.help.state.value
        self.help_text = self.flow.texts.help_text()
