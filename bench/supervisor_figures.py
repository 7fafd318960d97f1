"""The queries behind the supervisor's page, on a month of ratings, on SQLite and on
PostgreSQL: the figures per staff member, counter, service, department and day (satisfaction
over time, the staff flagged), the levels given, the waiting and service times, the open
follow-up cases and whom to phone back. Target: p99 at most 200 ms per query with 1,000,000
ratings in the month.

The month (November 2026, the sample hall) is written straight into the tables of a database
at revision 0007 with bulk inserts (executemany on SQLite, COPY on PostgreSQL), each database
given at most `--load-limit` seconds: about 90 % of transactions rated, 6 % of ratings bad,
each with its case (all but the last days' finished), a fifth of the transactions chosen for
a call-back. Opening it then upgrades it, and migration 0008 counts the daily totals the
figures are read from; its time is printed. Each query then runs `--runs` times after one
warm-up, timed from the call to the last row, through the same functions the API calls; that
is one round, and there are `--rounds` of them, each printed as p50 and p99 and summed up as
min/median/max over the rounds, with the load average seen after each.

    .venv/bin/python bench/supervisor_figures.py [--ratings 1000000] [--runs 20] [--rounds 3]

The machine's 2 cores are shared with whatever else runs on it: compare the figures within
one run, and read the load averages beside them.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MONTH = [date(2026, 11, d) for d in range(1, 31) if date(2026, 11, d).weekday() < 5]
STAFF = [f"{n:04d}" for n in range(101, 141)]   # 40 staff members
RATED_SHARE = 0.9
BAD_SHARE = 0.06
BATCH = 50_000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def month_rows(spec, ratings: int, seed: int = 19):
    """Yields (ticket, served, rating or None, case or None) row tuples for the month."""
    rng = random.Random(seed)
    transactions = int(ratings / RATED_SHARE)
    per_day = -(-transactions // len(MONTH))
    counters = [(c.id, c.services) for c in spec.counters]
    zone = spec.zone
    ticket_id = rating_id = case_id = 0
    last_day = MONTH[-1]
    for day in MONTH:
        opening = datetime(day.year, day.month, day.day, 8, 30, tzinfo=zone).astimezone(timezone.utc)
        for n in range(per_day):
            if ticket_id >= transactions:
                return
            ticket_id += 1
            counter, services = counters[n % len(counters)]
            service = services[rng.randrange(len(services))]
            staff = STAFF[(n % len(counters)) * 5 + rng.randrange(5)]
            issued = opening + timedelta(seconds=rng.randrange(8 * 3600))
            called = issued + timedelta(seconds=int(rng.expovariate(1 / 900)))
            completed = called + timedelta(seconds=60 + int(rng.expovariate(1 / 420)))
            number = f"{n:07d}"
            ticket = (ticket_id, spec.hall.id, day, service, service, "A", n + 1, number, "normal", "completed",
                      issued, called, completed, counter, None, 0, None)
            rated = ticket_id <= ratings
            callback_due = ticket_id % 5 == 0
            phone = "13800138000" if callback_due and not rated and n % 3 == 0 else None
            served = (ticket_id, spec.hall.id, day, service, spec.department_of(service), counter, staff, completed,
                      completed + timedelta(seconds=60), completed + timedelta(days=2),
                      "rated" if rated else "not_rated", callback_due, None, phone)
            rating = case = None
            if rated:
                rating_id += 1
                bad = rng.random() < BAD_SHARE
                level = rng.choice((1, 2)) if bad else rng.choice((3, 4, 4, 5, 5, 5))
                rated_at = completed + timedelta(seconds=20)
                rating = (rating_id, spec.hall.id, ticket_id, service, spec.department_of(service), counter, staff,
                          level, "slow" if bad else "", "", "counter", False, rated_at, False)
                if bad:
                    case_id += 1
                    finished = day < last_day - timedelta(days=7)
                    case = (case_id, spec.hall.id, rating_id, ticket_id, "closed" if finished else "open", rated_at,
                            day + timedelta(days=7), rated_at + timedelta(days=3) if finished else None)
            yield ticket, served, rating, case


COLUMNS = {
    "tickets": "id, hall_id, day, issued_service, service, prefix, seq, number, priority, status, issued_at, "
               "called_at, completed_at, counter, target_counter, recalls, person_hash",
    "served_tickets": "ticket_id, hall_id, day, service, department, counter, staff_job_no, completed_at, "
                      "prompt_until, rateable_until, rating_state, callback_due, callback_at, phone",
    "ratings": "id, hall_id, ticket_id, service, department, counter, staff_job_no, level, reasons, comment, "
               "channel, identified, rated_at, set_aside",
    "rating_cases": "id, hall_id, rating_id, ticket_id, state, opened_at, due, finished_at",
}


class TooSlow(RuntimeError):
    pass


def fill(engine, rows, *, limit: float) -> None:
    """Bulk inserts, a batch of each table at a time: executemany on SQLite, COPY on PostgreSQL;
    given up after `limit` seconds."""
    from tests.support.history import naive_utc, sqlite_value

    deadline = time.monotonic() + limit
    batches: dict[str, list] = {table: [] for table in COLUMNS}
    raw = engine.raw_connection()
    try:
        postgres = engine.dialect.name == "postgresql"

        def flush() -> None:
            cursor = raw.cursor()
            for table, batch in batches.items():
                if not batch:
                    continue
                if postgres:
                    with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row([naive_utc(v) for v in row])
                else:
                    marks = ", ".join("?" * len(batch[0]))
                    cursor.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})",
                                       [[sqlite_value(v) for v in row] for row in batch])
                batch.clear()
            raw.commit()

        for ticket, served, rating, case in rows:
            batches["tickets"].append(ticket)
            batches["served_tickets"].append(served)
            if rating:
                batches["ratings"].append(rating)
            if case:
                batches["rating_cases"].append(case)
            if len(batches["tickets"]) >= BATCH:
                flush()
                if time.monotonic() > deadline:
                    raise TooSlow(f"the month was not written within {limit:.0f} s")
        flush()
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def queries(spec):
    from hall.ratings import callbacks, cases, figures
    from hall.ratings.terms import Grouping

    start, end = MONTH[0].replace(day=1), date(2026, 11, 30)
    now = datetime(2026, 11, 30, 17, 0, tzinfo=spec.zone)
    out = {f"figures by {g.value}": (lambda s, g=g: figures.figures(s, spec=spec, by=g, start=start, end=end))
           for g in Grouping}
    out["levels"] = lambda s: figures.levels(s, spec=spec, start=start, end=end)
    out["waiting and service times"] = lambda s: figures.durations(s, spec=spec, start=start, end=end)
    out["open cases"] = lambda s: cases.cases(s, spec=spec, now=now, unfinished=True)
    out["whom to call back"] = lambda s: callbacks.due_calls(s, spec=spec)
    return out


def measure(engine, spec, runs: int) -> dict[str, list[float]]:
    """One round: each query once to warm up, then `runs` times."""
    from sqlalchemy.orm import sessionmaker

    from hall.db import read_only

    reading = sessionmaker(read_only(engine))
    times: dict[str, list[float]] = {}
    for name, query in queries(spec).items():
        with reading.begin() as session:
            query(session)  # warm-up
        for _ in range(runs):
            with reading.begin() as session:
                t0 = time.perf_counter()
                query(session)
                times.setdefault(name, []).append(time.perf_counter() - t0)
    return times


def load(url: str, spec, ratings: int, limit: float) -> float:
    """Writes the month into a database at revision 0007 and upgrades it; returns the seconds
    migration 0008 took to count the totals."""
    from alembic import command
    from sqlalchemy import create_engine

    from hall.db import make_engine
    from hall.migrations import runner

    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(runner.config(connection), "0007")
    fill(engine, month_rows(spec, ratings), limit=limit)
    engine.dispose()
    t0 = time.perf_counter()
    make_engine(url).dispose()
    return time.perf_counter() - t0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def spread(values: list[float]) -> str:
    return f"{min(values) * 1000:.1f}/{statistics.median(values) * 1000:.1f}/{max(values) * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=int, default=1_000_000, help="ratings in the month")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each query in a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, summed up as min/median/max")
    parser.add_argument("--load-limit", type=float, default=1800, help="seconds each database may take to be filled")
    args = parser.parse_args()
    if args.ratings < 100 or args.runs < 1 or args.rounds < 1 or args.load_limit <= 0:
        parser.error("give --ratings of 100 or more, --runs and --rounds of 1 or more, a positive --load-limit")

    from hall.db import make_engine
    from hall.spec import load_hall
    from tests.postgres import PostgresServer

    spec = load_hall(ROOT / "config" / "hall.toml")
    postgres = PostgresServer()
    postgres.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            databases = {"SQLite": f"sqlite:///{Path(tmp) / 'hall.db'}", "PostgreSQL": postgres.reset()}
            engines = {}
            for name, url in databases.items():
                t0 = time.perf_counter()
                try:
                    migrated = load(url, spec, args.ratings, args.load_limit)
                except TooSlow as exc:
                    sys.exit(f"{name}: {exc}; give a smaller --ratings or a larger --load-limit")
                print(f"{name}: the month written and upgraded in {time.perf_counter() - t0:.1f} s "
                      f"({args.ratings} ratings, {len(MONTH)} working days); migration 0008 counted its totals in "
                      f"{migrated:.1f} s", flush=True)
                engines[name] = make_engine(url)
            # rounds[database][query] = one (p50, p99) per round; the databases take turns.
            rounds: dict[str, dict[str, list[tuple[float, float]]]] = {name: {} for name in engines}
            for n in range(args.rounds):
                for name, engine in engines.items():
                    for query, times in measure(engine, spec, args.runs).items():
                        rounds[name].setdefault(query, []).append((percentile(times, 50), percentile(times, 99)))
                    print(f"round {n + 1}, {name}: load average {loadavg()}", flush=True)
            for engine in engines.values():
                engine.dispose()
            print(f"\nper query, {args.runs} runs a round, {args.rounds} rounds: p50 and p99 in ms, "
                  "min/median/max over the rounds")
            print(f"{'query':<28}" + "".join(f"{name + ' p50':>22}{name + ' p99':>22}" for name in rounds))
            for query in rounds["SQLite"]:
                line = f"{query:<28}"
                for per_query in rounds.values():
                    line += f"{spread([p50 for p50, _ in per_query[query]]):>22}"
                    line += f"{spread([p99 for _, p99 in per_query[query]]):>22}"
                print(line)
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
