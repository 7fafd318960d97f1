"""The queries of the supervisor's page of cases (电子监察, /supervisor/matters and a case's
timeline), on SQLite and on PostgreSQL. Target: p99 at most 200 ms with 1,000,000 cases.

The sample hall's cases of the two years before Wednesday 2 December 2026 are written
straight into a fresh database (bench/matter_cases.py): `--cases` of them, accepted on
working days by 30 staff members across the catalogue's matters and departments, nearly all
closed (completed, a few late, returned or not accepted) a few days after, each with its
steps; one in 200 accepted in the last six weeks is still open, with its light, a tenth of
those waiting for documents. Each variant of the page (no filter, each light, a department,
a staff member, an earlier month) then runs the page's domain calls in one reading session
of the hall's server as its route does, `--runs` times after a warm-up, and so does a case's
timeline (random cases); then each page is asked as often over HTTP on 127.0.0.1, of that
server (in this process), by a supervisor signed in; that is one round, printed as p50 and p99 per query, and there are `--rounds` of
them, summed up as min/median/max of the rounds' p50 and p99, with the load average after each.

    .venv/bin/python bench/matters_supervision.py [--cases 1000000] [--runs 20] [--rounds 3]

The machine's 2 cores are shared with whatever else runs on it: read the load averages
beside the figures.
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.matter_cases import TODAY, case_row, loadavg, spread, write  # noqa: E402
from bench.server_tickets import percentile  # noqa: E402

STAFF = [f"{n:04d}" for n in range(301, 331)]
OPEN_SHARE = 1 / 200     # of all cases, accepted in the last six weeks and still open
WAITING_SHARE = 0.1      # of the open ones
MONTH = date(2026, 6, 1)  # the earlier month a supervisor looks back on


def working_days(spec) -> list[date]:
    from hall.hours import is_working_day

    days = [TODAY - timedelta(days=d) for d in range(730, 0, -1)]
    return [d for d in days if is_working_day(spec.hours, d)]


def cases(spec, catalogue, count: int, seed: int = 29):
    """The cases with their ids, oldest first, and each one's steps: (case row, step rows)."""
    from hall.matters.deadlines import due_day, light_on

    rng = random.Random(seed)
    days = working_days(spec)
    recent = TODAY - timedelta(days=42)
    recent_share = sum(d >= recent for d in days) / len(days)
    open_chance = OPEN_SHARE / recent_share
    entries = catalogue.entries
    promised = [e for e in entries if e.matter.days]
    dues: dict[tuple[date, int], date] = {}
    yesterday = TODAY - timedelta(days=1)

    def due(day: date, promised_days: int) -> date:
        if (day, promised_days) not in dues:
            dues[day, promised_days] = due_day(spec.hours, accepted=day, promised_days=promised_days)
        return dues[day, promised_days]

    for n in range(count):
        day = days[n * len(days) // count]
        staff = STAFF[rng.randrange(len(STAFF))]
        at = datetime(day.year, day.month, day.day, 2, tzinfo=timezone.utc)
        steps = [("open", "accepted", at)]
        if day >= recent and rng.random() < open_chance:
            entry = promised[rng.randrange(len(promised))]
            on = due(day, entry.matter.days)
            waiting = rng.random() < WAITING_SHARE
            state = "waiting_documents" if waiting else rng.choice(("accepted", "in_progress"))
            if state != "accepted":
                steps.append(("start", "in_progress", at + timedelta(hours=1)))
            if waiting:
                steps.append(("request_documents", state, at + timedelta(hours=2)))
            row = case_row(spec, entry, n=n, accepted=day, state=state, staff=staff, due=on,
                           paused_since=yesterday if waiting else None,
                           light=light_on(spec.hours, due=on, today=TODAY, yellow_days=1).value)
        else:
            entry = entries[rng.randrange(len(entries))]
            fate = rng.random()
            if fate < 0.03:
                steps = [("open", "not_accepted", at)]
                row = case_row(spec, entry, n=n, accepted=day, state="not_accepted", staff=staff, closed_at=at)
            else:
                on = due(day, entry.matter.days)
                closed = min(at + timedelta(days=rng.randrange(0, 2 * entry.matter.days + 2), hours=6),
                             datetime(yesterday.year, yesterday.month, yesterday.day, 8, tzinfo=timezone.utc))
                state = "returned" if fate < 0.06 else "completed"
                late = state == "completed" and closed.date() > on
                steps += [("start", "in_progress", at + timedelta(hours=1)),
                          ("return" if state == "returned" else "complete", state, closed)]
                row = case_row(spec, entry, n=n, accepted=day, state=state, staff=staff, due=on, closed_at=closed,
                               late=late)
        row["id"] = n + 1
        yield row, [{"matter_id": n + 1, "step": step, "state": state, "by": staff, "at": when, "note": ""}
                    for step, state, when in steps]


def load(url: str, spec, catalogue, count: int) -> None:
    from hall.models import MatterCase, MatterCaseStep

    write(url, [(MatterCase.__table__, (row for row, _ in cases(spec, catalogue, count))),
                (MatterCaseStep.__table__, (step for _, steps in cases(spec, catalogue, count) for step in steps))])
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as con:   # what autovacuum does after a bulk load
            con.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()


def the_page(session, spec, *, light=None, department=None, staff=None, month=None) -> None:
    """The domain calls of the route of /supervisor/matters (hall.web.routes.supervision_page)."""
    from hall import accounts
    from hall.matters import figures
    from hall.matters.cases import cases as listed_cases, due_now
    from hall.web.routes.supervision_page import LISTED

    listed = listed_cases(session, spec=spec, light=light, department=department, staff=staff, open_only=True,
                          limit=LISTED)
    chosen = month or TODAY.replace(day=1)
    figures.open_counts(session, spec=spec, by="department")
    figures.open_counts(session, spec=spec, by="accepted_by")
    figures.on_time(session, spec=spec, month=chosen, by="department")
    figures.on_time(session, spec=spec, month=chosen, by="service")
    accounts.staff_names(session, hall_id=spec.hall.id)
    for case in listed:
        due_now(case, spec=spec, today=TODAY)


def the_timeline(session, spec, case_id: int) -> None:
    """The domain calls of the route of /supervisor/matters/{case_id}."""
    from hall.matters.cases import due_now, one_case, timeline

    case = one_case(session, spec=spec, case_id=case_id)
    timeline(session, case=case)
    due_now(case, spec=spec, today=TODAY)


def queries(spec, catalogue, count: int, rng: random.Random) -> dict:
    """Each query's name: its domain calls and the address of its page."""
    from hall.matters.states import Light

    department = catalogue.departments[0].name.zh_CN
    page = {"page, no filter": {}, **{f"page, {light.value}": {"light": light} for light in Light},
            f"page, department {department}": {"department": department}, f"page, staff {STAFF[4]}": {"staff": STAFF[4]},
            f"page, month {MONTH:%Y-%m}": {"month": MONTH}}
    named = {name: ((lambda s, kw=kw: the_page(s, spec, **kw)),
                    (lambda kw=kw: "/supervisor/matters?" + urlencode(
                        {k: v.value if k == "light" else f"{v:%Y-%m}" if k == "month" else v for k, v in kw.items()})))
             for name, kw in page.items()}
    ids = [rng.randrange(1, count + 1) for _ in range(10_000)]
    named["a case's timeline"] = ((lambda s: the_timeline(s, spec, ids.pop())),
                                  (lambda: f"/supervisor/matters/{ids.pop()}"))
    return named


def measure(hall, browser, named: dict, runs: int) -> dict[str, list[float]]:
    """Each query's domain calls in a reading session, then its page over HTTP."""
    times = {}
    for name, (query, address) in named.items():
        with hall.engine.reading() as session:
            query(session)   # warm-up
        times[name] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            with hall.engine.reading() as session:
                query(session)
            times[name].append(time.perf_counter() - t0)
    for name, (query, address) in named.items():
        assert browser.get(address()).status_code == 200   # warm-up
        times[f"{name}, over HTTP"] = []
        for _ in range(runs):
            path = address()
            t0 = time.perf_counter()
            answer = browser.get(path)
            times[f"{name}, over HTTP"].append(time.perf_counter() - t0)
            assert answer.status_code == 200, (path, answer.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each query per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["SQLite", "PostgreSQL"], choices=["SQLite", "PostgreSQL"])
    args = parser.parse_args()
    if args.cases < 100 or args.runs < 1 or args.rounds < 1:
        parser.error("give --cases of 100 or more, --runs and --rounds of 1 or more")

    from hall.matters import figures
    from hall.matters.catalogue import load_catalogue
    from hall.schemas import Role
    from hall.settings import ServerSettings
    from hall.spec import load_hall
    from tests.conftest import SAMPLE_HALL, Clock
    from tests.postgres import PostgresServer
    from tests.support.api_clients import add_staff, staff_session
    from tests.support.servers import LiveServer

    spec = load_hall(SAMPLE_HALL)
    catalogue = load_catalogue(SAMPLE_HALL, spec)
    postgres = PostgresServer() if "PostgreSQL" in args.databases else None
    if postgres:
        postgres.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.databases:
                url = postgres.reset() if name == "PostgreSQL" else f"sqlite:///{Path(tmp) / 'hall.db'}"
                t0 = time.perf_counter()
                load(url, spec, catalogue, args.cases)
                server = LiveServer(ServerSettings(data_dir=Path(tmp), database=url, hall_file=SAMPLE_HALL),
                                    Clock(datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=spec.zone)))
                add_staff(server.hall.engine, "9001", Role.SUPERVISOR, counters=())
                browser = staff_session(server.url, "9001")
                with server.hall.engine.reading() as session:
                    open_cases = sum(c.green + c.yellow + c.red
                                     for c in figures.open_counts(session, spec=spec, by="department"))
                print(f"{name}: {args.cases} cases ({open_cases} open) and their steps written in "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
                rounds: dict[str, list[tuple[float, float]]] = {}
                try:
                    for n in range(args.rounds):
                        named = queries(spec, catalogue, args.cases, random.Random(n))
                        times = measure(server.hall, browser, named, args.runs)
                        load_now = loadavg()
                        for query, values in times.items():
                            p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
                            rounds.setdefault(query, []).append((p50, p99))
                            print(f"  round {n + 1} {query}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
                        print(f"  round {n + 1}: load average {load_now}", flush=True)
                finally:
                    server.stop()
                for query, rounded in rounds.items():
                    print(f"{name} {query}: p50 {spread([r[0] for r in rounded])} ms, "
                          f"p99 {spread([r[1] for r in rounded])} ms (min / median / max of {args.rounds} rounds)",
                          flush=True)
                worst = max(rounds, key=lambda query: statistics.median(r[1] for r in rounds[query]))
                p99 = statistics.median(r[1] for r in rounds[worst])
                print(f"{name}: the slowest query at {args.cases} cases, {worst}: median p99 {p99:.1f} ms "
                      f"[p99 ≤ 200 ms: {'met' if p99 <= 200 else 'not met'}]", flush=True)
    finally:
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    main()
