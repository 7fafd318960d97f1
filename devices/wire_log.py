"""The wire trace: every byte a driver sends or receives, on the ``devices.wire`` logger.

A technician chasing a printer that prints garbage needs the bytes, in order, with the
direction; and an error report is far more useful with the last few exchanges attached, so
a short summary of each transfer is kept even when DEBUG logging is off.
"""

from __future__ import annotations

import logging
from collections import deque

WIRE_LOGGER = logging.getLogger("devices.wire")

SENT = ">>"  # host to device
RECEIVED = "<<"  # device to host


def hexdump(data: bytes, width: int = 16) -> str:
    """Offset, hex and printable-ASCII columns, the layout every protocol engineer reads."""
    if not data:
        return "(nothing)"
    rows = []
    for start in range(0, len(data), width):
        chunk = data[start : start + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        text_part = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        rows.append(f"{start:04x}  {hex_part:<{width * 3 - 1}}  |{text_part}|")
    return "\n".join(rows)


class WireLog:
    """Traces one device's transfers and remembers the most recent ones.

    ``shown`` limits every transfer to its first bytes in the trace, for devices whose
    payload is personal data (the ID card reader: frame headers yes, the card's text never).
    """

    def __init__(self, device: str, keep: int = 20, *, shown: int | None = None) -> None:
        self.device = device
        self.shown = shown
        self._recent: deque[str] = deque(maxlen=keep)

    def sent(self, data: bytes) -> None:
        self._trace(SENT, data)

    def received(self, data: bytes) -> None:
        self._trace(RECEIVED, data)

    def recent(self) -> list[str]:
        """Short summaries of the last transfers, oldest first, for error messages."""
        return list(self._recent)

    def _trace(self, direction: str, data: bytes) -> None:
        visible = data if self.shown is None else data[: self.shown]
        hidden = f" (+{len(data) - len(visible)} bytes not shown)" if len(visible) < len(data) else ""
        head = visible[:24].hex(" ")
        more = " ..." if len(visible) > 24 else ""
        self._recent.append(f"{direction} {len(data)} bytes: {head}{more}{hidden}")
        if WIRE_LOGGER.isEnabledFor(logging.DEBUG):
            WIRE_LOGGER.debug("%s %s %d bytes\n%s%s", self.device, direction, len(data), hexdump(visible), hidden)
