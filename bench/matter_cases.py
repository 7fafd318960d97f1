"""Cases of the sample hall written straight into a fresh database, for the benchmarks of
the matters (bench/matters_lights.py, bench/matters_supervision.py): a case's row as the
hall writes it, and rows of any matter table written in big batches (executemany), far
faster than accepting each case through hall.matters.cases."""
from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

TODAY = date(2026, 12, 2)   # a Wednesday
BATCH = 20_000


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def case_row(spec, entry, *, n: int, accepted: date, state: str, staff: str = "0301", due: date | None = None,
             paused_since: date | None = None, closed_at: datetime | None = None, late: bool = False,
             light: str | None = None) -> dict:
    """The row of the `n`th case of the matter `entry`, accepted at 10:00 hall time on `accepted`."""
    at = datetime(accepted.year, accepted.month, accepted.day, 2, tzinfo=timezone.utc)
    return {"hall_id": spec.hall.id, "number": f"{accepted:%Y%m%d}-{n:07d}", "matter_code": entry.matter.code,
            "service": entry.matter.service, "department": entry.department.name.zh_CN, "ticket_id": None,
            "applicant_masked": None, "person_hash": None, "state": state, "promised_days": entry.matter.days,
            "accepted_at": at, "accepted_by": staff, "accepted_here": spec.hall.name.zh_CN,
            "decided_by": entry.decided_by, "agent": None, "documents": "0", "due": due, "paused_days": 0,
            "paused_since": paused_since, "reason": None, "closed_at": closed_at, "late": late, "light": light}


def write(url: str, tables) -> None:
    """Makes the schema of a fresh database at `url`, then writes each (table, rows) of
    `tables` in turn (rows as dicts, all with the same keys) in batches of BATCH rows:
    executemany on SQLite, COPY on PostgreSQL, bypassing SQLAlchemy's types."""
    from sqlalchemy import create_engine

    from hall.db import make_engine
    from tests.support.history import naive_utc, sqlite_value

    make_engine(url).dispose()  # the schema
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, rows in tables:
            columns, batch = None, []

            def flush() -> None:
                names = ", ".join(columns)
                if engine.dialect.name == "postgresql":
                    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row([naive_utc(row[c]) for c in columns])
                else:
                    cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                       [[sqlite_value(row[c]) for c in columns] for row in batch])
                batch.clear()

            for row in rows:
                columns = columns or list(row)
                batch.append(row)
                if len(batch) == BATCH:
                    flush()
            if batch:
                flush()
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
