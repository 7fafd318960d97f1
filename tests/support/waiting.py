"""Waiting for what another thread or process does: the one poll-until-deadline loop.

The deadline only stops a test that would otherwise hang; nothing is asserted about how
long the wait took.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(condition: Callable[[], T], *, seconds: float = 10.0, every: float = 0.02,
          what: str | Callable[[], str] = "the condition") -> T:
    """Calls `condition` until it gives a true value, and returns that value; after
    `seconds` fails the test saying `what` never happened (a callable is asked then, to
    describe the state it was left in)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(every)
