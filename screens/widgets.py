"""Widgets the .kv files share: large rounded buttons, a screen's body, service buttons, and
the rating's faces and reasons (their rules in rating_widgets.kv), which the counter terminal
and the ticket kiosk's late rating show alike. (The ticket's QR code is screens.qr_image,
loaded with the ticket screen.)"""
from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button


class BigButton(Button):
    """A touch target at least 96 dp high with a plain fill: elderly fingers miss small ones."""

    fill = ColorProperty((0.08, 0.40, 0.75, 1))
    ink = ColorProperty((1, 1, 1, 1))


class Body(BoxLayout):
    """A screen's own content; KioskScreen places it between the hall's name and the
    language and type-size switches."""


class ServiceButton(ButtonBehavior, BoxLayout):
    """One service on the list: its letter, name and queue, or 暂停取号."""

    choice = ObjectProperty(None, allownone=True)
    available = BooleanProperty(True)

    def on_choice(self, _instance, choice) -> None:
        self.available = bool(choice and choice.available)


class TileButton(ButtonBehavior, BoxLayout):
    """A service with guides, a matter of one, or a case (its rule in tiles.kv): `action` is
    the flow's call its tap makes with `code`."""

    code = StringProperty("")
    action = StringProperty("")
    title = StringProperty("")
    info = StringProperty("")


class FaceButton(ButtonBehavior, BoxLayout):
    """One of the five faces, with its label: one touch target, one level."""

    face = ObjectProperty(None, allownone=True)  # kiosk.rating_faces.Face
    level = NumericProperty(0)

    def on_release(self) -> None:
        App.get_running_app().act("rate", self.level)


class ReasonButton(BigButton):
    """A reason for a bad rating, amber while chosen."""

    code = StringProperty("")
    selected = BooleanProperty(False)
