"""Completed to rating screen: from the staff member's 办结 (POST .../complete, sent from a
thread) until the counter terminal has drawn its rating screen (the first frame flipped after
the flow turned to it), a hall server on 127.0.0.1 (SQLite, in this process's threads) and
the counter terminal's Kivy app on this display (run under xvfb-run). Each round calls the
next ticket first, which ends the prompt before, so every completion finds the card on screen.

    xvfb-run -a .venv/bin/python bench/counter_rating.py [ROUNDS]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main(rounds: int = 100, warmup: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("KIVY_NO_ARGS", "1")
        os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
        os.environ.setdefault("KIVY_NO_FILELOG", "1")
        os.environ.setdefault("KIVY_HOME", f"{tmp}/kivy")
        from kivy.base import EventLoop
        from kivy.config import Config
        Config.set("graphics", "width", "1280")
        Config.set("graphics", "height", "800")
        from kivy.core.window import Window

        from hall import accounts
        from hall.schemas import DeviceKind, Role
        from hall.settings import ServerSettings
        from kiosk.config import load_settings
        from kiosk.fonts import find_cjk_font
        from kiosk.terminal import counter_flow, follow_events, open_hall
        from screens.app import use_font
        from screens.counter_terminal import CounterApp
        from tests.conftest import SAMPLE_HALL, Clock, write_kiosk_config
        from tests.support.api_clients import PASSWORD, Api, staff_session
        from tests.support.servers import LiveServer

        settings = ServerSettings(data_dir=Path(tmp), database=f"sqlite:///{tmp}/hall.db", hall_file=SAMPLE_HALL)
        server = LiveServer(settings, Clock())
        hall = server.hall
        now = datetime.now(timezone.utc)
        with hall.engine.transaction() as session:
            accounts.add_staff(session, hall_id=hall.hall_id, spec=hall.spec, job_no="0301", name="李晓梅",
                               role=Role.STAFF, counters=["3"], password=PASSWORD, now=now)
            token = accounts.add_device(session, hall_id=hall.hall_id, device_id="counter-03",
                                        kind=DeviceKind.COUNTER, now=now, spec=hall.spec, counters=["3"])
        desk = staff_session(server.url, "0301", "3")
        for _ in range(rounds + warmup):
            hall.engine.issue_ticket("household")
        path = write_kiosk_config(Path(tmp) / "terminal", extra_terminal=f'mode = "counter"\nhall = "{server.url}"\n'
                                                                          f'hall_token = "{token}"')
        path.write_text(path.read_text(encoding="utf-8") + '\n[counter]\nid = "3"\n', encoding="utf-8")
        terminal = load_settings(path)
        use_font(find_cjk_font())
        remote = open_hall(terminal)
        app = CounterApp(lambda listener, runner: counter_flow(terminal, remote, listener=listener, runner=runner,
                                                               speaker=None),
                         lambda flow, post: follow_events(terminal, flow, post))
        app._run_prepare()
        flips: list[float] = []
        Window.bind(on_flip=lambda *_: flips.append(time.perf_counter()) if app.stage == "rating" else None)

        def pump(until, seconds: float = 10.0) -> None:
            deadline = time.monotonic() + seconds
            while not until():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the terminal stayed at {app.stage!r}")
                EventLoop.idle()

        pump(lambda: app.stage == "card" and app.flow.connected, 30)
        latencies = []
        for i in range(warmup + rounds):
            called = desk.post("/api/v1/counters/3/call-next").json()
            pump(lambda: app.stage == "card" and app.flow.serving == called["number"])
            sent: list[float] = []

            def complete() -> None:
                sent.append(time.perf_counter())
                desk.post("/api/v1/counters/3/complete")
            flips.clear()
            thread = threading.Thread(target=complete)
            thread.start()
            pump(lambda: bool(flips))
            thread.join()
            if i >= warmup:
                latencies.append((flips[0] - sent[0]) * 1000)
        app.on_stop()
        server.stop()
    load = os.getloadavg()
    print(f"completed to rating screen: POST complete until the counter terminal drew its rating screen, "
          f"SQLite, {rounds} transactions after {warmup} warm-up, load average {load[0]:.2f}")
    print(f"  min {min(latencies):.0f} ms   p50 {statistics.median(latencies):.0f} ms   "
          f"p99 {percentile(latencies, 0.99):.0f} ms   max {max(latencies):.0f} ms   [target p99 <= 300 ms]")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
