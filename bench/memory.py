"""Memory of the whole ticket kiosk (Kivy window, screens, embedded hall, printer) after 500
tickets taken through its screens, beside an empty Kivy app's in the same run, with the
figure every 100 tickets so that a leak shows as a slope. Reported three ways: RSS (resident,
shared libraries counted whole), USS (unique: what the process alone holds, freed if it
ends) and PSS (proportional: shared pages divided among the processes sharing them). Needs a
display (Xvfb renders with Mesa's software OpenGL, whose libraries count in the figures):
    xvfb-run -a -s "-screen 0 1280x1280x24" .venv/bin/python bench/memory.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def empty_app_memory(folder: Path) -> tuple[int, int, int]:
    """RSS, USS and PSS of bench/empty_app.py, the toolkit's floor."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "empty_app.py"), "memory", str(folder / "kivy-empty")],
                         capture_output=True, text=True, timeout=60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("MEMORY")), None)
    if line is None:
        raise SystemExit(f"the empty app did not report:\n{out.stderr[-2000:]}")
    rss, uss, pss = (int(v) for v in line.split()[1:])
    return rss, uss, pss


def mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


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
        # Services a citizen takes with a tap (no ID card), as many as keep each one's share of
        # the tickets within its daily quota.
        tappable = sorted((s for s in settings.hall.services if not s.needs_id),
                          key=lambda s: s.daily_quota or tickets, reverse=True)
        while -(-tickets // len(tappable)) > (tappable[-1].daily_quota or tickets):
            tappable.pop()
        codes = [s.code for s in tappable]
        t0 = time.perf_counter()
        for i in range(tickets):
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
        end = process.memory_full_info()
        gl_libraries = _resident_of(("libLLVM", "_dri.so"))
        app.stop()
        app.on_stop()
        empty = empty_app_memory(Path(tmp))
    print(f"memory of the ticket kiosk after {tickets} tickets through its screens, beside an empty Kivy app")
    print(f"  {'':24}{'RSS':>8}{'USS':>8}{'PSS':>8}")
    print(f"  {'kiosk':24}{mb(end.rss):>8}{mb(end.uss):>8}{mb(end.pss):>8}")
    print(f"  {'empty Kivy app':24}{mb(empty[0]):>8}{mb(empty[1]):>8}{mb(empty[2]):>8}")
    print(f"  kiosk RSS after start {mb(start_rss)}, growth over {tickets} tickets "
          f"{(end.rss - start_rss) / 2**20:.1f} MB; the OpenGL driver's libraries: {mb(gl_libraries)} of the RSS")
    print(f"  {elapsed / tickets * 1000:.0f} ms per ticket including every screen drawn   target: RSS <= 200 MB")


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
