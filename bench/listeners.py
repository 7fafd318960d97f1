"""Listeners: issuing tickets over HTTP at 10 clients with no live stream open, and with
1,000 streams of the public display's events open (the phone pages of a busy hall), on the
same server in one run, alternated over the runs (none first, then streams first, ...).

The streams are held by one process of their own over real HTTP on 127.0.0.1 (asyncio,
uvloop); they only gather the bytes while tickets are issued, and are checked afterwards:
every stream got every public event after its start, in order, each once, the same
messages as every other stream. The figures: issue p50 / p99 and throughput with none and
with the streams, their ratio (target: p99 with 1,000 streams under 2x that with none), and
how long after the last ticket's answer every stream held its event.

    .venv/bin/python bench/listeners.py [--streams 1000] [--tickets 600] [--runs 3] [--database sqlite|postgresql|both]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_tickets import bench_halls, load, percentile, start_server  # noqa: E402

CLIENTS = 10


class Stream(asyncio.Protocol):
    def __init__(self, request: bytes):
        self.request = request
        self.raw = bytearray()
        self.open = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.raw += data
        if not self.open.done() and b"\r\n\r\n" in self.raw:
            self.open.set_result(self.raw.startswith(b"HTTP/1.1 200"))

    def connection_lost(self, exc) -> None:
        if not self.open.done():
            self.open.set_result(False)


def body(raw: bytes) -> bytes:
    """The body of a chunked HTTP response (the head cut off), its chunks joined."""
    head, _, rest = bytes(raw).partition(b"\r\n\r\n")
    out, at = [], 0
    while at < len(rest):
        line_end = rest.find(b"\r\n", at)
        if line_end < 0:
            break
        size = int(rest[at:line_end], 16)
        if size == 0:
            break
        out.append(rest[line_end + 2:line_end + 2 + size])
        at = line_end + 2 + size + 2
    return b"".join(out)


def events_of(data: bytes) -> list[tuple[int, bytes]]:
    """(id, message) of each event message; ticks, the retry line and comments left out."""
    found = []
    for message in data.split(b"\n\n"):
        if message.startswith(b"id: "):
            found.append((int(message[4:message.index(b"\n")]), message))
    return found


def stream_holder(port: int, connection) -> None:
    """Holds the streams, on commands from the bench: open COUNT AFTER, wait LAST, check IDS, close."""
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        streams: list[Stream] = []
        while True:
            command, *args = await loop.run_in_executor(None, connection.recv)
            if command == "open":
                count, after = args
                request = (f"GET /api/v1/display/events?after={after} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Accept: text/event-stream\r\n\r\n").encode()
                for start in range(0, count, 100):
                    made = [await loop.create_connection(lambda: Stream(request), "127.0.0.1", port)
                            for _ in range(min(100, count - start))]
                    streams.extend(protocol for _, protocol in made)
                opened = [await s.open for s in streams]
                connection.send(all(opened))
            elif command == "wait":
                marker = b"id: %d\n" % args[0]
                began, pending = time.perf_counter(), streams
                while pending and time.perf_counter() - began < 120:
                    pending = [s for s in pending if marker not in s.raw[-4096:]]
                    await asyncio.sleep(0.005)
                connection.send(time.perf_counter())
            elif command == "check":
                expected = args[0]
                problems, reference = [], None
                for n, s in enumerate(streams):
                    got = events_of(body(s.raw))
                    ids = [i for i, _ in got]
                    if ids != expected:
                        missing = sorted(set(expected) - set(ids))
                        problems.append(f"stream {n}: {len(ids)} events, {len(missing)} missing "
                                        f"(first {missing[:3]}), in order: {ids == sorted(ids)}")
                    elif reference is None:
                        reference = got
                    elif got != reference:
                        problems.append(f"stream {n}: other messages than stream 0's")
                connection.send(problems)
            elif command == "close":
                for s in streams:
                    s.transport.close()
                streams = []
                connection.send(True)
            else:
                return

    uvloop.run(main())


def issue_load(url: str, tokens: list[str], total: int) -> tuple[list[float], float, float]:
    """Tickets issued by CLIENTS kiosks at once: latencies (s), wall time of the measured
    part, and when the last answer came."""
    r = load(url, tokens, len(tokens), total)
    return r["latencies"], r["wall"], r["ended"]


def public_ids(server, after: int) -> list[int]:
    from hall.api.routes.display import PUBLIC_KINDS

    kinds = ", ".join(f"'{k}'" for k in PUBLIC_KINDS)
    return [r[0] for r in server_rows(server, f"select id from events where id > {after} and kind in ({kinds}) "
                                              "order by id")]


def server_rows(server, sql: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(server.args["database"])
    try:
        with engine.connect() as con:
            return [tuple(r) for r in con.execute(text(sql))]
    finally:
        engine.dispose()


def one_run(database_for, hall_file: Path, folder: Path, streams_first: bool, count: int, total: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    server, tokens, _ = start_server(folder, database_for(folder), hall_file, CLIENTS)
    holder_end, bench_end = ctx.Pipe()
    holder = ctx.Process(target=stream_holder, args=(server.port, holder_end))
    holder.start()
    figures = {}
    try:
        for with_streams in ((True, False) if streams_first else (False, True)):
            if not with_streams:
                latencies, wall, _ = issue_load(server.url, tokens, total)
                figures["none"] = (latencies, wall)
                continue
            after = server_rows(server, "select coalesce(max(id), 0) from events")[0][0]
            bench_end.send(("open", count, after))
            if not bench_end.recv():
                raise RuntimeError("a stream did not open")
            latencies, wall, ended = issue_load(server.url, tokens, total)
            expected = public_ids(server, after)
            bench_end.send(("wait", expected[-1]))
            all_held = bench_end.recv()
            bench_end.send(("check", expected))
            problems = bench_end.recv()
            if problems:
                raise RuntimeError(f"{len(problems)} streams wrong: " + "; ".join(problems[:5]))
            bench_end.send(("close",))
            bench_end.recv()
            figures["streams"] = (latencies, wall)
            figures["lag"] = all_held - ended
            figures["events"] = len(expected)
    finally:
        bench_end.send(("end",))
        holder.join(timeout=30)
        server.kill()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=600, help="tickets issued in each measured part")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    names = {"sqlite": ("SQLite",), "postgresql": ("PostgreSQL",), "both": ("SQLite", "PostgreSQL")}[args.database]
    print(f"issue a ticket at {CLIENTS} clients, {args.tickets} tickets, with no stream and with {args.streams} "
          f"display streams open; load average {os.getloadavg()[0]:.1f}")
    with bench_halls(names) as (tmp_path, hall_file, databases):
        for name, database_for in databases.items():
            rows = []
            for run in range(args.runs):
                folder = tmp_path / f"{name}-{run}"
                folder.mkdir()
                f = one_run(database_for, hall_file, folder, run % 2 == 1, args.streams, args.tickets)
                row = {}
                for part in ("none", "streams"):
                    latencies, wall = f[part]
                    row[part] = (percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000,
                                 len(latencies) / wall)
                row["lag"], row["events"] = f["lag"] * 1000, f["events"]
                rows.append(row)
                print(f"{name} run {run + 1} ({'streams' if run % 2 else 'none'} first): "
                      f"none p50 {row['none'][0]:.1f} p99 {row['none'][1]:.1f} ms {row['none'][2]:.0f}/s | "
                      f"{args.streams} streams p50 {row['streams'][0]:.1f} p99 {row['streams'][1]:.1f} ms "
                      f"{row['streams'][2]:.0f}/s | p99 ratio {row['streams'][1] / row['none'][1]:.2f}x | "
                      f"every stream had all {row['events']} events in order {row['lag']:.0f} ms after the last "
                      f"answer", flush=True)

            def spread(values) -> str:
                return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"
            print(f"{name} min / median / max over {args.runs} runs:")
            for part, label in (("none", "no stream"), ("streams", f"{args.streams} streams")):
                print(f"  {label:<14} p50 {spread([r[part][0] for r in rows])} ms   "
                      f"p99 {spread([r[part][1] for r in rows])} ms   "
                      f"tickets/s {spread([r[part][2] for r in rows])}")
            print(f"  p99 with streams / without: {spread([r['streams'][1] / r['none'][1] for r in rows])}x "
                  f"[target < 2x]; last event held by every stream after "
                  f"{spread([r['lag'] for r in rows])} ms")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
