"""Cold start to first frame: a new Python process runs the kiosk's own launcher on a fresh
data directory and reports when the first frame is on screen, beside an empty Kivy app
(bench/empty_app.py) started in turn with it. Needs a display (the README's test command
provides Xvfb): xvfb-run -a .venv/bin/python bench/cold_start.py"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import main
settings = main.load_settings({config!r})
main.setup_environment(settings)
def first(app):
    print("FIRST_FRAME", time.time(), flush=True)
    app.stop()
sys.exit(main.run_ticket_kiosk(settings, on_first_frame=first))
"""


def one_start(*command: str) -> float:
    started = time.time()
    out = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("FIRST_FRAME")), None)
    if line is None:
        raise SystemExit(f"the kiosk did not draw a frame:\n{out.stderr[-2000:]}")
    return float(line.split()[1]) - started


def main() -> None:
    from tests.conftest import write_kiosk_config

    runs = 5
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = Path(tmp) / "kiosk_start.py"
        kiosk.write_text(CHILD.format(root=str(ROOT), config=str(write_kiosk_config(Path(tmp)))))
        empty = (str(ROOT / "bench" / "empty_app.py"), "first-frame", str(Path(tmp) / "kivy-empty"))
        first = one_start(str(kiosk))  # creates the database and caches
        one_start(*empty)
        times, floor = [], []
        for _ in range(runs):  # interleaved, so that both see the same machine
            times.append(one_start(str(kiosk)))
            floor.append(one_start(*empty))
    kiosk_s, floor_s = statistics.median(times), statistics.median(floor)
    print("cold start to first frame (new process, python main.py's launcher)")
    print(f"  first start on an empty data directory: {first:.2f} s")
    print(f"  median of {runs} further starts:        {kiosk_s:.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f})")
    print(f"  an empty Kivy app, same run:           {floor_s:.2f} s "
          f"-> the kiosk takes {kiosk_s / floor_s:.2f}x the toolkit's floor, {kiosk_s - floor_s:+.2f} s")
    print("  target: <= 1.4x the empty app")


if __name__ == "__main__":
    main()
