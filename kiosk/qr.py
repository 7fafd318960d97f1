"""The ticket's QR code as a picture for the screen (the printer draws its own from GS ( k)."""
from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(payload: str, *, box_size: int = 10, border: int = 2) -> bytes:
    """PNG bytes of a QR code; error correction M, like the printed one."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()
