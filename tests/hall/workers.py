"""Code run in child processes (spawned, so it must be importable by name)."""
from __future__ import annotations

import time
from datetime import datetime

from hall.queue import QueueEngine
from hall.spec import load_hall


def issue_many(hall_file: str, url: str, now: datetime, services: list[str], count: int,
               start, results) -> None:
    """Issues `count` tickets round the services once every process is ready, and sends
    back the (service, number) pairs and the seconds the issuing took."""
    engine = None
    try:
        engine = QueueEngine(load_hall(hall_file), url, clock=lambda: now)
        start.wait(timeout=60)
        began = time.perf_counter()
        issued = [(t.service, t.number) for t in
                  (engine.issue_ticket(services[i % len(services)]) for i in range(count))]
        results.put((issued, time.perf_counter() - began))
    except BaseException as exc:  # the parent must hear of it rather than wait for ever
        start.abort()
        results.put(repr(exc))
        raise
    finally:
        if engine is not None:
            engine.close()


def issue_until_killed(hall_file: str, url: str, now: datetime, services: list[str], told) -> None:
    """Issues tickets without end, telling the parent each number once its commit returned,
    until the parent kills the process with SIGKILL. `told` is a pipe, written synchronously,
    so at most the one ticket between a commit and its send goes untold."""
    engine = QueueEngine(load_hall(hall_file), url, clock=lambda: now)
    i = 0
    while True:
        told.send(engine.issue_ticket(services[i % len(services)]).number)
        i += 1
