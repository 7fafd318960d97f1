"""The lights of the open cases recomputed for a new day (hall.matters.lights.recompute), on
SQLite and on PostgreSQL. Target: at most 2 s with 100,000 open cases.

The sample hall's cases are written straight into a fresh database: `--cases` open ones
accepted over the weeks before Wednesday 2 December 2026, due from a fortnight ago to six
weeks ahead, a tenth waiting for documents, with as many closed ones beside them; their
lights as of the day before, and the hall telling a webhook and a mail server, so that each
case that turns owes two notices. Each run recomputes the lights for the new day, from the
call to its commit, with the lights of the day before put back (untimed, then on PostgreSQL
VACUUM ANALYZE, as its autovacuum would) in between; the
baseline is the same recompute run again on the same day, when nothing turns: the cost of
finding the few among many. Runs and baselines alternate; each is printed as min/median/max
with the load average after each.

    .venv/bin/python bench/matters_lights.py [--cases 100000] [--runs 5]

The machine's 2 cores are shared with whatever else runs on it: read the load averages
beside the figures.
"""
from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.matter_cases import TODAY, case_row, loadavg, spread, write  # noqa: E402


def rows(spec, catalogue, count: int, seed: int = 23):
    """Open and closed cases, as dicts for the matter_cases table."""
    from hall.matters.deadlines import due_day, light_on

    rng = random.Random(seed)
    promised = [e for e in catalogue.entries if e.matter.kind == "promised"]
    yesterday = TODAY - timedelta(days=1)
    for n in range(2 * count):
        entry = promised[n % len(promised)]
        accepted = TODAY - timedelta(days=rng.randrange(1, 60))
        due = due_day(spec.hours, accepted=accepted, promised_days=entry.matter.days)
        is_open = n < count
        paused = is_open and n % 10 == 0
        at = datetime(accepted.year, accepted.month, accepted.day, 2, tzinfo=timezone.utc)
        yield case_row(spec, entry, n=n, accepted=accepted, due=due,
                       state=("waiting_documents" if paused else "in_progress") if is_open else "completed",
                       paused_since=yesterday if paused else None,
                       closed_at=None if is_open else at + timedelta(days=3),
                       light=light_on(spec.hours, due=due, today=yesterday, yellow_days=1).value if is_open else None)


def load(url: str, spec, catalogue, count: int) -> None:
    from hall.models import MatterCase

    write(url, [(MatterCase.__table__, rows(spec, catalogue, count))])


def put_back(queue, spec, url: str) -> None:
    """The lights as they stood the day before, the notices and light events gone."""
    from sqlalchemy import text

    from hall.hours import add_working_days

    yesterday = TODAY - timedelta(days=1)
    yellow_until = add_working_days(spec.hours, yesterday, 1)
    with queue.transaction() as session:
        session.execute(text("delete from matter_notices"))
        session.execute(text("delete from events where kind = 'matter_light'"))
        session.execute(text("update matter_cases set light = case when due < :y then 'red' "
                             "when due <= :u then 'yellow' else 'green' end where closed_at is null "
                             "and paused_since is null"), {"y": yesterday, "u": yellow_until})
    tidy(url)


def tidy(url: str) -> None:
    """What the database's own housekeeping (autovacuum) does after the bulk writes: on
    PostgreSQL, the dead rows of the put-back removed and the statistics brought up to date."""
    from sqlalchemy import create_engine

    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.exec_driver_sql("VACUUM ANALYZE matter_cases")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000, help="open cases (as many closed ones beside them)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs and baselines, alternating (3 or more)")
    args = parser.parse_args()
    if args.cases < 10 or args.runs < 3:
        parser.error("give --cases of 10 or more and --runs of 3 or more")

    from hall.matters import lights
    from hall.matters.catalogue import load_catalogue
    from hall.matters.supervision import Mail, Supervision, Webhook
    from hall.queue import QueueEngine
    from hall.spec import load_hall
    from tests.postgres import PostgresServer

    logging.getLogger("hall").setLevel(logging.ERROR)  # each turn's log line is not what is measured
    spec = load_hall(ROOT / "config" / "hall.toml")
    catalogue = load_catalogue(ROOT / "config" / "hall.toml", spec)
    postgres = PostgresServer()
    postgres.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            secret = Path(tmp) / "webhook.key"
            secret.write_text("k" * 40)
            supervision = Supervision(
                yellow_days=1, hall_leader="李华", mail=Mail(host="127.0.0.1", sender="a@b.cn", to=["c@d.cn"]),
                webhook=Webhook(url="http://127.0.0.1:9/notices", secret_file=secret))
            databases = {"SQLite": f"sqlite:///{Path(tmp) / 'hall.db'}", "PostgreSQL": postgres.reset()}
            now = datetime(TODAY.year, TODAY.month, TODAY.day, 0, 5, tzinfo=spec.zone)
            for name, url in databases.items():
                t0 = time.perf_counter()
                load(url, spec, catalogue, args.cases)
                print(f"{name}: {args.cases} open and {args.cases} closed cases written in "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
                queue = QueueEngine(spec, url)
                timed, baseline, turned = [], [], 0
                for n in range(args.runs):
                    put_back(queue, spec, url)
                    t0 = time.perf_counter()
                    with queue.transaction() as session:
                        changes = lights.recompute(session, spec=spec, supervision=supervision, now=now)
                    timed.append(time.perf_counter() - t0)
                    turned = sum(len(c.numbers) for c in changes)
                    t0 = time.perf_counter()
                    with queue.transaction() as session:
                        again = lights.recompute(session, spec=spec, supervision=supervision, now=now)
                    baseline.append(time.perf_counter() - t0)
                    assert not again
                    print(f"  run {n + 1}: load average {loadavg()}", flush=True)
                queue.close()
                print(f"{name}: lights of {args.cases} open cases for a new day ({turned} turned, "
                      f"{2 * turned} notices): {spread(timed)} s min/median/max; "
                      f"baseline (nothing turns): {spread(baseline)} s", flush=True)
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
