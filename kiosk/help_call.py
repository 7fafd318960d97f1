"""A visit's call for staff (呼叫工作人员), as any terminal's flow follows it: raised once,
then asked after, every HELP_POLL_SECONDS, until a staff member takes it.

The flow sends the requests (the hall's `call_for_help`, then `help_call`) as jobs of its
own and hands their answers here; each method says whether the flow should send a request
now. At most one request is on its way at a time, however often the button is pressed, and
each is marked with the visit it was sent for (kiosk.visit.Visit.number): an answer for an
ended visit changes nothing but lets the present visit's own request go.
"""
from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hall.errors import HelpCallNotFound

if TYPE_CHECKING:
    from hall.schemas import HelpCallPublic

log = logging.getLogger(__name__)
HELP_POLL_SECONDS = 2.0  # how often a kiosk asks whether its call for help was taken
HELP_POLL_MISSES = 3     # unanswered asks in a row after which the citizen is sent to the desk


class HelpState(enum.Enum):
    """Where the visit's call for staff stands; each but NONE has its line (help.<value>)."""

    NONE = "none"                # not called
    CALLING = "calling"          # on its way to the hall
    CALLED = "called"            # the staff consoles show the alert
    COMING = "coming"            # a staff member took it: someone is coming
    UNAVAILABLE = "unavailable"  # the hall could not be reached: go to the service desk


class HelpCallWatch:
    """The present visit's call (`state`, and `call` as the hall last told it) and the one
    request on its way. `clock` is monotonic (seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.state = HelpState.NONE
        self.call: HelpCallPublic | None = None
        self._out: int | None = None  # the visit whose request is on its way, if one is
        self._asked_at = 0.0          # when the last request was answered
        self._misses = 0              # polls unanswered in a row

    def reset(self) -> None:
        """A new visit has no call; a request still on its way is let finish."""
        self.state, self.call = HelpState.NONE, None

    def press(self, visit: int) -> bool:
        """A press raises a call only when the visit has none or its call failed; otherwise
        the screen (and the voice) say again where the call stands."""
        if self.state not in (HelpState.NONE, HelpState.UNAVAILABLE):
            return False
        self.state = HelpState.CALLING
        return self._send(visit)

    def raised(self, visit: int, call: HelpCallPublic) -> bool:
        if not self._answered(visit) or self.state is not HelpState.CALLING:
            return self._send(visit)
        log.info("help call %s raised (%s)", call.id, "taken" if call.taken_at else "open")
        self.call, self._misses = call, 0
        self.state = HelpState.COMING if call.taken_at else HelpState.CALLED
        return False

    def raise_failed(self, visit: int, exc: Exception) -> bool:
        if not self._answered(visit) or self.state is not HelpState.CALLING:
            return self._send(visit)
        log.error("help call not raised: %r", exc)
        self.state = HelpState.UNAVAILABLE
        return False

    def poll_due(self) -> bool:
        """Whether to ask now whether the call was taken."""
        return (self.state is HelpState.CALLED and self._out is None
                and self.clock() - self._asked_at >= HELP_POLL_SECONDS)

    def polling(self, visit: int) -> None:
        """The flow asks after `call` now, for `visit`."""
        self._out = visit

    def polled(self, visit: int, call: HelpCallPublic) -> bool:
        if not self._answered(visit) or self.state is not HelpState.CALLED:
            return self._send(visit)
        self.call, self._misses = call, 0
        if call.taken_at is not None:
            log.info("help call %s taken by %s", call.id, call.taken_by)
            self.state = HelpState.COMING
        return False

    def poll_failed(self, visit: int, exc: Exception) -> bool:
        """The hall lost the call, or has not answered for a while: staff may not know, so
        the citizen is sent to the desk."""
        if not self._answered(visit) or self.state is not HelpState.CALLED:
            return self._send(visit)
        self._misses += 1
        log.warning("help call %s not followed (%d): %r", self.call.id, self._misses, exc)
        if isinstance(exc, HelpCallNotFound) or self._misses >= HELP_POLL_MISSES:
            self.state = HelpState.UNAVAILABLE
        return False

    def _answered(self, visit: int) -> bool:
        """Frees the request's slot; True if the answer is for the present visit's call."""
        sent_for, self._out = self._out, None
        self._asked_at = self.clock()
        return sent_for == visit

    def _send(self, visit: int) -> bool:
        """Takes the slot for the visit's call, if it waits to be sent and no request is out."""
        if self.state is not HelpState.CALLING or self._out is not None:
            return False
        self._out = visit
        return True
