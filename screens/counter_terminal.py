"""The counter terminal's Kivy application: one window facing the citizen at a counter, one
screen per state of kiosk.counter_terminal, in the kiosk's chrome (the hall's name on top;
language, large type and voice at the bottom) and held to its layout rules.

The window is a 10" tablet either way up: 1280×800 landscape or 800×1280 portrait. Sizes
follow the window against the design of its orientation, and the screens lay their parts side
by side in landscape and one above the other in portrait. Screens are thin: each shows what
the flow says and passes every touch to it. The hall's answers and the outbox come back from
the flow's worker, and the live events from their reader, through the Kivy clock.
"""
from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from kiosk.counter_terminal import State
from kiosk.i18n import Translator
from screens.terminal_app import TerminalApp
from screens.ticket_kiosk import KioskScreen, Shell

log = logging.getLogger(__name__)
LANDSCAPE = (1280, 800)  # dp: the window each orientation is drawn for
PORTRAIT = (800, 1280)


class CounterScreen(KioskScreen):
    """The kiosk's screen with its chrome; `wide` lays the parts side by side."""


class OfflineScreen(CounterScreen):
    text = StringProperty("")

    def refresh(self) -> None:
        self.text = App.get_running_app().flow.tr.t("counter.connecting")


class CardScreen(CounterScreen):
    """The staff member serving here, the counter, the number being served."""

    name_text = StringProperty("")
    job_no = StringProperty("")
    place = StringProperty("")
    counter = StringProperty("")
    serving = StringProperty("")
    status = StringProperty("")
    photo = ObjectProperty(None, allownone=True)  # a texture, made from bytes held in memory only

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.name_text, self.job_no, self.place = flow.staff_lines()
        self.counter = flow.counter_text()
        self.serving = flow.serving_text()
        self.status = flow.status_text()
        self.photo = _texture(flow.photo)


class RatingScreen(CounterScreen):
    """Five large faces, the number rated, the seconds left, and the way to a call-back."""

    title = StringProperty("")
    left = StringProperty("")
    problem = StringProperty("")
    offer = BooleanProperty(False)
    faces = ListProperty()

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.title = flow.rating_title()
        self.left = flow.tr.t("rating.seconds_left", n=flow.seconds_left())
        self.problem = flow.problem
        self.offer = flow.callback_offered()
        faces = flow.faces()
        if [f.level for f in self.faces] != [f.level for f in faces] or \
                [f.label for f in self.faces] != [f.label for f in faces]:
            self.faces = faces
            grid = self.ids.faces
            grid.clear_widgets()
            for face in faces:
                grid.add_widget(Factory.FaceButton(face=face))

    def tick(self) -> None:
        flow = App.get_running_app().flow
        self.left = flow.tr.t("rating.seconds_left", n=flow.seconds_left())


class ReasonsScreen(CounterScreen):
    """The hall's reasons for a bad rating, several may be chosen, and a comment."""

    title = StringProperty("")
    hint = StringProperty("")
    problem = StringProperty("")
    can_send = BooleanProperty(False)

    def on_pre_enter(self, *_):
        self.ids.comment.text = ""
        super().on_pre_enter()

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.title = flow.tr.t("rating.reasons_title")
        self.hint = flow.reasons_hint()
        self.problem = flow.problem
        self.can_send = flow.can_send()
        grid = self.ids.reasons
        shown = flow.reasons()
        buttons = list(reversed(grid.children))
        if [b.code for b in buttons] != [r.code for r, _, _ in shown]:
            grid.clear_widgets()
            buttons = [Factory.ReasonButton(code=r.code) for r, _, _ in shown]
            for button in buttons:
                grid.add_widget(button)
        for button, (_reason, text, chosen) in zip(buttons, shown):
            button.text, button.selected = text, chosen


class PhoneScreen(CounterScreen):
    title = StringProperty("")
    phone = StringProperty("")
    complete = BooleanProperty(False)

    def refresh(self) -> None:
        flow = App.get_running_app().flow
        self.title = flow.tr.t("rating.phone_title")
        self.phone = flow.phone_text()
        self.complete = flow.phone_complete()

    def on_leave(self, *_):
        self.phone = ""  # the number leaves the screen with the citizen


class ThanksScreen(CounterScreen):
    text = StringProperty("")

    def refresh(self) -> None:
        self.text = App.get_running_app().flow.thanks_text()


def _texture(photo: bytes | None):
    if not photo:
        return None
    try:
        return CoreImage(io.BytesIO(photo), ext="png" if photo.startswith(b"\x89PNG") else "jpg").texture
    except Exception as exc:  # a photo Kivy cannot read leaves the card without one
        log.warning("the staff photo could not be shown: %s", exc)
        return None


SCREENS = {
    State.OFFLINE.value: (OfflineScreen, "counter_notice"),
    State.CARD.value: (CardScreen, "counter_card"),
    State.RATING.value: (RatingScreen, "counter_rating"),
    State.REASONS.value: (ReasonsScreen, "counter_reasons"),
    State.PHONE.value: (PhoneScreen, "counter_phone"),
    State.THANKS.value: (ThanksScreen, "counter_notice"),
}


class CounterShell(Shell):
    by_state = SCREENS
    first = State.OFFLINE.value


class CounterApp(TerminalApp):
    """The names the kiosk's chrome binds to (base.kv) are the kiosk's, the call for staff
    never offered (staff sit across the counter)."""

    stage = StringProperty(State.OFFLINE.value)

    def __init__(self, make_flow, follow_events=None, *, monotonic: Callable[[], float] = time.monotonic, **kwargs):
        """`follow_events(flow, post)` gives what starts the live events after an event id,
        once the first card is in."""
        super().__init__(make_flow, title="hall-counter", worker="counter-worker", monotonic=monotonic, **kwargs)
        self._follow_events = follow_events
        self.events = None

    def build(self):
        self.flow = self._make_flow(self, self.runner)
        if self._follow_events is not None:
            start = self._follow_events(self.flow, self._on_main_thread)
            self.flow.started_events = lambda after: setattr(self, "events", start(after))
        self._sync_visit()
        self.root = CounterShell()
        self._ticking = Clock.schedule_interval(self._tick, 1.0)
        Window.bind(on_flip=self._first_frame, size=self._fit_window)
        return self.root

    def _tick(self, _dt) -> None:
        self.flow.tick()
        screen = self.root.current_screen
        if isinstance(screen, RatingScreen):
            screen.tick()

    def _first_frame(self, *_):
        Window.unbind(on_flip=self._first_frame)
        Clock.schedule_once(lambda _dt: self.flow.start(), 0)

    def on_stop(self):
        self._ticking.cancel()
        if self.events is not None:
            self.events.close()
        self.runner.close()
        if self.flow is not None:
            self.flow.close()

    # -- TerminalApp ----------------------------------------------------------------------

    def design(self) -> tuple[int, int]:
        return LANDSCAPE if Window.width > Window.height else PORTRAIT

    def translator(self) -> Translator:
        return self.flow.tr

    def flow_hall_name(self) -> str:
        return self.flow.hall_name()
