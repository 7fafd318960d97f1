"""Writes done once. A client sends a key of its own making with each write; the key, a
digest of the request and the answer are stored in the transaction of the change, so a
retry (the answer was lost, the client or the server restarted) finds them and gets the
same answer, and nothing is done twice. An answer that was not stored (a refusal, an error)
left no change behind, so its retry is simply tried again.

Keys are forgotten by the hall's own progress, never by the clock alone: each key carries
its place in the order of writing (seq), and a key goes once keys were first written on
KEPT_DAYS later days. A clock set a month ahead, or back, adds at most one such day, so the
retry that follows a jump of the clock still finds its key.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall.errors import HallError
from hall.models import IdempotencyKey
from hall.queue import QueueEngine

KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"
KEPT_DAYS = 7                  # days of writing: a retry comes within minutes; a week covers a long outage
ATTEMPTS = 3                   # two writers racing on one key: the loser's retry reads the winner's

_keys = IdempotencyKey.__table__
_STORED = select(_keys.c.fingerprint, _keys.c.answer).where(
    _keys.c.hall_id == bindparam("hall"), _keys.c.principal == bindparam("principal"), _keys.c.key == bindparam("key"))
_NEXT_SEQ = (select(func.coalesce(func.max(_keys.c.seq), 0) + 1)
             .where(_keys.c.hall_id == bindparam("of_hall")).scalar_subquery())
_STORE = _keys.insert().values(seq=_NEXT_SEQ)
_written_on = func.date(_keys.c.at)
# The first key of each day of writing, the latest first: the KEPT_DAYS-th is the oldest kept.
_OLDEST_KEPT = (select(func.min(_keys.c.seq).label("first")).where(_keys.c.hall_id == bindparam("hall"))
                .group_by(_written_on).order_by(func.min(_keys.c.seq).desc()).offset(KEPT_DAYS - 1).limit(1))


class KeyReused(HallError):
    """The key was used before for a different request."""


def fingerprint(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def once(engine: QueueEngine, *, hall_id: str, principal: str, key: str | None, request: str,
         write: Callable[[Session], str], now: Callable[[], datetime], first: bool = False) -> tuple[str, bool]:
    """Runs `write` (which returns the answer as text) in one transaction with the record of
    its key, or returns the stored answer. Returns (answer, replayed). `first`: see
    QueueEngine.transaction."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.transaction(first=first) as session:
                if key is None:
                    return write(session), False
                ids = {"hall": hall_id, "principal": principal, "key": key}
                stored = session.execute(_STORED, ids).first()
                if stored is not None:
                    if stored.fingerprint != request:
                        raise KeyReused(f"idempotency key {key!r} was used for another request")
                    return stored.answer, True
                answer = write(session)
                session.execute(_STORE, {"hall_id": hall_id, "principal": principal, "key": key, "of_hall": hall_id,
                                         "fingerprint": request, "answer": answer, "at": now()})
            return answer, False
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def forget_old(session: Session, *, hall_id: str) -> int:
    """Drops the hall's keys written before its last KEPT_DAYS days of writing (the day of
    each by the clock when it was written, the order by seq); returns how many."""
    oldest_kept = session.scalar(_OLDEST_KEPT, {"hall": hall_id})
    if oldest_kept is None:
        return 0
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.hall_id == hall_id,
                                                        IdempotencyKey.seq < oldest_kept)).rowcount
