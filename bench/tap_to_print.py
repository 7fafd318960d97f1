"""Tap to last printer byte on the embedded default: from the citizen's tap on 确认取号 (the
flow's confirm) until the simulated printer has taken the ticket's last byte (its cut) and
spooled the job to disk. Numbering, the SQLite commit, layout and printing are all inside.

    .venv/bin/python bench/tap_to_print.py [TICKETS]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(tickets: int = 200, warmup: int = 16) -> None:
    from kiosk.config import load_settings
    from kiosk.terminal import open_hall, open_printer, ticket_flow
    from tests.conftest import Clock, write_kiosk_config

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(write_kiosk_config(Path(tmp)))
        clock = Clock()
        hall = open_hall(settings, clock=clock)
        printer = open_printer(settings)
        flow = ticket_flow(settings, hall, printer, now=clock)
        codes = [s.code for s in settings.hall.services if not s.needs_id]  # a tap, no card
        spool = settings.data_dir / "printer"
        times = []
        for i in range(warmup + tickets):
            flow.choose(codes[i % len(codes)])
            t0 = time.perf_counter()
            flow.confirm()
            elapsed = time.perf_counter() - t0
            assert flow.errand.printed.ok, flow.errand.printed
            if i >= warmup:
                times.append(elapsed)
            flow.done()
        printed = len(list(spool.glob("ticket-*.bin")))
        hall.close()
        printer.close()
    times.sort()
    p99 = times[min(len(times) - 1, int(round(0.99 * len(times))) - 1)]
    print(f"tap to last printer byte, embedded SQLite + simprinter, {tickets} tickets after {warmup} warm-up")
    print(f"  median {statistics.median(times) * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms   "
          f"max {times[-1] * 1000:.1f} ms   ({printed} jobs spooled)")
    print(f"  throughput {len(times) / sum(times):.0f} tickets/s   target: median <= 50 ms")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
