"""The hall server under load, on SQLite and on PostgreSQL, in one run:

- issue-ticket latency (p50, p99) and throughput with 1, 10 and 50 concurrent clients over
  HTTP on 127.0.0.1, each request with its idempotency key as a kiosk sends it, beside the
  embedded engine's own time for the same issue (QueueEngine in-process, one thread): the
  last column is the server's throughput as a share of the bare engine's, the price of
  HTTP, authentication and the idempotency record;
- event latency: from a counter's call-next request leaving to an SSE listener holding the
  `called` event.

Clients run in 4 processes of threads on kept-alive connections; server and clients share
this machine's 2 cores (and whatever else runs on it), so the figures are indicative.

    .venv/bin/python bench/server_tickets.py [--quick]
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The sample hall's services that a kiosk issues with a tap (housing_fund needs the ID card).
SERVICES = ["social_security", "medical_insurance", "household", "real_estate", "business_license",
            "taxation", "veterans"]
PROCESSES = 4


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def client_process(url: str, tokens: list[str], per_client: int, warmup: int, start, results) -> None:
    """Threads issuing tickets, one per token, over kept-alive connections of the standard
    library (each kiosk is a machine of its own; here the load generator shares the server's
    cores, so it is kept lean); sends back the measured latencies (s) and the wall time of
    the measured part."""
    import http.client
    import json
    from urllib.parse import urlsplit

    address = urlsplit(url)
    latencies: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(tokens) + 1)

    def run(token: str, offset: int) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        mine = []
        ready.wait()
        for i in range(warmup + per_client):
            body = json.dumps({"service": SERVICES[(offset + i) % len(SERVICES)]})
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex,
                       "Content-Type": "application/json"}
            t0 = time.perf_counter()
            connection.request("POST", "/api/v1/tickets", body, headers)
            answer = connection.getresponse()
            text = answer.read()
            elapsed = time.perf_counter() - t0
            if answer.status != 201:
                raise RuntimeError(text)
            if i >= warmup:
                mine.append(elapsed)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(t, n)) for n, t in enumerate(tokens)]
    for t in threads:
        t.start()
    start.wait()
    ready.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    results.put((latencies, began, time.perf_counter()))


def embedded_times(hall_file: Path, url: str, count: int) -> list[float]:
    from hall.queue import QueueEngine
    from hall.spec import load_hall
    from tests.conftest import OPEN_MORNING

    engine = QueueEngine(load_hall(hall_file), url, clock=lambda: OPEN_MORNING)
    times = []
    try:
        for i in range(count + 20):
            t0 = time.perf_counter()
            engine.issue_ticket(SERVICES[i % len(SERVICES)])
            if i >= 20:
                times.append(time.perf_counter() - t0)
    finally:
        engine.close()
    return times


def start_server(folder: Path, database: str, hall_file: Path, devices: int):
    from hall import accounts
    from hall.queue import QueueEngine
    from hall.schemas import DeviceKind, Role
    from hall.spec import load_hall
    from tests.conftest import OPEN_MORNING
    from tests.support.servers import FileClock, ServerProcess

    engine = QueueEngine(load_hall(hall_file), database)
    now = datetime.now(timezone.utc)
    with engine.transaction() as session:
        tokens = [accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=f"kiosk-{i:02d}",
                                      kind=DeviceKind.KIOSK, now=now) for i in range(devices)]
        display = accounts.add_device(session, hall_id=engine.spec.hall.id, device_id="display",
                                      kind=DeviceKind.DISPLAY, now=now)
        accounts.add_staff(session, hall_id=engine.spec.hall.id, spec=engine.spec, job_no="9001", name="值班长",
                           role=Role.SUPERVISOR, counters=[], password="bench password", now=now)
    engine.close()
    server = ServerProcess(data_dir=folder, database=database, hall_file=hall_file,
                           clock=FileClock(folder / "clock.txt", OPEN_MORNING)).start()
    return server, tokens, display


def load_run(database_for, hall_file: Path, folder: Path, clients: int, total: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    database = database_for(folder)
    server, tokens, _ = start_server(folder, database, hall_file, clients)
    try:
        processes = min(PROCESSES, clients)
        groups = [tokens[i::processes] for i in range(processes)]
        per_client = max(1, total // clients)
        start, results = ctx.Barrier(processes + 1), ctx.Queue()
        workers = [ctx.Process(target=client_process, args=(server.url, g, per_client, 5, start, results))
                   for g in groups]
        for w in workers:
            w.start()
        start.wait()
        answers = [results.get(timeout=600) for _ in workers]
        for w in workers:
            w.join()
        latencies = [x for lat, _, _ in answers for x in lat]
        wall = max(e for _, _, e in answers) - min(b for _, b, _ in answers)
        return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                "throughput": len(latencies) / wall, "n": len(latencies)}
    finally:
        server.kill()


def event_latency(database_for, hall_file: Path, folder: Path, calls: int) -> dict:
    import requests

    from tests.hall.api.sse import Listener

    server, tokens, display = start_server(folder, database_for(folder), hall_file, 1)
    try:
        kiosk = requests.Session()
        kiosk.headers["Authorization"] = f"Bearer {tokens[0]}"
        for i in range(calls + 10):
            kiosk.post(f"{server.url}/api/v1/tickets", json={"service": "household"}, timeout=10)
        staff = requests.Session()
        login = staff.post(f"{server.url}/api/v1/session", json={"job_no": "9001", "password": "bench password"})
        staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]

        class Api:  # what Listener needs: a session and a base address
            http = requests.Session()
            base = server.url
        Api.http.headers["Authorization"] = f"Bearer {display}"
        listener = Listener(Api)
        listener.until("ready")
        times = []
        for i in range(calls + 10):
            t0 = time.perf_counter()
            staff.post(f"{server.url}/api/v1/counters/3/call-next", timeout=10)
            listener.until("called")
            elapsed = time.perf_counter() - t0
            staff.post(f"{server.url}/api/v1/counters/3/complete", timeout=10)
            listener.until("completed")
            if i >= 10:
                times.append(elapsed)
        listener.close()
        return {"p50": percentile(times, 50), "p99": percentile(times, 99), "n": len(times)}
    finally:
        server.kill()


@contextlib.contextmanager
def bench_halls(databases: tuple[str, ...] = ("SQLite", "PostgreSQL")) -> Iterator[tuple[Path, Path, dict]]:
    """A scratch folder, the sample hall with its quotas lifted, and the named databases,
    each a function giving a new empty database's URL for a folder: SQLite a file in it,
    PostgreSQL a throwaway server's database (the server stops at the end)."""
    from tests.hall.conftest import lift_quotas
    from tests.postgres import PostgresServer

    postgres = PostgresServer() if "PostgreSQL" in databases else None
    if postgres is not None:
        postgres.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            hall_file = tmp_path / "hall.toml"
            hall_file.write_text((ROOT / "config" / "hall.toml").read_text(encoding="utf-8"), encoding="utf-8")
            lift_quotas(hall_file)
            urls = {"SQLite": lambda folder: f"sqlite:///{folder / 'hall.db'}",
                    "PostgreSQL": lambda folder: postgres.reset()}
            yield tmp_path, hall_file, {name: urls[name] for name in databases}
    finally:
        if postgres is not None:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer tickets, for a smoke run")
    args = parser.parse_args()
    totals = {1: 300, 10: 1000, 50: 1500} if not args.quick else {1: 50, 10: 200, 50: 250}
    calls = 200 if not args.quick else 30

    with bench_halls() as (tmp_path, hall_file, databases):
        print("issue a ticket: p50 / p99 latency (ms) and throughput (tickets/s)")
        print(f"{'database':<11} {'clients':>7} {'p50':>8} {'p99':>8} {'tickets/s':>10}   "
              f"{'| embedded engine: p50':>22} {'p99':>6} {'tickets/s':>10}   {'HTTP/embedded':>13}")
        for name, database_for in databases.items():
            folder = tmp_path / f"{name}-embedded"
            folder.mkdir()
            embedded = embedded_times(hall_file, database_for(folder), 300 if not args.quick else 50)
            e50, e99 = percentile(embedded, 50), percentile(embedded, 99)
            e_rate = len(embedded) / sum(embedded)
            for clients, total in totals.items():
                folder = tmp_path / f"{name}-{clients}"
                folder.mkdir()
                r = load_run(database_for, hall_file, folder, clients, total)
                print(f"{name:<11} {clients:>7} {r['p50'] * 1000:>8.1f} {r['p99'] * 1000:>8.1f} "
                      f"{r['throughput']:>10.0f}   {e50 * 1000:>22.2f} {e99 * 1000:>6.2f} {e_rate:>10.0f}   "
                      f"{r['throughput'] / e_rate:>12.2f}x", flush=True)
        print("\nevent latency: call-next request sent -> SSE listener has the `called` event (ms)")
        for name, database_for in databases.items():
            folder = tmp_path / f"{name}-events"
            folder.mkdir()
            r = event_latency(database_for, hall_file, folder, calls)
            print(f"{name:<11} p50 {r['p50'] * 1000:6.1f}   p99 {r['p99'] * 1000:6.1f}   ({r['n']} calls)",
                  flush=True)


if __name__ == "__main__":
    main()
