"""The counter terminal's screens (tests/screens/counter_terminal_cases.py), run in a pytest
process of their own: Kivy holds one app and one event loop per process, as a counter's
tablet does, and the ticket kiosk's screen tests share this session's window and loop."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CASES = ROOT / "tests" / "screens" / "counter_terminal_cases.py"


def test_the_counter_terminals_screens_in_a_process_of_their_own():
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", str(CASES)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1], done.stdout[-2000:]
