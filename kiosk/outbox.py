"""The terminal's outbox: what it reports to its hall (a device's status, a rating)
waits here, in a SQLite file of its own, until the hall has acknowledged it. An entry the
hall refuses for good (a report for a device the kiosk's token does not cover) is set aside
with the hall's reason, kept for a technician (``main.py status``) and no longer sent, so
that it does not hold back the entries after it.

Each entry is stored with the idempotency key it will be sent with, in one transaction, so
that after a kill -9 at any moment an entry is either not there (the report was never
accepted) or there with its key; a resend after a crash between "sent" and "deleted" is
recognised by the hall by that key and counted once. WAL mode lets the sender read while a
screen thread writes. Each entry keeps the moment it was accepted, on the terminal's own
clock, so that what was given during an outage can say on delivery how long ago it was.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    refused TEXT
)
"""
# An outbox file written before entries could be set aside gains the column, its rows kept.
ADD_REFUSED = "ALTER TABLE outbox ADD COLUMN refused TEXT"


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    body: dict
    attempts: int
    created_at: float
    refused: str | None = None  # the hall's reason, for an entry set aside


class Outbox:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock  # wall time: an entry's age must hold across the terminal's restarts
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # a kill -9 loses nothing committed in WAL mode
        self._db.execute(SCHEMA)
        if "refused" not in {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}:
            self._db.execute(ADD_REFUSED)

    def put(self, kind: str, body: dict, *, key: str | None = None) -> str:
        """Stores an entry and returns its key; the same key twice is stored once."""
        key = key or f"{kind}-{uuid.uuid4().hex}"
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO outbox (key, kind, body, created_at) VALUES (?, ?, ?, ?)",
                             (key, kind, json.dumps(body, ensure_ascii=False), self.clock()))
        return key

    def pending(self, limit: int = 50) -> list[Entry]:
        """The oldest entries first, so that the hall learns a device's states in order;
        those set aside are not among them."""
        return self._entries("refused IS NULL", limit)

    def set_aside(self) -> list[Entry]:
        """The entries the hall refused for good, oldest first, with its reasons."""
        return self._entries("refused IS NOT NULL", -1)

    def _entries(self, where: str, limit: int) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"SELECT key, kind, body, attempts, created_at, refused FROM outbox "
                                    f"WHERE {where} ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [Entry(key=k, kind=kind, body=json.loads(body), attempts=a, created_at=at, refused=r)
                for k, kind, body, a, at, r in rows]

    def age(self, entry: Entry) -> float:
        """Seconds since the entry was accepted; never below 0 (the clock set back)."""
        return max(0.0, self.clock() - entry.created_at)

    def refuse(self, key: str, reason: str) -> None:
        """Sets an entry aside with the hall's reason: it is kept, and sent no more."""
        with self._lock:
            self._db.execute("UPDATE outbox SET refused = ? WHERE key = ?", (reason, key))

    def delivered(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def failed(self, key: str) -> int:
        """Counts an answer that said "not now" (busy, rate-limited); returns the count."""
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE key = ?", (key,))
            return self._db.execute("SELECT attempts FROM outbox WHERE key = ?", (key,)).fetchone()[0]

    def __len__(self) -> int:
        """The entries still to send."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox WHERE refused IS NULL").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
