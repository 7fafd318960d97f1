"""The hall's write lock on SQLite (hall.db.WritersTurn), with real threads: a write asked
for first goes before every write already waiting, the others keep their turn among
themselves as the lock gives it, and none is lost; on PostgreSQL there is no turn to wait."""
from __future__ import annotations

import threading

from hall.db import WritersTurn
from tests.support.waiting import until


def test_a_write_asked_for_first_goes_before_those_waiting():
    turn = WritersTurn(needed=True)
    order: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turn():
            holding.set()
            release.wait(10)

    def write(name: str, first: bool) -> None:
        with turn(first=first):
            order.append(name)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    issues = [threading.Thread(target=write, args=(f"issue-{i}", False)) for i in range(3)]
    for t in issues:
        t.start()
    until(lambda: turn.waiting == 3, what="three issues waiting for the turn")
    call = threading.Thread(target=write, args=("call", True))
    call.start()
    until(lambda: turn.waiting == 4, what="the call waiting too")
    release.set()
    for t in (holder, call, *issues):
        t.join(10)
    assert order[0] == "call"
    assert sorted(order[1:]) == ["issue-0", "issue-1", "issue-2"]
    assert turn.waiting == 0


def test_the_turn_is_held_by_one_write_at_a_time():
    turn = WritersTurn(needed=True)
    inside, most = [0], [0]
    guard = threading.Lock()

    def write(first: bool) -> None:
        for _ in range(200):
            with turn(first=first):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=write, args=(i % 3 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most[0] == 1 and turn.waiting == 0


def test_without_a_turn_to_take_nobody_waits():
    turn = WritersTurn(needed=False)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turn():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    with turn(first=True), turn():
        entered = True
    release.set()
    holder.join(10)
    assert entered and turn.waiting == 0
