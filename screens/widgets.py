"""Widgets the .kv files share: large rounded buttons, service buttons, the on-screen QR code."""
from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.properties import ColorProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.image import Image

from kiosk.qr import qr_png


class BigButton(Button):
    """A touch target at least 96 px high with a plain fill: elderly fingers miss small ones."""

    fill = ColorProperty((0.08, 0.40, 0.75, 1))


class ServiceButton(ButtonBehavior, BoxLayout):
    """One service on the list: its letter, name and queue, or why it issues no tickets now."""

    choice = ObjectProperty(None, allownone=True)


class QRImage(Image):
    payload = StringProperty("")

    def on_payload(self, _instance, payload: str) -> None:
        if not payload:
            self.texture = None
            return
        image = CoreImage(io.BytesIO(qr_png(payload)), ext="png")
        image.texture.mag_filter = "nearest"
        self.texture = image.texture
