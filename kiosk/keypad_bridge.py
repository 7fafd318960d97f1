"""The keypad bridge's core: the rating keypads of one RS-485 line, each standing for a counter.

When a counter completes a ticket, its keypad is prompted with the ticket's number; the
citizen's press becomes a rating of that ticket (channel ``keypad``), handed to
``on_rating``. Nobody pressing within the rating time, or the counter's next call (or next
completed ticket), ends the prompt with the ticket not rated (``on_not_rated``): a rating is
never invented, never given twice, and a press never counts for a ticket it was not asked
for (the transaction number of docs/rating-keypad.md ties each press to its prompt).

Each counter's rating is a flow on kiosk.machine (idle, prompting). Inputs arrive from any
thread (the hall's events, the keypad line's thread) and are handled in order on the
bridge's own thread, which also watches the prompts' deadlines.
"""
from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from devices import keypad_protocol as kp
from devices.errors import BadDeviceUrl
from devices.keypad import EXPECTED_FORMS, KeypadLine, KeypadStatus, KeyPressed
from devices.port_url import port_target
from hall.configfile import Strict, load_model
from kiosk.machine import Machine, Transition

log = logging.getLogger(__name__)

CHANNEL = "keypad"
DEADLINE_CHECK = 0.5  # s: how often the bridge's thread looks at the prompts' deadlines


# -- configuration ------------------------------------------------------------------------

class LineSection(Strict):
    url: str = Field(description="the keypads' line, such as serial:///dev/ttyUSB0?baudrate=9600")
    rating_timeout: int = Field(60, ge=10, le=255, description="seconds a prompt waits for a press")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            port_target(value, expected=EXPECTED_FORMS, simulator="simkeypad", device="rating keypad line")
        except BadDeviceUrl as exc:
            raise ValueError(str(exc)) from None
        return value


class KeypadSection(Strict):
    address: int = Field(ge=kp.MIN_ADDRESS, le=kp.MAX_ADDRESS, description="the keypad's address on the line")
    counter: str = Field(pattern=r"^[0-9A-Za-z-]{1,8}$", description="the counter's id in hall.toml, such as 3")


class BridgeConfig(Strict):
    line: LineSection
    keypad: list[KeypadSection] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_each(self) -> BridgeConfig:
        for what in ("address", "counter"):
            values = [getattr(k, what) for k in self.keypad]
            twice = sorted({v for v in values if values.count(v) > 1}, key=str)
            if twice:
                raise ValueError(f"each keypad needs its own {what}: {', '.join(map(str, twice))} given twice")
        return self

    @property
    def counters(self) -> dict[int, str]:
        """The counter each keypad address stands for."""
        return {k.address: k.counter for k in self.keypad}


def load_bridge_config(path: Path | str) -> BridgeConfig:
    """The bridge's file ([line] and one [[keypad]] per counter, docs/rating-keypad.md);
    ConfigError naming file, line and key for a mistake."""
    return load_model(BridgeConfig, Path(path))


# -- what the bridge gives -------------------------------------------------------------------

@dataclass(frozen=True)
class RatingSubmission:
    """A citizen's rating of a ticket, for the hall; ``key`` is its idempotency key, one per
    ticket, so that every resend of it is recognised."""

    counter: str
    ticket_id: int
    number: str
    level: int
    channel: str = CHANNEL

    @property
    def key(self) -> str:
        return f"{CHANNEL}-rating-{self.ticket_id}"


class NotRatedReason(str, enum.Enum):
    TIMEOUT = "timeout"
    NEXT_CALL = "next call"
    NEXT_COMPLETED = "next completed"


@dataclass(frozen=True)
class NotRated:
    counter: str
    ticket_id: int
    number: str
    reason: NotRatedReason


# -- one counter's flow ------------------------------------------------------------------------

class State(enum.Enum):
    IDLE = enum.auto()
    PROMPTING = enum.auto()


class Event(enum.Enum):
    COMPLETED = enum.auto()  # data: Ticket
    CALLED = enum.auto()  # data: Ticket
    KEY = enum.auto()  # data: KeyPressed
    TIMEOUT = enum.auto()


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str


class CounterRating:
    """The rating at one counter's keypad: its prompt, the ticket it asks about and its deadline."""

    def __init__(self, bridge: KeypadBridge, counter: str, address: int) -> None:
        self.bridge = bridge
        self.counter = counter
        self.address = address
        self.ticket: Ticket | None = None
        self.transaction: int | None = None
        self.deadline: float | None = None
        self.machine = Machine(self, TABLE, State.IDLE, name=f"keypad rating at counter {counter}")

    def prompt(self, ticket: Ticket) -> None:
        line = self.bridge.line
        self.ticket = ticket
        self.deadline = self.bridge.clock() + self.bridge.rating_timeout
        self.transaction = line.prompt(self.address, kp.display_text(ticket.number), self.bridge.rating_timeout)

    def end_prompt(self, reason: NotRatedReason | None) -> None:
        """The prompt is over; a reason if it ended without a rating."""
        ticket = self.ticket
        self.ticket = self.transaction = self.deadline = None
        if reason is not None and ticket is not None:
            log.info("counter %s: ticket %s not rated (%s)", self.counter, ticket.number, reason.value)
            self.bridge.call(self.bridge.on_not_rated, NotRated(self.counter, ticket.id, ticket.number, reason))


