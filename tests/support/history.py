"""Earlier days of a hall written straight into its database, fast: tickets issued, called
and completed, their events, their completions for ratings and most of their ratings, and
now and then a device's alarm. What today's queries must not grow with (the query plans'
test, bench/history_queries.py).

Rows go in with bulk inserts (executemany on SQLite, COPY on PostgreSQL) in batches; the ids
are given here, the oldest smallest, and PostgreSQL's id sequences are moved past them, so
that what the hall writes afterwards comes after the history as it would have.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Engine, inspect

from hall.spec import HallSpec

PER_DAY = 2000     # tickets a day: a busy hall's
BATCH = 20_000     # tickets per batch, with their other rows
COLUMNS = {
    "tickets": ("id", "hall_id", "day", "issued_service", "service", "prefix", "seq", "number", "priority", "status",
                "issued_at", "called_at", "completed_at", "counter", "target_counter", "recalls", "person_hash"),
    "events": ("id", "hall_id", "kind", "ticket_id", "counter", "at", "detail", "payload"),
    "served_tickets": ("ticket_id", "hall_id", "day", "service", "department", "counter", "staff_job_no",
                       "completed_at", "prompt_until", "rateable_until", "rating_state", "callback_due",
                       "callback_at", "phone"),
    "ratings": ("id", "hall_id", "ticket_id", "day", "service", "department", "counter", "staff_job_no", "level",
                "reasons", "comment", "channel", "identified", "rated_at", "set_aside"),
}
SEQUENCES = ("tickets", "events", "ratings")


def history_rows(spec: HallSpec, tickets: int, before: date, seed: int = 21) -> Iterator[dict[str, list[tuple]]]:
    """Batches of rows per table: `tickets` tickets on the working days before `before`,
    PER_DAY a day, the last day just before it."""
    rng = random.Random(seed)
    days = -(-tickets // PER_DAY)
    day = before
    calendar = []
    while len(calendar) < days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            calendar.append(day)
    calendar.reverse()
    counters = [(c.id, c.services) for c in spec.counters]
    prefixes = {s.code: s.prefix for s in spec.services}
    hall = spec.hall.id
    ticket_id = event_id = rating_id = 0
    batch: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
    for day in calendar:
        opening = datetime.combine(day, time(8, 30), tzinfo=spec.zone).astimezone(timezone.utc)
        seqs: dict[str, int] = {}
        day_events = []
        for n in range(min(PER_DAY, tickets - ticket_id)):
            ticket_id += 1
            counter, services = counters[n % len(counters)]
            service = services[rng.randrange(len(services))]
            seqs[service] = seqs.get(service, 0) + 1
            number = f"{prefixes[service]}{seqs[service]:03d}"
            issued = opening + timedelta(seconds=n * 8 * 3600 // PER_DAY)
            called = issued + timedelta(seconds=60 + rng.randrange(1800))
            completed = called + timedelta(seconds=60 + rng.randrange(600))
            batch["tickets"].append((ticket_id, hall, day, service, service, prefixes[service], seqs[service], number,
                                     "normal", "completed", issued, called, completed, counter, None, 0, None))
            for kind, at, status in (("issued", issued, "waiting"), ("called", called, "called"),
                                     ("completed", completed, "completed")):
                payload = {"ticket": {"id": ticket_id, "number": number, "service": service, "priority": "normal",
                                      "status": status, "counter": None if kind == "issued" else counter,
                                      "target_counter": None}, "waiting": {service: rng.randrange(30)}}
                day_events.append((at, kind, ticket_id, None if kind == "issued" else counter, payload))
            rated = rng.random() < 0.8
            department = spec.department_of(service)
            batch["served_tickets"].append((ticket_id, hall, day, service, department, counter, None, completed,
                                            completed + timedelta(seconds=60), completed + timedelta(days=2),
                                            "rated" if rated else "not_rated", False, None, None))
            if rated:
                rating_id += 1
                batch["ratings"].append((rating_id, hall, ticket_id, day, service, department, counter, None,
                                         rng.choice((3, 4, 5, 5)), "", "", "counter", False,
                                         completed + timedelta(seconds=20), False))
        # A printer's paper ran low once a day: the devices' page reads the latest of these.
        day_events.append((opening + timedelta(hours=3), "device_status", None, None,
                           {"device": "kiosk-01/printer", "kind": "printer", "status": "paper_near_end",
                            "previous": "ok", "detail": ""}))
        for at, kind, ticket, counter, payload in sorted(day_events, key=lambda e: e[0]):
            event_id += 1
            batch["events"].append((event_id, hall, kind, ticket, counter, at, "",
                                    json.dumps(payload, ensure_ascii=False, separators=(",", ":"))))
        if len(batch["tickets"]) >= BATCH:
            yield batch
            batch = {table: [] for table in COLUMNS}
    if batch["tickets"]:
        yield batch


def write_history(engine: Engine, spec: HallSpec, tickets: int, before: date) -> None:
    """Writes `tickets` tickets of earlier days, with theirs, into the hall's (empty) database.
    PostgreSQL then counts its tables afresh for its planner (ANALYZE), as its autovacuum would
    soon after; SQLite is left as a hall leaves it, without statistics."""
    held = {table: {c["name"] for c in inspect(engine).get_columns(table)} for table in COLUMNS}
    raw = engine.raw_connection()
    postgres = engine.dialect.name == "postgresql"
    try:
        cursor = raw.cursor()
        for batch in history_rows(spec, tickets, before):
            if not postgres:
                cursor.execute("BEGIN")  # the hall's connections leave transactions to it
            for table, rows in batch.items():
                if not rows:
                    continue
                # The columns its revision has: an older one's ratings have no day.
                kept = [i for i, name in enumerate(COLUMNS[table]) if name in held[table]]
                if len(kept) < len(COLUMNS[table]):
                    rows = [[row[i] for i in kept] for row in rows]
                names = ", ".join(COLUMNS[table][i] for i in kept)
                if postgres:
                    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([naive_utc(v) for v in row])
                else:
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(rows[0]))})",
                                       [[sqlite_value(v) for v in row] for row in rows])
            raw.commit()
        if postgres:
            for table in SEQUENCES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()


def naive_utc(value):
    """The stored form of hall.models.UTCDateTime: naive UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def sqlite_value(value):
    """As SQLite's text columns hold it, for a bulk insert that bypasses SQLAlchemy's types."""
    value = naive_utc(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class HallToday:
    """Today's morning in a hall over HTTP (tickets issued, called, completed, rated; a help
    call), then every request the API and the pages answer about today, by name: what the
    query plans' test and bench/history_queries.py send to a server on a database with
    history. The clients (tests.support.api_clients.Api) are a kiosk's, the counter terminal's
    of counter 3 and a supervisor's browser serving counter 3."""

    def __init__(self, url: str, *, kiosk, terminal, staff):
        from tests.support.api_clients import Api

        self.kiosk, self.terminal, self.staff = kiosk, terminal, staff
        self.public = Api(url)
        self.issued: list[dict] = []

    def morning(self, tickets: int = 20, called: int = 8) -> None:
        services = ["household", "social_security", "household", "medical_insurance"]  # counter 3's first
        for n in range(tickets):
            answer = self.kiosk.post("/api/v1/tickets", {"service": services[n % len(services)],
                                                         "person_hash": f"{n:064x}"})
            assert answer.status_code == 201, answer.text
            self.issued.append(answer.json())
        for n in range(called):
            answer = self.staff.post("/api/v1/counters/3/call-next")
            assert answer.status_code == 200, answer.text
            if n < called - 1:
                assert self.staff.post("/api/v1/counters/3/complete").status_code == 200
                done = answer.json()["id"]
                rated = self.terminal.post("/api/v1/ratings", {"ticket_id": done, "level": 5})
                assert rated.status_code == 201, rated.text
        assert self.kiosk.post("/api/v1/help-calls", {"location": "东门"}).status_code == 200

    def requests(self) -> dict[str, callable]:
        """Each request by name, returning its answer (checked for 2xx by the caller)."""
        waiting = self.issued[-1]
        token = waiting["link"].rsplit("/", 1)[1]
        return {
            "display board": lambda: self.public.get("/api/v1/display"),
            "display page": lambda: self.public.get("/display"),
            "services (kiosk)": lambda: self.kiosk.get("/api/v1/services"),
            "issue a ticket": lambda: self.kiosk.post("/api/v1/tickets", {"service": "taxation"}),
            "ticket by number": lambda: self.kiosk.get(f"/api/v1/tickets/by-number/{waiting['number']}"),
            "ticket by id": lambda: self.kiosk.get(f"/api/v1/tickets/{waiting['id']}"),
            "person's tickets": lambda: self.kiosk.post("/api/v1/tickets/of-person", {"person_hash": f"{1:064x}"}),
            "phone page": lambda: self.public.get(f"/t/{token}"),
            "ticket by link": lambda: self.public.get(f"/api/v1/tickets/by-link/{token}"),
            "rating by link": lambda: self.public.get(f"/api/v1/ratings/by-link/{token}"),
            "counters": lambda: self.staff.get("/api/v1/counters"),
            "counter queue": lambda: self.staff.get("/api/v1/counters/3/queue"),
            "counter terminal": lambda: self.terminal.get("/api/v1/counter-terminal"),
            "device health": lambda: self.staff.get("/api/v1/device-health"),
            "help calls": lambda: self.staff.get("/api/v1/help-calls"),
            "today's ratings": lambda: self.staff.get("/api/v1/ratings"),
            "figures by staff": lambda: self.staff.get("/api/v1/ratings/figures", params={"by": "staff"}),
            "open cases": lambda: self.staff.get("/api/v1/cases", params={"unfinished": "true"}),
            "call-backs due": lambda: self.staff.get("/api/v1/callbacks"),
        }
