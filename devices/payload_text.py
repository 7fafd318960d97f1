"""A scanned code's bytes as text, whichever way the code reached us (camera or scanner line).

QR codes made in China carry UTF-8, or GB18030 from older systems; a code names neither
unless it has an ECI, and decoders that guess (zbar, zxing-cpp) take GB18030 and some UTF-8
for Shift-JIS. Trying UTF-8 first is safe: GB18030 text of any length is almost never valid
UTF-8.
"""

from __future__ import annotations

PAYLOAD_ENCODINGS = ("utf-8", "gb18030")


def payload_text(raw: bytes) -> str | None:
    """UTF-8, else GB18030; None for bytes that are neither."""
    for encoding in PAYLOAD_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