def _prompt(flow: CounterRating, ticket: Ticket) -> None:
    flow.prompt(ticket)


def _prompt_anew(flow: CounterRating, ticket: Ticket) -> None:
    flow.end_prompt(NotRatedReason.NEXT_COMPLETED)
    flow.prompt(ticket)


def _for_this_prompt(flow: CounterRating, pressed: KeyPressed) -> bool:
    return pressed.transaction == flow.transaction


def _rate(flow: CounterRating, pressed: KeyPressed) -> None:
    ticket = flow.ticket
    assert ticket is not None
    flow.end_prompt(None)
    log.info("counter %s: ticket %s rated", flow.counter, ticket.number)  # the level stays out of the log
    flow.bridge.call(flow.bridge.on_rating, RatingSubmission(flow.counter, ticket.id, ticket.number, pressed.level))


def _stray_key(flow: CounterRating, pressed: KeyPressed) -> None:
    log.warning("counter %s: a press for transaction %d, which is not the prompt on (%s); not counted",
                flow.counter, pressed.transaction, flow.transaction or "none")


def _timed_out(flow: CounterRating, data: object) -> None:
    flow.end_prompt(NotRatedReason.TIMEOUT)
    flow.bridge.line.idle(flow.address)


def _called(flow: CounterRating, ticket: Ticket) -> None:
    """The counter called its next ticket: a prompt still on ends unanswered, and the keypad
    shows the number now served."""
    flow.end_prompt(NotRatedReason.NEXT_CALL)
    flow.bridge.line.idle(flow.address)
    flow.bridge.line.show(flow.address, kp.display_text(ticket.number))


TABLE = [
    Transition(State.IDLE, Event.COMPLETED, State.PROMPTING, action=_prompt),
    Transition(State.PROMPTING, Event.COMPLETED, State.PROMPTING, action=_prompt_anew),
    Transition(State.PROMPTING, Event.KEY, State.IDLE, guard=_for_this_prompt, action=_rate),
    Transition((State.IDLE, State.PROMPTING), Event.KEY, action=_stray_key),
    Transition(State.PROMPTING, Event.TIMEOUT, State.IDLE, action=_timed_out),
    Transition((State.IDLE, State.PROMPTING), Event.CALLED, State.IDLE, action=_called),
]


# -- the bridge ------------------------------------------------------------------------------

class KeypadBridge:
    """The keypads of one line and the counters they stand for. ``start()`` opens the line
    and starts the bridge's thread; ``completed`` and ``called`` may be called from any thread.
    Callbacks run on the bridge's thread."""

    def __init__(self, config: BridgeConfig, *, on_rating: Callable[[RatingSubmission], None],
                 on_not_rated: Callable[[NotRated], None] = lambda not_rated: None,
                 on_keypad_status: Callable[[str, KeypadStatus, str], None] = lambda counter, status, detail: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rating_timeout = config.line.rating_timeout
        self.on_rating = on_rating
        self.on_not_rated = on_not_rated
        self.on_keypad_status = on_keypad_status
        self.clock = clock
        self.counters = {counter: CounterRating(self, counter, address)
                         for address, counter in config.counters.items()}
        self._by_address = {flow.address: flow for flow in self.counters.values()}
        self.line = KeypadLine(config.line.url, self._by_address, on_key=self._key, on_status=self._status)
        self._inbox: queue.Queue[tuple[CounterRating, Event, object] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="keypad bridge", daemon=True)

    def __enter__(self) -> KeypadBridge:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> KeypadBridge:
        """Raises KeypadUnavailable when the line cannot be opened now."""
        self.line.open()
        self.line.start()
        self._thread.start()
        return self

    def close(self) -> None:
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join(2)
        self.line.close()

    # Inputs, from any thread.

    def completed(self, counter: str, ticket_id: int, number: str) -> None:
        self._put(counter, Event.COMPLETED, Ticket(ticket_id, number))

    def called(self, counter: str, ticket_id: int, number: str) -> None:
        self._put(counter, Event.CALLED, Ticket(ticket_id, number))

    def _put(self, counter: str, event: Event, data: object) -> None:
        flow = self.counters.get(counter)
        if flow is None:
            log.debug("counter %s has no keypad: %s ignored", counter, event.name)
            return
        self._inbox.put((flow, event, data))

    def _key(self, pressed: KeyPressed) -> None:
        self._inbox.put((self._by_address[pressed.address], Event.KEY, pressed))

    def _status(self, address: int, status: KeypadStatus, detail: str) -> None:
        self.call(self.on_keypad_status, self._by_address[address].counter, status, detail)

    # The bridge's thread.

    def _run(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=DEADLINE_CHECK)
            except queue.Empty:
                item = ()
            if item is None:
                return
            if item:
                self._fire(*item)
            now = self.clock()
            for flow in self.counters.values():
                if flow.deadline is not None and now >= flow.deadline:
                    self._fire(flow, Event.TIMEOUT, None)

    def _fire(self, flow: CounterRating, event: Event, data: object) -> None:
        try:
            flow.machine.fire(event, data)
        except Exception:  # a bug in one counter's flow must not stop the others
            log.exception("counter %s: %s failed", flow.counter, event.name)

    def call(self, callback: Callable, *arguments: object) -> None:
        """A failing callback is the caller's bug: log it, keep the keypads served."""
        try:
            callback(*arguments)
        except Exception:
            log.exception("keypad bridge: a handler failed")
