"""A keyboard-wedge scanner told apart from a person typing.

Many scanners act as a USB keyboard: a code arrives as key presses, a few milliseconds apart,
ended by Enter. A person types a key every 100 ms or more. :class:`KeyBurstDetector` holds
keys while they come fast and decides at Enter: a burst of at least ``min_length`` keys, each
within ``max_gap`` of the one before, is a scan; anything else is typing and is handed on as
typed, late by at most ``max_gap`` (the caller asks :meth:`flush` once ``deadline`` passes).

Pure logic over (key, time) pairs: the Kivy keyboard hook feeds it and acts on its answers.
"""
from __future__ import annotations

from dataclasses import dataclass

ENTER = "\n"


@dataclass(frozen=True)
class Typed:
    """Keys a person typed, in order (ENTER for the Enter key)."""

    text: str


@dataclass(frozen=True)
class Scanned:
    """A whole code from a scanner, without its Enter."""

    text: str


class KeyBurstDetector:
    def __init__(self, *, max_gap: float = 0.05, min_length: int = 4) -> None:
        if max_gap <= 0 or min_length < 1:
            raise ValueError("max_gap must be above 0 and min_length 1 or more")
        self.max_gap = max_gap
        self.min_length = min_length
        self._keys: list[str] = []
        self._last = 0.0

    @property
    def deadline(self) -> float | None:
        """When held keys become typing unless another key comes first; None when none are held."""
        return self._last + self.max_gap if self._keys else None

    def key(self, char: str, at: float) -> list[Typed | Scanned]:
        """A printable key pressed at time ``at`` (seconds, any monotonic clock)."""
        released = self.flush(at)
        self._keys.append(char)
        self._last = at
        return released

    def enter(self, at: float) -> list[Typed | Scanned]:
        """The Enter key: the end of a scan, or a person's Enter."""
        released = self.flush(at)
        if len(self._keys) >= self.min_length:
            code = "".join(self._keys)
            self._keys.clear()
            return [Scanned(code)]
        return released + self._release() + [Typed(ENTER)]

    def flush(self, at: float) -> list[Typed | Scanned]:
        """Held keys as typing if the burst broke (nothing for ``max_gap`` before ``at``)."""
        if self._keys and at - self._last > self.max_gap:
            return self._release()
        return []

    def _release(self) -> list[Typed | Scanned]:
        if not self._keys:
            return []
        text = "".join(self._keys)
        self._keys.clear()
        return [Typed(text)]
