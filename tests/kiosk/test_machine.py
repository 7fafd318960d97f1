"""The flow engine on a small table of its own: the shape of the counter terminal's flow
(a staff card opens the counter, a number is served, the citizen rates), with a card reader
whose events only some states take."""
from __future__ import annotations

import enum
import queue
import threading

import pytest

from kiosk.machine import ANY, Job, Listener, Machine, MachineError, ThreadRunner, Transition


class S(enum.Enum):
    CLOSED = enum.auto()
    CHECKING = enum.auto()
    SERVING = enum.auto()
    RATING = enum.auto()


class E(enum.Enum):
    CARD = enum.auto()       # a staff card placed on the reader
    CHECKED = enum.auto()
    CHECK_FAILED = enum.auto()
    CALL = enum.auto()
    DONE = enum.auto()
    RATE = enum.auto()
    CLOSE = enum.auto()


class Counter:
    """A flow's actions: they change the flow's data; the jobs they return only read."""

    def __init__(self, staff: dict[str, str]):
        self.staff = staff
        self.who: str | None = None
        self.serving: str | None = None
        self.ratings: list[int] = []
        self.problem = ""
        self.job_threads: list[str] = []

    def check_card(self, card):
        def work():
            self.job_threads.append(threading.current_thread().name)
            if card == "broken":
                raise OSError("reader unplugged")
            return self.staff.get(card)
        return Job(work, E.CHECKED, E.CHECK_FAILED)

    def known(self, name) -> bool:
        return name is not None

    def log_in(self, name):
        self.who = name

    def refuse(self, data):
        self.problem = f"refused: {data}"

    def call(self, number):
        self.serving = number

    def rate(self, stars):
        self.ratings.append(stars)

    def valid_rating(self, stars) -> bool:
        return stars in range(1, 6)

    def clear(self, _data):
        self.who = self.serving = None


TABLE = [
    Transition(S.CLOSED, E.CARD, S.CHECKING),
    Transition(S.CHECKING, E.CHECKED, S.SERVING, guard=Counter.known, action=Counter.log_in),
    Transition(S.CHECKING, E.CHECKED, S.CLOSED, action=Counter.refuse),
    Transition(S.CHECKING, E.CHECK_FAILED, S.CLOSED, action=Counter.refuse),
    Transition(S.SERVING, E.CALL, None, action=Counter.call),
    Transition(S.SERVING, E.DONE, S.RATING),
    Transition(S.RATING, E.RATE, S.SERVING, guard=Counter.valid_rating, action=Counter.rate),
    Transition(ANY, E.CLOSE, S.CLOSED),
]


class Recorder(Listener):
    def __init__(self):
        self.moves, self.updates = [], []

    def on_state(self, old, new):
        self.moves.append((old, new))

    def on_update(self, event):
        self.updates.append(event)


def machine(runner=None, **kwargs):
    flow = Counter({"0451": "王芳"})
    listener = Recorder()
    m = Machine(flow, TABLE, S.CLOSED, on_enter={S.CHECKING: Counter.check_card, S.CLOSED: Counter.clear},
                ignored={E.CARD}, listener=listener, runner=runner, name="counter", **kwargs)
    return m, flow, listener


def test_a_job_started_on_entering_a_state_comes_back_as_its_event():
    m, flow, listener = machine()
    m.fire(E.CARD, "0451")
    assert m.state is S.SERVING and flow.who == "王芳"
    assert listener.moves == [(S.CLOSED, S.CHECKING), (S.CHECKING, S.SERVING)]


def test_the_first_row_whose_guard_passes_is_taken():
    m, flow, _ = machine()
    m.fire(E.CARD, "9999")
    assert m.state is S.CLOSED and flow.problem == "refused: None"


def test_a_failing_job_fires_its_failed_event_with_the_exception():
    m, flow, _ = machine()
    m.fire(E.CARD, "broken")
    assert m.state is S.CLOSED and flow.problem == "refused: reader unplugged"


def test_a_row_without_a_target_stays_and_tells_the_listener():
    m, flow, listener = machine()
    m.fire(E.CARD, "0451")
    m.fire(E.CALL, "A001")
    assert m.state is S.SERVING and flow.serving == "A001"
    assert listener.updates == [E.CALL]


def test_guards_that_all_fail_drop_the_event():
    m, flow, _ = machine()
    m.fire(E.CARD, "0451")
    m.fire(E.DONE)
    m.fire(E.RATE, 9)
    assert m.state is S.RATING and flow.ratings == []
    m.fire(E.RATE, 5)
    assert m.state is S.SERVING and flow.ratings == [5]


def test_an_event_no_row_takes_is_refused_by_name():
    m, *_ = machine()
    with pytest.raises(MachineError, match="event 'RATE' is not accepted in state 'CLOSED'"):
        m.fire(E.RATE, 5)


def test_an_ignored_event_is_dropped_where_no_row_takes_it():
    m, flow, listener = machine()
    m.fire(E.CARD, "0451")
    m.fire(E.CARD, "0451")  # a second card while serving: ignored
    assert m.state is S.SERVING and len(listener.moves) == 2


def test_an_any_row_applies_in_every_state_and_reenters_its_target():
    m, flow, listener = machine()
    m.fire(E.CARD, "0451")
    m.fire(E.CLOSE)
    assert m.state is S.CLOSED and flow.who is None
    m.fire(E.CLOSE)
    assert listener.moves[-1] == (S.CLOSED, S.CLOSED)


def test_events_fired_by_a_listener_wait_for_the_present_one():
    class Eager(Recorder):
        def on_state(self, old, new):
            super().on_state(old, new)
            if new is S.RATING:
                m.fire(E.RATE, 4)
                assert m.state is S.RATING  # not yet: the listener's event is queued

    m = Machine(Counter({"0451": "王芳"}), TABLE, S.SERVING, listener=Eager())
    m.fire(E.DONE)
    assert m.state is S.SERVING and m.flow.ratings == [4]


def test_a_table_naming_a_state_of_another_flow_is_refused():
    class Other(enum.Enum):
        X = 1
    with pytest.raises(TypeError, match="Other.X"):
        Machine(Counter({}), [Transition(S.CLOSED, E.CARD, Other.X)], S.CLOSED)


def test_a_thread_runner_works_off_the_flow_thread_and_delivers_on_it():
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    runner = ThreadRunner(inbox.put, name="reader")
    m, flow, _ = machine(runner=runner)
    try:
        m.fire(E.CARD, "0451")
        assert m.state is S.CHECKING  # the card is being checked off this thread
        inbox.get(timeout=5)()        # the flow's thread takes the result
        assert m.state is S.SERVING and flow.who == "王芳"
        assert flow.job_threads[0].startswith("reader")
        m.fire(E.CLOSE)
        m.fire(E.CARD, "broken")
        inbox.get(timeout=5)()
        assert m.state is S.CLOSED and flow.problem == "refused: reader unplugged"
    finally:
        runner.close()
