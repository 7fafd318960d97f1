"""Clocks a test moves by hand."""
from __future__ import annotations


class Ticks:
    """A monotonic clock moved by hand: the flow's, to reach its timeouts, or the screens',
    to pass their settling moment however slowly frames come."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t
