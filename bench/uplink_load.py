"""Halls reporting up into one parent on PostgreSQL: N simulated halls (default 100), each a
busy day of 20 terminals (3,000 tickets, each issued, called and completed: 9,000 events,
and a bad rating's follow-up opened for one ticket in 50, half of them past their day),
pushing their events over HTTP into a parent server (`python -m hall serve` in its own
process) as the uplink sends them (batches after the acknowledged seq, at most 60 KB each).

Three figures, printed with the load average seen after each:
- ingest: the whole day of every hall sent at once by `--senders` concurrent senders (each
  hall's batches in order), in events/s, with its wall time;
- lag: then each hall issues live tickets for `--live-seconds` (an event every
  `--live-interval` s per hall) and sends what is new every second, as the uplink polls; the
  lag is from an event's making to the parent's acknowledgement of it, p50 and p99;
- page: the central page's queries (hall.uplink.central.tree over every hall) after the whole
  day is in, `--runs` times after a warm-up, per round p50 and p99, over `--rounds` rounds
  min/median/max; and likewise a hall's drill-down (hall.uplink.central.hall_today: its
  services and counters today).

    .venv/bin/python bench/uplink_load.py [--halls 100] [--tickets 3000] [--senders 16]
                                          [--live-seconds 30] [--runs 20] [--rounds 3]

Targets (docs/scale.md): a whole day of 100 halls in at most 10 minutes, the page's queries
p99 at most 200 ms, lag p99 at most 5 s. The machine's 2 cores are shared with the parent,
PostgreSQL and the senders themselves: read the load averages beside the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_BODY = 60_000
# 08:30 in Shanghai of the parent's own today: its housekeeping clears the halls' ticket
# rows of earlier days, and would clear the day being measured.
DAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
OPENING = datetime(DAY.year, DAY.month, DAY.day, 0, 30, tzinfo=timezone.utc)
REGIONS = ["511525", "511526", "511527", "511528"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


class SimulatedHall:
    """A hall's event log in memory, numbered as its database would, and its sender's state."""

    def __init__(self, hall_id: str, token: str, parent: str):
        self.hall_id = hall_id
        self.events: list[dict] = []
        self.made_at: dict[int, float] = {}
        self.acked = 0
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.url = f"{parent}/api/v1/uplink/events"
        self.tickets = 0

    def add(self, kind: str, at: datetime, ticket: int, status: str) -> None:
        self._append(kind, at, ticket, {"ticket": {"id": ticket, "number": f"A{ticket % 1000:03}",
                                                   "service": "household", "status": status, "counter": "3"},
                                        "waiting": {"household": 5}})

    def case(self, at: datetime, ticket: int, due: str) -> None:
        self._append("case_opened", at, ticket, {"case": {"id": ticket, "rating_id": ticket, "ticket_id": ticket,
                                                          "step": "open", "state": "open", "due": due}})

    def _append(self, kind: str, at: datetime, ticket: int, payload: dict) -> None:
        seq = len(self.events) + 1
        self.events.append({"seq": seq, "origin": self.hall_id, "id": seq, "kind": kind, "at": at.isoformat(),
                            "day": DAY.isoformat(), "counter": "3", "ticket": ticket, "payload": payload})
        self.made_at[seq] = time.monotonic()

    def day(self, tickets: int, rng: random.Random) -> None:
        for n in range(tickets):
            issued = OPENING + timedelta(seconds=n * 8 * 3600 // tickets)
            called = issued + timedelta(seconds=rng.randrange(60, 1800))
            completed = called + timedelta(seconds=rng.randrange(60, 900))
            self.ticket(issued, called, completed)
            if n % 50 == 0:
                self.case(completed, self.tickets, (DAY + timedelta(days=-5 if n % 100 == 0 else 7)).isoformat())

    def ticket(self, issued: datetime, called: datetime, completed: datetime) -> None:
        self.tickets += 1
        self.add("issued", issued, self.tickets, "waiting")
        self.add("called", called, self.tickets, "called")
        self.add("completed", completed, self.tickets, "completed")

    def send_all(self, lags: list[float] | None = None) -> int:
        """Sends everything after the acknowledged seq, batch by batch; the events sent."""
        sent = 0
        while self.acked < len(self.events):
            batch = self.events[self.acked:self.acked + 500]
            while True:
                body = json.dumps({"hall": self.hall_id, "after": self.acked, "events": batch},
                                  separators=(",", ":")).encode()
                if len(body) <= MAX_BODY:
                    break
                batch = batch[:len(batch) // 2]
            answer = self.http.post(self.url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
            answer.raise_for_status()
            acked = answer.json()["acked"]
            now = time.monotonic()
            if lags is not None:
                lags.extend(now - self.made_at[seq] for seq in range(self.acked + 1, acked + 1))
            sent += acked - self.acked
            self.acked = acked
        return sent


def serve_parent(folder: Path, database: str) -> tuple[subprocess.Popen, str, Path]:
    from tests.postgres import free_port

    hall_file = folder / "hall.toml"
    hall_file.write_text((ROOT / "config" / "hall.toml").read_text(encoding="utf-8")
                         .replace('id = "chengguan"', 'id = "county-511500"', 1), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "hall", "serve", "--port", str(port), "--database", database,
                                "--hall", str(hall_file), "--data-dir", str(folder)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=open(folder / "parent.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"{url}/api/v1/hall", timeout=2)
            return process, url, hall_file
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the parent did not start: {(folder / 'parent.log').read_text()[-2000:]}")
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--halls", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=3000, help="tickets per hall and day (3 events each)")
    parser.add_argument("--senders", type=int, default=16, help="halls sending at once")
    parser.add_argument("--live-seconds", type=float, default=30.0)
    parser.add_argument("--live-interval", type=float, default=3.0, help="seconds between a live hall's events")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from hall.queue import QueueEngine
    from hall.spec import load_hall
    from hall.uplink import central, receiver
    from tests.postgres import PostgresServer

    postgres = PostgresServer()
    postgres.start()
    parent = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = postgres.reset()
            parent, url, hall_file = serve_parent(Path(tmp), database)
            engine = QueueEngine(load_hall(hall_file), database)
            halls = []
            with engine.transaction() as session:
                for n in range(args.halls):
                    hall_id = f"hall-{n:03d}"
                    token = receiver.add_hall(session, hall_id=hall_id, name=f"便民服务中心{n}",
                                              region=f"{REGIONS[n % len(REGIONS)]}{n // len(REGIONS):03d}",
                                              now=datetime.now(timezone.utc))
                    halls.append(SimulatedHall(hall_id, token, url))
            rng = random.Random(22)
            for hall in halls:
                hall.day(args.tickets, rng)
            total = sum(len(h.events) for h in halls)
            started = time.monotonic()
            with ThreadPoolExecutor(args.senders) as pool:
                sent = sum(pool.map(lambda h: h.send_all(), halls))
            took = time.monotonic() - started
            assert sent == total, (sent, total)
            print(f"ingest: {total} events of {args.halls} halls ({args.tickets} tickets each) in {took:.1f} s: "
                  f"{total / took:.0f} events/s, {args.senders} senders; {load()}")

            lags: list[float] = []
            stop = time.monotonic() + args.live_seconds
            lock = threading.Lock()

            def live(hall: SimulatedHall) -> None:
                pending_rng = random.Random(hall.hall_id)
                next_event = time.monotonic() + pending_rng.uniform(0, args.live_interval)
                while time.monotonic() < stop:
                    now = time.monotonic()
                    while next_event <= now:
                        at = OPENING + timedelta(hours=8, seconds=len(hall.events))
                        hall.add("issued", at, hall.tickets + 1, "waiting")
                        hall.tickets += 1
                        next_event += args.live_interval
                    mine: list[float] = []
                    hall.send_all(mine)
                    with lock:
                        lags.extend(mine)
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))   # the uplink's poll

            with ThreadPoolExecutor(len(halls)) as pool:
                list(pool.map(live, halls))
            if lags:
                print(f"lag: {len(lags)} live events, p50 {percentile(lags, 50) * 1000:.0f} ms, "
                      f"p99 {percentile(lags, 99) * 1000:.0f} ms; {load()}")

            now = OPENING + timedelta(hours=9)
            p99s = []
            for round_ in range(args.rounds):
                times = []
                with engine.reading() as session:
                    central.tree(session, now=now, today=now.date(), within=None)  # warm-up
                for _ in range(args.runs):
                    begun = time.perf_counter()
                    with engine.reading() as session:
                        rows = central.tree(session, now=now, today=now.date(), within=None)
                    times.append(time.perf_counter() - begun)
                p99s.append(percentile(times, 99))
                print(f"page round {round_ + 1}: {len(rows)} rows, p50 {percentile(times, 50) * 1000:.1f} ms, "
                      f"p99 {percentile(times, 99) * 1000:.1f} ms; {load()}")
            print(f"page queries p99 over {args.rounds} rounds: min {min(p99s) * 1000:.1f} ms, "
                  f"median {statistics.median(p99s) * 1000:.1f} ms, max {max(p99s) * 1000:.1f} ms")
            drill_p99s = []
            for round_ in range(args.rounds):
                times = []
                for run in range(args.runs + 1):   # the first a warm-up
                    begun = time.perf_counter()
                    with engine.reading() as session:
                        hall = central.visible_hall(session, hall_id=halls[run % len(halls)].hall_id, within=None)
                        today = central.hall_today(session, hall=hall, now=now, today=now.date(), language="zh_CN")
                    if run:
                        times.append(time.perf_counter() - begun)
                drill_p99s.append(percentile(times, 99))
                print(f"drill-down round {round_ + 1}: {sum(s.served for s in today.services)} served, "
                      f"p50 {percentile(times, 50) * 1000:.1f} ms, p99 {percentile(times, 99) * 1000:.1f} ms; "
                      f"{load()}")
            print(f"drill-down p99 over {args.rounds} rounds: min {min(drill_p99s) * 1000:.1f} ms, "
                  f"median {statistics.median(drill_p99s) * 1000:.1f} ms, max {max(drill_p99s) * 1000:.1f} ms")
            engine.close()
            parent.terminate()
            parent.wait(timeout=30)
    finally:
        if parent is not None and parent.poll() is None:
            parent.kill()
        postgres.stop()


if __name__ == "__main__":
    main()
