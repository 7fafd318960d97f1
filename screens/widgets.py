"""Widgets the .kv files share: large rounded buttons and the on-screen QR code."""
from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.image import Image

from kiosk.qr import qr_png


class BigButton(Button):
    """A touch target at least 96 px high with a plain fill: elderly fingers miss small ones."""

    fill = ColorProperty((0.08, 0.40, 0.75, 1))


class QRImage(Image):
    payload = StringProperty("")

    def on_payload(self, _instance, payload: str) -> None:
        if not payload:
            self.texture = None
            return
        image = CoreImage(io.BytesIO(qr_png(payload)), ext="png")
        image.texture.mag_filter = "nearest"
        self.texture = image.texture
