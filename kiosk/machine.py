"""The one small engine the terminals' flows run on: a flow is a table plus actions.

A flow names its states and events as Enums and writes one table of `Transition` rows:
from a state (or `ANY`), on an event, with an optional guard, an optional action, to a
state (or nowhere: the action runs and the state stays). It may add actions run on entering
a state, and the events its states may ignore. The engine:

- takes the first row for the present state and the event whose guard passes; rows whose
  guards all fail drop the event; an event no row takes is refused with `MachineError`
  naming event and state, unless the flow lists it as ignored;
- runs the row's action, changes state, runs the new state's on-enter action, logs
  "from X to Y" and tells the listener, whose `on_*` methods do nothing unless overridden;
- queues events fired while it is busy (by an action, a listener or a finished job) and
  runs them in order afterwards;
- runs I/O (the hall, a printer) as `Job`s that an action or on-enter action returns: the
  job's work runs on the runner's thread and returns data; the engine then fires the job's
  `done` event with that data, or its `failed` event with the exception, on the flow's own
  thread. Work never touches the flow's state: only actions do, one at a time.

So the ticket flow (kiosk.flow) is one table; an identification step is one more state whose
rows take CARD_PLACED and CODE_SCANNED with the card or code as data, while other states
list those events as ignored; the counter terminal (staff card, the number served, the
five-level rating) is another table with its own actions on the same engine.
"""
from __future__ import annotations

import enum
import functools
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

C = TypeVar("C")


class _AnyState:
    def __repr__(self) -> str:
        return "ANY"


ANY = _AnyState()  # a row's source that matches every state


@dataclass(frozen=True)
class Job:
    """Work for the runner's thread: it returns data and changes nothing the flow owns."""

    work: Callable[[], object]
    done: enum.Enum
    failed: enum.Enum


Action = Callable[[Any, Any], "Job | None"]   # (flow, event data) -> a job to start, or None
Guard = Callable[[Any, Any], bool]            # (flow, event data) -> take this row?


@dataclass(frozen=True)
class Transition:
    source: enum.Enum | tuple[enum.Enum, ...] | _AnyState
    event: enum.Enum
    target: enum.Enum | None = None   # None: run the action and stay
    guard: Guard | None = None
    action: Action | None = None

    def starts_from(self, state: enum.Enum) -> bool:
        if self.source is ANY:
            return True
        if isinstance(self.source, tuple):
            return state in self.source
        return state is self.source


class MachineError(Exception):
    """An event the present state does not take, such as a second tap on 取号."""


class Listener:
    """What a screen layer overrides to follow a flow; every method may be left alone."""

    def on_state(self, old: enum.Enum, new: enum.Enum) -> None:
        pass

    def on_update(self, event: enum.Enum) -> None:
        """An event was handled without a change of state (new data, a new language)."""


class Runner(Protocol):
    def submit(self, work: Callable[[], object], done: Callable[[object], None],
               failed: Callable[[Exception], None]) -> None:
        """Run `work` off the flow's thread; call `done(result)` or `failed(exc)` on it."""


class InlineRunner:
    """Runs each job at once on the caller's thread: for tests and tools without a screen."""

    def submit(self, work, done, failed) -> None:
        try:
            result = work()
        except Exception as exc:
            log.exception("job failed")
            failed(exc)
            return
        done(result)


class ThreadRunner:
    """One long-lived worker thread. Jobs run in order (the warm-up before the first
    ticket), the process does not grow a thread per ticket, and `post` carries each result
    back to the flow's thread (the Kivy clock, in the app)."""

    def __init__(self, post: Callable[[Callable[[], None]], None], name: str = "flow-worker"):
        self._post = post
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def submit(self, work, done, failed) -> None:
        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # the flow maps it to a consequence; the log keeps the trace
                log.exception("job failed")
                self._post(functools.partial(failed, exc))
                return
            self._post(functools.partial(done, result))
        self._pool.submit(run)

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class Machine(Generic[C]):
    def __init__(self, flow: C, table: Iterable[Transition], initial: enum.Enum, *,
                 on_enter: Mapping[enum.Enum, Action] | None = None,
                 ignored: Iterable[enum.Enum] = (), listener: Listener | None = None,
                 runner: Runner | None = None, name: str = "flow"):
        self.flow = flow
        self.table = tuple(table)
        self.state = initial
        self.on_enter = dict(on_enter or {})
        self.ignored = frozenset(ignored)
        self.listener = listener or Listener()
        self.runner = runner or InlineRunner()
        self.name = name
        states = type(initial)
        for row in self.table:
            sources = () if row.source is ANY else (row.source if isinstance(row.source, tuple) else (row.source,))
            for state in (*sources, *([row.target] if row.target is not None else [])):
                if not isinstance(state, states):
                    raise TypeError(f"{name}: {state!r} in the row for {row.event!r} is not a {states.__name__}")
        self._pending: deque[tuple[enum.Enum, object]] = deque()
        self._busy = False

    def accepts(self, event: enum.Enum) -> bool:
        """Whether some row takes `event` in the present state (guards aside)."""
        return any(row.event is event and row.starts_from(self.state) for row in self.table)

    def fire(self, event: enum.Enum, data: object = None) -> None:
        """Handles `event` now, or after the event being handled. Raises MachineError when
        the present state neither takes nor ignores it."""
        if not self._busy and not self.accepts(event) and event not in self.ignored:
            raise MachineError(f"event {event.name!r} is not accepted in state {self.state.name!r}")
        self._queue(event, data)

    def start(self, job: Job | None) -> None:
        """Runs a job; its result comes back as its `done` or `failed` event."""
        if job is None:
            return
        self.runner.submit(job.work, lambda result: self._queue(job.done, result),
                           lambda exc: self._queue(job.failed, exc))

    def _queue(self, event: enum.Enum, data: object) -> None:
        self._pending.append((event, data))
        if self._busy:
            return
        self._busy = True
        try:
            while self._pending:
                self._handle(*self._pending.popleft())
        except BaseException:
            self._pending.clear()
            raise
        finally:
            self._busy = False

    def _handle(self, event: enum.Enum, data: object) -> None:
        rows = [row for row in self.table if row.event is event and row.starts_from(self.state)]
        if not rows:
            level = logging.DEBUG if event in self.ignored else logging.WARNING
            log.log(level, "%s: event %s dropped in state %s", self.name, event.name, self.state.name)
            return
        row = next((r for r in rows if r.guard is None or r.guard(self.flow, data)), None)
        if row is None:
            log.debug("%s: event %s in state %s: no guard passed", self.name, event.name, self.state.name)
            return
        if row.action is not None:
            self.start(row.action(self.flow, data))
        if row.target is None:
            self.listener.on_update(event)
            return
        old, self.state = self.state, row.target
        log.info("%s: from %s to %s on %s", self.name, old.name, row.target.name, event.name)
        enter = self.on_enter.get(row.target)
        if enter is not None:
            self.start(enter(self.flow, data))
        self.listener.on_state(old, row.target)
