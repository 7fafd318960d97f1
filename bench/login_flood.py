"""Ticket issue while logins flood the hall server: the issue-ticket latency (p50, p99) of
one kiosk over HTTP on 127.0.0.1, alone and while 16 clients post logins with random job
numbers and wrong passwords as fast as they are answered, side by side, on SQLite and on
PostgreSQL. The flood comes from one address (127.0.0.1), then from many: each client
moves to a new loopback address (127.1.C.N) whenever its address is slowed, as an attacker
holding many addresses would, so that the password checks are never idle. For reference,
the same 16 clients then send requests without credentials to `GET /api/v1/hall` (401): what
any flood of refused requests costs, whatever it asks.

The kiosk is measured with bench/server_tickets.py's client; the flood runs in a process of
its own, for at most FLOOD_SECONDS, and stops when the kiosk's tickets are measured. Server
and clients share this machine's 2 cores (and whatever else runs on it): compare the
columns of one run, not runs.

    .venv/bin/python bench/login_flood.py [--quick] [--tickets N] [--databases sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server_tickets import bench_halls, client_process, percentile, start_server  # noqa: E402

FLOOD_CLIENTS = 16
FLOOD_SECONDS = 300


FLOODS = {"one": "logins from one address", "many": "logins from many addresses",
          "unauthenticated": "GET /hall, no token (ref.)"}


def flood_process(url: str, kind: str, running, stop, results) -> None:
    """FLOOD_CLIENTS threads sending the FLOODS kind of request until `stop` is set (or
    FLOOD_SECONDS have passed); sends back the count of answers by status and error."""
    import http.client
    import json
    from urllib.parse import urlsplit

    address = urlsplit(url)
    answers: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + FLOOD_SECONDS

    def run(client: int) -> None:
        addresses = (f"127.1.{client}.{n}" for n in range(1, 255)) if kind == "many" else iter(["127.0.0.1"])
        mine: Counter = Counter()
        source = next(addresses)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30,
                                                source_address=(source, 0))
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if kind == "unauthenticated":
                    connection.request("GET", "/api/v1/hall")
                else:
                    body = json.dumps({"job_no": str(random.randrange(10**8)), "password": "not the password"})
                    connection.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                error = json.loads(answer.read())["error"]
            except OSError as exc:  # counted, and the client goes on on a new connection
                mine[f"no answer ({type(exc).__name__})"] += 1
                connection.close()
                continue
            mine[f"{answer.status} {error}"] += 1
            if error == "login_slowed" and kind == "many":
                connection.close()
                source = next(addresses, source)
                connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30,
                                                        source_address=(source, 0))
        connection.close()
        with lock:
            answers.update(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(1, FLOOD_CLIENTS + 1)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    running.set()
    for t in threads:
        t.join()
    results.put((dict(answers), time.perf_counter() - began))


def issue_latencies(ctx, url: str, token: str, tickets: int) -> list[float]:
    start, results = ctx.Barrier(2), ctx.Queue()
    kiosk = ctx.Process(target=client_process, args=(url, [token], tickets, 5, start, results))
    kiosk.start()
    start.wait()
    latencies, _, _ = results.get(timeout=FLOOD_SECONDS)
    kiosk.join()
    return latencies


def under_flood(ctx, url: str, token: str, tickets: int, kind: str) -> tuple[list[float], dict, float]:
    running, stop, results = ctx.Event(), ctx.Event(), ctx.Queue()
    flood = ctx.Process(target=flood_process, args=(url, kind, running, stop, results))
    flood.start()
    running.wait(timeout=60)
    time.sleep(1)  # the flood is under way before the first ticket
    try:
        latencies = issue_latencies(ctx, url, token, tickets)
    finally:
        stop.set()
    answers, seconds = results.get(timeout=FLOOD_SECONDS + 60)
    flood.join()
    return latencies, answers, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer tickets, SQLite only, for a smoke run")
    parser.add_argument("--tickets", type=int, default=200, help="tickets measured per column (200)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    args = parser.parse_args()
    tickets = 20 if args.quick else args.tickets
    chosen = ["sqlite"] if args.quick else [d.strip() for d in args.databases.split(",")]
    unknown = set(chosen) - {"sqlite", "postgresql"}
    if unknown or tickets < 1:
        parser.error(f"--databases takes sqlite and postgresql, --tickets a count from 1; not {args}")

    ctx = multiprocessing.get_context("spawn")
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    with bench_halls(tuple(names[d] for d in chosen)) as (tmp_path, hall_file, databases):
        print(f"issue a ticket, one kiosk: p50 / p99 latency (ms), {tickets} tickets each; "
              f"login flood of {FLOOD_CLIENTS} clients")
        print(f"{'database':<11} {'':<27} {'p50':>7} {'p99':>7} {'p50 ×':>6} {'p99 ×':>6}   flood answers/s")
        for name, database_for in databases.items():
            folder = tmp_path / name
            folder.mkdir()
            server, tokens, _ = start_server(folder, database_for(folder), hall_file, 1)
            try:
                alone = issue_latencies(ctx, server.url, tokens[0], tickets)
                a50, a99 = percentile(alone, 50), percentile(alone, 99)
                print(f"{name:<11} {'alone':<27} {a50 * 1000:>7.1f} {a99 * 1000:>7.1f}", flush=True)
                for kind, label in FLOODS.items():
                    latencies, answers, seconds = under_flood(ctx, server.url, tokens[0], tickets, kind)
                    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
                    rates = ", ".join(f"{what} {n / seconds:.0f}" for what, n in sorted(answers.items()))
                    print(f"{name:<11} {label:<27} {p50 * 1000:>7.1f} {p99 * 1000:>7.1f} "
                          f"{p50 / a50:>6.2f} {p99 / a99:>6.2f}   {rates}", flush=True)
            finally:
                server.kill()


if __name__ == "__main__":
    main()
