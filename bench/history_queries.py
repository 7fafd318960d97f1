"""What a page or a kiosk asks about today, against the years before it: each request of
tests.support.history.HallToday (the display board, the services, a ticket by number, the
counter's queue, the devices' health, today's ratings, ...) timed over HTTP on 127.0.0.1 on
a hall holding 0, 10,000, 100,000 and 1,000,000 tickets of earlier days with their events
(three each), completions and ratings, on SQLite and on PostgreSQL. Target: no figure grows
with the history.

Each history is written straight into its database (tests.support.history: executemany on
SQLite, COPY on PostgreSQL; PostgreSQL then analysed, as its autovacuum would), and a hall
server process starts on it, at 09:00 of a working day; a morning's work is done over HTTP
(20 tickets, 8 called, 7 completed and rated, a help call). The servers of every size run at
once: a round sends each request `--runs` times (after one warm-up) to each server in turn,
so that the sizes alternate and the machine's other load falls on all alike. Each cell is
p50 / p99 in ms, the median over the `--rounds`; under it, the p50's min-max over the rounds;
the load average after each round is printed.

    .venv/bin/python bench/history_queries.py [--sizes 0,10000,100000,1000000] [--runs 30] [--rounds 3]
    .venv/bin/python bench/history_queries.py --quick [--databases SQLite]   # a smoke run

The machine's 2 cores are shared with whatever else runs on it: compare within one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def hall_at(folder: Path, url: str, hall_file: Path, tickets: int):
    """A hall server process on a database with `tickets` tickets of earlier days and this
    morning's work; returns the server and its day (HallToday)."""
    from hall import accounts
    from hall.api.deps import SESSION_COOKIE
    from hall.db import make_engine
    from hall.models import Staff
    from hall.queue import QueueEngine
    from hall.schemas import DeviceKind, Role
    from hall.spec import load_hall
    from tests.conftest import OPEN_MORNING
    from tests.support.api_clients import Api, add_staff
    from tests.support.history import HallToday, write_history
    from tests.support.servers import FileClock, ServerProcess

    spec = load_hall(hall_file)
    engine = make_engine(url)
    t0 = time.perf_counter()
    write_history(engine, spec, tickets, before=OPEN_MORNING.date())
    written = time.perf_counter() - t0
    engine.dispose()
    hall = QueueEngine(spec, url, clock=lambda: OPEN_MORNING)
    try:
        with hall.transaction() as session:
            now = datetime.now(timezone.utc)
            kiosk = accounts.add_device(session, hall_id=spec.hall.id, device_id="kiosk-01", kind=DeviceKind.KIOSK,
                                        now=now)
            terminal = accounts.add_device(session, hall_id=spec.hall.id, device_id="counter-03",
                                           kind=DeviceKind.COUNTER, now=now, spec=spec, counters=["3"])
        add_staff(hall, "9001", Role.SUPERVISOR, ("3",))
        # Signed in as a login would sign in: Argon2's seconds on a loaded machine are no part
        # of what is measured here, and can outlast the client's 10 s.
        with hall.transaction() as session:
            grant = accounts.open_session(session, staff=session.get(Staff, (spec.hall.id, "9001")), counter="3",
                                          now=OPEN_MORNING)
    finally:
        hall.close()
    server = ServerProcess(data_dir=folder, database=url, hall_file=hall_file,
                           clock=FileClock(folder / "clock", OPEN_MORNING)).start()
    try:
        staff = Api(server.url)
        staff.http.cookies.set(SESSION_COOKIE, grant.token)
        staff.http.headers["X-CSRF-Token"] = grant.csrf_token
        day = HallToday(server.url, kiosk=Api(server.url, kiosk), terminal=Api(server.url, terminal), staff=staff)
        day.morning()
    except BaseException:
        server.kill()
        raise
    return server, day, written


def one_round(days: dict[int, object], runs: int) -> dict[int, dict[str, tuple[float, float]]]:
    """p50 and p99 (s) of each request at each size, the sizes taking turns request by request."""
    from bench.server_tickets import percentile

    requests = {size: day.requests() for size, day in days.items()}
    names = list(next(iter(requests.values())))
    out: dict[int, dict[str, tuple[float, float]]] = {size: {} for size in days}
    for name in names:
        for size in days:
            send = requests[size][name]
            answer = send()  # warm-up
            if answer.status_code >= 300:
                raise RuntimeError(f"{name} at {size:,} tickets: {answer.status_code} {answer.text[:300]}")
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                answer = send()
                times.append(time.perf_counter() - t0)
                if answer.status_code >= 300:
                    raise RuntimeError(f"{name} at {size:,} tickets: {answer.status_code} {answer.text[:300]}")
            out[size][name] = (percentile(times, 50), percentile(times, 99))
    return out


def report(database: str, sizes: list[int], rounds: list[dict[int, dict[str, tuple[float, float]]]]) -> None:
    names = list(rounds[0][sizes[0]])
    width = max(len(n) for n in names) + 2
    print(f"\n{database}: p50 / p99 ms (median of {len(rounds)} rounds); below, the p50's min-max over the rounds")
    print(f"{'request':<{width}}" + "".join(f"{f'{size:,} tickets':>22}" for size in sizes))
    for name in names:
        cells, spreads = [], []
        for size in sizes:
            p50s = [r[size][name][0] * 1000 for r in rounds]
            p99s = [r[size][name][1] * 1000 for r in rounds]
            cells.append(f"{statistics.median(p50s):.1f} / {statistics.median(p99s):.1f}")
            spreads.append(f"{min(p50s):.1f}-{max(p50s):.1f}")
        print(f"{name:<{width}}" + "".join(f"{c:>22}" for c in cells))
        print(f"{'':<{width}}" + "".join(f"{s:>22}" for s in spreads))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,10000,100000,1000000", help="tickets of earlier days, comma-separated")
    parser.add_argument("--runs", type=int, default=30, help="timed requests of each kind per size and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="SQLite,PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="histories of 0 and 500 tickets, 2 runs, 1 round")
    args = parser.parse_args()
    sizes = [0, 500] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs, rounds = (2, 1) if args.quick else (args.runs, args.rounds)
    databases = [d.strip() for d in args.databases.split(",")]
    if runs < 1 or rounds < 1 or any(s < 0 for s in sizes) or not set(databases) <= {"SQLite", "PostgreSQL"}:
        parser.error("give --runs and --rounds of 1 or more, sizes of 0 or more, databases SQLite and/or PostgreSQL")

    from bench.server_tickets import bench_halls
    from tests.postgres import PostgresServer

    # PostgreSQL apart: every size has a database of its own on one server, all at once.
    postgres = PostgresServer() if "PostgreSQL" in databases else None
    if postgres is not None:
        postgres.start()
    try:
        with bench_halls(("SQLite",)) as (tmp_path, hall_file, sqlite):
            for database in databases:
                servers, days = [], {}
                try:
                    for size in sizes:
                        folder = tmp_path / f"{database}-{size}"
                        folder.mkdir()
                        url = sqlite["SQLite"](folder) if database == "SQLite" else postgres.database(f"history_{size}")
                        server, day, written = hall_at(folder, url, hall_file, size)
                        servers.append(server)
                        days[size] = day
                        print(f"{database}: {size:,} tickets of earlier days written in {written:.1f} s", flush=True)
                    measured = []
                    for n in range(rounds):
                        measured.append(one_round(days, runs))
                        print(f"{database}: round {n + 1} done, load average {loadavg()}", flush=True)
                    report(database, sizes, measured)
                finally:
                    for server in servers:
                        server.kill()
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
