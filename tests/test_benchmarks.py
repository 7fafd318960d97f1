"""The benchmarks still run: each script, on a few operations, ends well and prints its
figures. Their figures are read by people, never asserted here (README: Performance)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SMOKE_RUNS = [  # script and arguments, a line it prints
    (["tap_to_print.py", "5"], "tap to last printer byte"),
    (["memory.py", "5"], "USS"),
    (["cold_start.py", "1"], "CPU time"),
    (["memory_breakdown.py", "3"], "the embedded hall"),
    (["ticket_size.py"], "115200 baud"),
    (["card_to_ticket.py", "3"], "whole"),
    (["call_audio.py", "2"], "first"),
    (["server_tickets.py", "--quick"], "tickets/s"),
    (["listeners.py", "--streams", "20", "--tickets", "50", "--runs", "1"], "p99 with streams / without"),
    (["login_flood.py", "--quick"], "logins from many addresses"),
    (["supervisor_figures.py", "--ratings", "2000", "--runs", "3"], "figures by staff"),
    (["counter_rating.py", "3"], "completed to rating screen"),
    (["matters_lights.py", "--cases", "500", "--runs", "3"], "open cases for a new day"),
    (["matters_supervision.py", "--cases", "2000", "--runs", "3", "--rounds", "1"], "a case's timeline: p50"),
    (["history_queries.py", "--quick", "--databases", "SQLite"], "display board"),
    (["uplink_load.py", "--halls", "2", "--tickets", "20", "--live-seconds", "2", "--runs", "3"], "events/s"),
    (["wait_estimate.py", "--seeds", "1", "--until", "09:15"], "nowait>10"),
]


@pytest.mark.parametrize("command,headline", SMOKE_RUNS, ids=[c[0] for c, _ in SMOKE_RUNS])
def test_a_benchmark_runs_and_prints_its_figures(command, headline):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / command[0]), *command[1:]],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert headline in done.stdout, done.stdout
