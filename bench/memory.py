"""Resident memory of the whole ticket kiosk (Kivy window, screens, embedded hall, printer)
after 500 tickets taken through its screens, with the figure every 100 tickets so that a leak
shows as a slope. Needs a display (Xvfb renders with Mesa's software OpenGL, whose libraries
count in the resident figure):
    xvfb-run -a -s "-screen 0 1280x1280x24" .venv/bin/python bench/memory.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(tickets: int = int(sys.argv[1]) if len(sys.argv) > 1 else 500) -> None:
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(KIVY_NO_ARGS="1", KIVY_LOG_MODE="PYTHON", KIVY_NO_FILELOG="1",
                          KIVY_USE_DEFAULTCONFIG="1", KIVY_HOME=str(Path(tmp) / "kivy"))
        from kivy.base import EventLoop
        from kivy.config import Config
        Config.set("graphics", "width", "720")
        Config.set("graphics", "height", "1280")

        from kiosk.config import load_settings
        from kiosk.fonts import find_cjk_font
        from kiosk.terminal import open_hall, open_printer, ticket_flow
        from screens.app import KioskApp, use_font
        from tests.conftest import Clock, write_kiosk_config

        settings = load_settings(write_kiosk_config(Path(tmp)))
        clock = Clock()
        hall = open_hall(settings, clock=clock)
        printer = open_printer(settings)
        use_font(find_cjk_font())
        app = KioskApp(lambda listener, runner: ticket_flow(
            settings, hall, printer, listener=listener, runner=runner, now=clock))
        app._run_prepare()

        def frames(n=1):
            for _ in range(n):
                EventLoop.idle()

        def until(state):
            deadline = time.monotonic() + 10
            while app.stage != state:
                if time.monotonic() > deadline:
                    raise SystemExit(f"stuck in {app.stage}")
                frames(1)

        process = psutil.Process()
        frames(5)
        start_rss = process.memory_info().rss
        codes = [s.code for s in settings.hall.services][:7]  # 500 / 7 stays within every quota
        t0 = time.perf_counter()
        for i in range(tickets):
            app.act("start")
            frames()
            app.act("choose", codes[i % len(codes)])
            frames()
            app.act("confirm")
            until("ticket")
            frames()
            app.act("done")
            frames()
            if i % 100 == 99:
                print(f"  {i + 1} tickets: {process.memory_info().rss / 2**20:.0f} MB", flush=True)
        elapsed = time.perf_counter() - t0
        end_rss = process.memory_info().rss
        end = process.memory_full_info()
        gl_libraries = _resident_of(("libLLVM", "_dri.so"))
        app.stop()
        app.on_stop()
    print(f"resident memory of the ticket kiosk, {tickets} tickets through its screens")
    print(f"  after start: {start_rss / 2**20:.0f} MB   after {tickets} tickets: {end_rss / 2**20:.0f} MB   "
          f"growth {(end_rss - start_rss) / 2**20:.1f} MB")
    print(f"  private (USS) {end.uss / 2**20:.0f} MB, proportional (PSS) {end.pss / 2**20:.0f} MB; "
          f"of the resident, the OpenGL driver's libraries: {gl_libraries / 2**20:.0f} MB")
    print(f"  {elapsed / tickets * 1000:.0f} ms per ticket including every screen drawn   target: <= 200 MB")


def _resident_of(names: tuple[str, ...]) -> int:
    """Resident bytes of the mappings whose path holds one of `names` (from /proc/self/smaps)."""
    total, current = 0, ""
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if parts and "-" in parts[0] and not parts[0].endswith(":"):
                current = parts[5] if len(parts) > 5 else ""
            elif parts[:1] == ["Rss:"] and any(n in current for n in names):
                total += int(parts[1]) * 1024
    return total


if __name__ == "__main__":
    main()
