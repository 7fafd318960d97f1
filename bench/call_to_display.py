"""Call to display: from a click on 叫号 in the staff console until the hall display shows the
number, both pages in Debian's headless Chromium against a hall server on 127.0.0.1 (SQLite).
Both ends are read from the pages' own clocks (Date.now(), one machine): the click's moment
in the console, and in the display the moment a MutationObserver sees the number appear.
Each round then completes the ticket from the console, so the next call finds the counter free.
With --issuing N, N kiosks issue tickets without pause meanwhile (bench/server_tickets.py's
clients, in processes of their own), and the call waits its turn among their requests.

    .venv/bin/python bench/call_to_display.py [ROUNDS] [--issuing N]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WATCH = """() => {
  window.shown = {};
  new MutationObserver(() => {
    const n = document.querySelector('#latest-number').textContent;
    if (n && !(n in window.shown)) window.shown[n] = Date.now();
  }).observe(document.querySelector('#latest-number'), {childList: true, characterData: true, subtree: true});
}"""
CLICK = """() => {
  const at = Date.now();
  document.querySelector('button[data-op=call-next]').click();
  return at;
}"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main(rounds: int = 100, warmup: int = 5, issuing: int = 0) -> None:
    import multiprocessing

    from playwright.sync_api import sync_playwright

    from server_tickets import PROCESSES, client_process
    from tests.hall.conftest import lift_quotas

    from hall import accounts
    from hall.schemas import DeviceKind, Role
    from hall.settings import ServerSettings
    from tests.conftest import SAMPLE_HALL, Clock
    from tests.support.api_clients import PASSWORD
    from tests.support.servers import LiveServer
    from tests.hall.web.conftest import KIOSK_AUDIO, SIZES, console_ready, display_ready, launch, log_in

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        hall_file = Path(tmp) / "hall.toml"
        hall_file.write_text(SAMPLE_HALL.read_text(encoding="utf-8"), encoding="utf-8")
        settings = ServerSettings(data_dir=Path(tmp), database=f"sqlite:///{tmp}/hall.db",
                                  hall_file=lift_quotas(hall_file))
        server = LiveServer(settings, Clock())
        hall = server.hall
        with hall.engine.transaction() as session:
            accounts.add_staff(session, hall_id=hall.hall_id, spec=hall.spec, job_no="0301", name="员工", role=Role.STAFF,
                               counters=["3"], password=PASSWORD, now=datetime.now(timezone.utc))
            accounts.add_device(session, hall_id=hall.hall_id, device_id="kiosk-01", kind=DeviceKind.KIOSK,
                                now=datetime.now(timezone.utc))
            kiosks = [accounts.add_device(session, hall_id=hall.hall_id, device_id=f"kiosk-{i + 2:02d}",
                                          kind=DeviceKind.KIOSK, now=datetime.now(timezone.utc))
                      for i in range(issuing)]
        for _ in range(rounds + warmup):
            hall.engine.issue_ticket("household")
        browser = launch(playwright, KIOSK_AUDIO, "--mute-audio")
        pages = {}
        for kind in ("display", "console"):
            width, height = SIZES[kind]
            pages[kind] = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        display, console = pages["display"], pages["console"]
        display.goto(f"{server.url}/display")
        display_ready(display)
        display.evaluate(WATCH)
        console.goto(f"{server.url}/console")
        log_in(console, "0301", then="/console/3")
        console_ready(console)
        ctx = multiprocessing.get_context("spawn")
        processes = min(PROCESSES, issuing)
        start, results = ctx.Barrier(processes + 1), ctx.Queue()
        # 450 each at most: the sample hall's seven services stop at 999 numbers a day.
        load = [ctx.Process(target=client_process, args=(server.url, kiosks[i::processes], 450, 0, start, results))
                for i in range(processes)]
        for p in load:
            p.start()
        if load:
            start.wait()
        latencies = []
        for i in range(warmup + rounds):
            console.wait_for_function("() => !document.querySelector('button[data-op=call-next]').disabled")
            clicked = console.evaluate(CLICK)
            console.wait_for_function("() => !document.querySelector('button[data-op=complete]').disabled")
            number = console.text_content("#serving-number")
            shown = display.wait_for_function("(n) => window.shown[n]", arg=number, timeout=5000).json_value()
            if i >= warmup:
                latencies.append(shown - clicked)
            console.click("button[data-op=complete]")
        issued = hall.engine.services_status()
        for p in load:
            p.terminate()
            p.join()
        browser.close()
        server.stop()
    meanwhile = (f", {issuing} kiosks issuing meanwhile ({sum(s.issued_today for s in issued)} tickets)"
                 if issuing else "")
    print(f"call to display: console click on 叫号 until the hall display shows the number, Chromium, "
          f"SQLite, {rounds} calls after {warmup} warm-up{meanwhile}")
    print(f"  p50 {statistics.median(latencies):.0f} ms   p99 {percentile(latencies, 0.99):.0f} ms   "
          f"max {max(latencies):.0f} ms   [target p99 <= {50 if issuing else 300} ms]")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", type=int, nargs="?", default=100)
    parser.add_argument("--issuing", type=int, default=0, help="kiosks issuing tickets meanwhile")
    args = parser.parse_args()
    main(args.rounds, issuing=args.issuing)
