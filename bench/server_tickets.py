"""The hall server under load, on SQLite and on PostgreSQL, in one run:

- PostgreSQL's round trips per ticket issued (statements in its log);
- issue-ticket latency (p50, p99) and throughput with 1, 10 and 50 concurrent clients over
  HTTP on 127.0.0.1, each request with its idempotency key as a kiosk sends it, the two
  databases side by side, alternated over 3 runs (min / median / max), beside the embedded
  engine's own single-writer rate (QueueEngine in-process, one thread): the /engine column
  is the server's median throughput as a share of it, the price of HTTP, authentication and
  the idempotency record;
- PostgreSQL with 1, 2 and 4 worker processes (`python -m hall serve --workers N`) at 10
  and 50 clients;
- event latency: from a counter's call-next request leaving to an SSE listener holding the
  `called` event.

Clients run in 4 processes of threads on kept-alive connections; server and clients share
this machine's 2 cores (and whatever else runs on it), so the figures are indicative.

    .venv/bin/python bench/server_tickets.py [--quick] [--part issue|workers|events|all]
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
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
    server, tokens, _ = start_server(folder, database_for(folder), hall_file, clients)
    try:
        return load(server.url, tokens, clients, total)
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
            def postgresql(folder: Path) -> str:
                return postgres.reset()
            postgresql.log = postgres.folder / "server.log" if postgres is not None else None
            urls = {"SQLite": lambda folder: f"sqlite:///{folder / 'hall.db'}", "PostgreSQL": postgresql}
            yield tmp_path, hall_file, {name: urls[name] for name in databases}
    finally:
        if postgres is not None:
            postgres.stop()


def always_open(hall_file: Path, folder: Path) -> Path:
    """The hall open all day every day, for servers on the wall clock (`python -m hall serve`)."""
    import re

    days = "\n".join(f'{d} = ["00:00-23:59"]' for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                           "saturday", "sunday"))
    path = folder / "always-open.toml"
    path.write_text(re.sub(r"\[hours\].*?\n\n", f"[hours]\n{days}\nstop_issuing_minutes = 0\n\n",
                           hall_file.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    return path


class Served:
    """`python -m hall serve --workers N` on a database, its kiosks' tokens made first."""

    def __init__(self, folder: Path, database: str, hall_file: Path, workers: int, devices: int):
        import subprocess

        import requests

        from hall import accounts
        from hall.queue import QueueEngine
        from hall.schemas import DeviceKind
        from hall.spec import load_hall
        from tests.postgres import free_port
        from tests.support.waiting import until

        engine = QueueEngine(load_hall(hall_file), database)
        now = datetime.now(timezone.utc)
        with engine.transaction() as session:
            self.tokens = [accounts.add_device(session, hall_id=engine.spec.hall.id, device_id=f"kiosk-{i:02d}",
                                               kind=DeviceKind.KIOSK, now=now) for i in range(devices)]
        engine.close()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(folder / "server.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hall", "serve", "--workers", str(workers), "--port", str(port), "--database",
             database, "--hall", str(hall_file), "--data-dir", str(folder)], cwd=ROOT, stdout=self.log,
            stderr=subprocess.STDOUT)

        def answered() -> bool:
            try:
                return requests.get(f"{self.url}/api/v1/hall", timeout=1).status_code == 401
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text()[-3000:]) from None
                return False
        until(answered, seconds=60, every=0.1, what="the server to answer")
        time.sleep(2 * workers)  # every worker up (each answers once its app has started)

    def kill(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def load(url: str, tokens: list[str], clients: int, total: int) -> dict:
    """Tickets issued by `clients` kiosks at once, in PROCESSES processes of threads."""
    ctx = multiprocessing.get_context("spawn")
    processes = min(PROCESSES, clients)
    groups = [tokens[i::processes] for i in range(processes)]
    start, results = ctx.Barrier(processes + 1), ctx.Queue()
    workers = [ctx.Process(target=client_process, args=(url, g, max(1, total // clients), 5, start, results))
               for g in groups]
    for w in workers:
        w.start()
    start.wait()
    answers = [results.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    latencies = [x for lat, _, _ in answers for x in lat]
    ended = max(e for _, _, e in answers)
    wall = ended - min(b for _, b, _ in answers)
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "throughput": len(latencies) / wall,
            "latencies": latencies, "wall": wall, "ended": ended}


def round_trips(database_for, hall_file: Path, folder: Path, tickets: int = 20) -> float:
    """Statements PostgreSQL executes per ticket issued over HTTP by one client (each a round
    trip), counted in its log with log_statement = all: the ticket's transaction, its
    connection's ping if any, and the live-event reader's reads it wakes."""
    import re

    import requests
    from sqlalchemy import create_engine, text

    database = database_for(folder)
    server, tokens, _ = start_server(folder, database, hall_file, 1)
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    try:
        kiosk = requests.Session()
        kiosk.headers["Authorization"] = f"Bearer {tokens[0]}"

        def issue() -> None:
            kiosk.post(f"{server.url}/api/v1/tickets", json={"service": "household"},
                       headers={"Idempotency-Key": uuid.uuid4().hex}, timeout=10).raise_for_status()
        for _ in range(5):
            issue()
        with admin.connect() as con:
            con.execute(text("ALTER SYSTEM SET log_statement = 'all'"))
            con.execute(text("SELECT pg_reload_conf()"))
        time.sleep(1)
        log = database_for.log
        before = log.stat().st_size
        for _ in range(tickets):
            issue()
            time.sleep(0.05)  # the reader's read of the ticket's event is counted with it
        with admin.connect() as con:
            con.execute(text("ALTER SYSTEM RESET log_statement"))
            con.execute(text("SELECT pg_reload_conf()"))
        with open(log, "rb") as f:
            f.seek(before)
            lines = f.read().decode(errors="replace").splitlines()
        return sum(1 for line in lines if re.search(r"LOG:  (statement|execute)", line)
                   and "log_statement" not in line and "pg_reload_conf" not in line) / tickets
    finally:
        admin.dispose()
        server.kill()


def spread(values: list[float], digits: int = 1) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


def issue_table(tmp_path: Path, hall_file: Path, databases: dict, totals: dict, runs: int, embedded_count: int) -> None:
    print(f"issue a ticket over HTTP, {runs} runs alternating the databases; min / median / max of the runs; "
          f"load average {os.getloadavg()[0]:.1f}")
    figures: dict = {}
    names = list(databases)
    for run in range(runs):
        for name in (names if run % 2 == 0 else names[::-1]):
            database_for = databases[name]
            folder = tmp_path / f"{name}-embedded-{run}"
            folder.mkdir()
            embedded = embedded_times(hall_file, database_for(folder), embedded_count)
            figures.setdefault((name, "engine"), []).append(len(embedded) / sum(embedded))
            for clients, total in totals.items():
                folder = tmp_path / f"{name}-{clients}-{run}"
                folder.mkdir()
                r = load_run(database_for, hall_file, folder, clients, total)
                figures.setdefault((name, clients), []).append(r)
            print(f"  run {run + 1} {name}: engine {figures[(name, 'engine')][-1]:.0f}/s; " + "; ".join(
                f"{c} clients {figures[(name, c)][-1]['throughput']:.0f}/s p99 {figures[(name, c)][-1]['p99'] * 1000:.0f} ms"
                for c in totals), flush=True)
    print(f"{'clients':>7} | " + " | ".join(f"{n + ': p50 ms':>22} {'p99 ms':>22} {'tickets/s':>19} {'/engine':>7}"
                                             for n in names))
    for clients in totals:
        cells = []
        for name in names:
            rs, engine = figures[(name, clients)], statistics.median(figures[(name, "engine")])
            rates = [r["throughput"] for r in rs]
            cells.append(f"{spread([r['p50'] * 1000 for r in rs]):>22} {spread([r['p99'] * 1000 for r in rs]):>22} "
                         f"{spread(rates, 0):>19} {statistics.median(rates) / engine:>6.2f}x")
        print(f"{clients:>7} | " + " | ".join(cells))
    print("the engine's own single-writer rate (in-process, one thread), tickets/s: " + "; ".join(
        f"{n} {spread(figures[(n, 'engine')], 0)}" for n in names))
    if len(names) == 2 and 10 in totals:
        ratios = [a["throughput"] / b["throughput"] for a, b in zip(figures[(names[1], 10)], figures[(names[0], 10)])]
        print(f"{names[1]} / {names[0]} at 10 clients, run by run: {spread(ratios, 2)}", flush=True)


def workers_table(tmp_path: Path, hall_file: Path, database_for, totals: dict, runs: int,
                  counts: tuple[int, ...] = (1, 2, 4)) -> None:
    print(f"\nPostgreSQL, python -m hall serve --workers N: tickets/s and p99 (ms), min / median / max of {runs} "
          f"runs alternating the order; load average {os.getloadavg()[0]:.1f}")
    hall_file = always_open(hall_file, tmp_path)
    figures: dict = {}
    for run in range(runs):
        for workers in (counts if run % 2 == 0 else counts[::-1]):
            for clients, total in totals.items():
                folder = tmp_path / f"workers-{workers}-{clients}-{run}"
                folder.mkdir()
                server = Served(folder, database_for(folder), hall_file, workers, clients)
                try:
                    figures.setdefault((workers, clients), []).append(load(server.url, server.tokens, clients, total))
                finally:
                    server.kill()
    for workers in counts:
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: " + " | ".join(
            f"{clients} clients {spread([r['throughput'] for r in figures[(workers, clients)]], 0)}/s, p99 "
            f"{spread([r['p99'] * 1000 for r in figures[(workers, clients)]], 0)}" for clients in totals), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="one run of fewer tickets, 10 clients and up to 2 workers: a smoke run")
    parser.add_argument("--part", choices=("issue", "workers", "events", "all"), default="all")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    totals = {1: 300, 10: 1000, 50: 1500} if not args.quick else {10: 100}
    calls = 200 if not args.quick else 30

    with bench_halls() as (tmp_path, hall_file, databases):
        if args.part in ("issue", "all"):
            (tmp_path / "round-trips").mkdir()
            rt = round_trips(databases["PostgreSQL"], hall_file, tmp_path / "round-trips")
            print(f"PostgreSQL statements (round trips) per ticket issued over HTTP, one client: {rt:.1f}")
            issue_table(tmp_path, hall_file, databases, totals, runs, 300 if not args.quick else 50)
        if args.part in ("workers", "all"):
            workers_table(tmp_path, hall_file, databases["PostgreSQL"],
                          {10: 1000, 50: 1500} if not args.quick else {10: 100}, runs,
                          (1, 2, 4) if not args.quick else (1, 2))
        if args.part in ("events", "all"):
            print("\nevent latency: call-next request sent -> SSE listener has the `called` event (ms)")
            for name, database_for in databases.items():
                folder = tmp_path / f"{name}-events"
                folder.mkdir()
                r = event_latency(database_for, hall_file, folder, calls)
                print(f"{name:<11} p50 {r['p50'] * 1000:6.1f}   p99 {r['p99'] * 1000:6.1f}   ({r['n']} calls)",
                      flush=True)


if __name__ == "__main__":
    main()
