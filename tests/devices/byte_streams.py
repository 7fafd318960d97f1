"""Byte streams as a serial line delivers them, for the framers' property tests: cut into
chunks anywhere, and spoilt by flipped, dropped and inserted bytes."""
from __future__ import annotations

from hypothesis import strategies as st

from devices.framing import PreambleFramer


def feed_in_pieces(framer: PreambleFramer, stream: bytes, cuts: list[int]) -> PreambleFramer:
    """``stream`` fed to ``framer`` in the chunks that cutting it at ``cuts`` (taken modulo its length) makes."""
    points = sorted({c % (len(stream) + 1) for c in cuts})
    for start, end in zip([0, *points], [*points, len(stream)]):
        framer.data_received(stream[start:end])
    return framer


def spoil(stream: bytes, data: st.DataObject) -> bytes:
    """``stream`` with one to five bytes flipped, dropped or inserted, drawn from ``data``."""
    spoilt = bytearray(stream)
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        at = data.draw(st.integers(min_value=0, max_value=max(len(spoilt) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip" and spoilt:
            spoilt[at] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif action == "drop" and spoilt:
            del spoilt[at]
        else:
            spoilt.insert(at, data.draw(st.integers(min_value=0, max_value=255)))
    return bytes(spoilt)
