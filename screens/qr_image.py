"""The ticket's QR code on screen (the printer draws its own from GS ( k).

Loaded with the ticket screen, and qrcode with Pillow when the first code is drawn: neither
is needed for the home screen, so neither delays the kiosk's first frame.
"""
from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.properties import StringProperty
from kivy.uix.image import Image


class QRImage(Image):
    payload = StringProperty("")

    def on_payload(self, _instance, payload: str) -> None:
        if not payload:
            self.texture = None
            return
        from kiosk.qr import qr_png  # qrcode and Pillow: see the module's docstring

        image = CoreImage(io.BytesIO(qr_png(payload)), ext="png")
        image.texture.mag_filter = "nearest"
        self.texture = image.texture
