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
settings.check_database()
def first(app):
    print("FIRST_FRAME", time.time(), time.process_time(), flush=True)
    app.stop()
sys.exit(main.run_ticket_kiosk(settings, on_first_frame=first))
"""


def one_start(*command: str) -> tuple[float, float]:
    """Wall-clock seconds from the process's start to its first frame, and the CPU seconds
    it spent to it (less swayed by other work on the machine)."""
    started = time.time()
    out = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("FIRST_FRAME")), None)
    if line is None:
        raise SystemExit(f"the kiosk did not draw a frame:\n{out.stderr[-2000:]}")
    _, at, cpu = line.split()
    return float(at) - started, float(cpu)


def main() -> None:
    from tests.conftest import write_kiosk_config

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = Path(tmp) / "kiosk_start.py"
        kiosk.write_text(CHILD.format(root=str(ROOT), config=str(write_kiosk_config(Path(tmp)))))
        empty = (str(ROOT / "bench" / "empty_app.py"), "first-frame", str(Path(tmp) / "kivy-empty"))
        first, _ = one_start(str(kiosk))  # creates the database and caches
        one_start(*empty)
        kiosk_runs, floor_runs = [], []
        for _ in range(runs):  # interleaved, so that both see the same machine
            kiosk_runs.append(one_start(str(kiosk)))
            floor_runs.append(one_start(*empty))
    print("cold start to first frame (new process, python main.py's launcher)")
    print(f"  first start on an empty data directory: {first:.2f} s")
    for what, i in (("wall clock", 0), ("CPU time  ", 1)):
        mine, floor = [r[i] for r in kiosk_runs], [r[i] for r in floor_runs]
        ratios = sorted(m / f for m, f in zip(mine, floor))
        print(f"  {what}: kiosk median {statistics.median(mine):.2f} s (min {min(mine):.2f}, max {max(mine):.2f}); "
              f"empty Kivy app median {statistics.median(floor):.2f} s (min {min(floor):.2f}, max {max(floor):.2f})")
        print(f"    ratio of medians {statistics.median(mine) / statistics.median(floor):.2f}x; "
              f"pairwise ratios min {ratios[0]:.2f}, median {statistics.median(ratios):.2f}, max {ratios[-1]:.2f}")
    print("  target: <= 1.3x the empty app")


if __name__ == "__main__":
    main()
