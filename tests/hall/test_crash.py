"""A kill -9 in the middle of issuing loses no committed ticket, leaves no gap or duplicate,
and the next process goes on numbering from where the dead one stopped."""
from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3

from hall.queue import QueueEngine
from hall.spec import load_hall
from tests.conftest import OPEN_MORNING
from tests.hall.conftest import lift_quotas
from tests.hall.workers import issue_until_killed

SERVICES = ["social_security", "medical_insurance", "household"]


def test_kill_9_while_issuing_loses_nothing_committed(hall_copy, db_path, clock):
    hall_file = lift_quotas(hall_copy)
    url = f"sqlite:///{db_path}"
    ctx = multiprocessing.get_context("spawn")
    heard, told = ctx.Pipe(duplex=False)
    child = ctx.Process(target=issue_until_killed, args=(str(hall_file), url, OPEN_MORNING, SERVICES, told))
    child.start()
    told.close()
    confirmed = []
    while len(confirmed) < 150:  # well into its stride
        assert heard.poll(60), "the child issued nothing"
        confirmed.append(heard.recv())
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    while True:  # numbers committed and sent before the kill but not yet read
        try:
            confirmed.append(heard.recv())
        except EOFError:
            break

    with sqlite3.connect(db_path) as con:
        assert con.execute("pragma integrity_check").fetchone() == ("ok",)
        numbers = {n for (n,) in con.execute("select number from tickets")}
        for service, last in con.execute("select service, last_seq from ticket_sequences"):
            seqs = sorted(s for (s,) in con.execute(
                "select seq from tickets where issued_service = ?", (service,)))
            assert seqs == list(range(1, last + 1)), service
    assert set(confirmed) <= numbers
    assert len(numbers) in (len(confirmed), len(confirmed) + 1)  # at most one committed, unacknowledged

    engine = QueueEngine(load_hall(hall_file), url, clock=clock)
    try:
        with sqlite3.connect(db_path) as con:
            (last,) = con.execute("select last_seq from ticket_sequences where service = 'household'").fetchone()
        assert engine.issue_ticket("household").number == f"C{last + 1:03d}"
    finally:
        engine.close()
