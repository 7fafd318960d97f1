"""What the hall forgets as it goes: idempotency keys once days of writing followed them, the
person hashes of finished days after the hall's retention, and those of closed cases after
90 days (docs/privacy.md); on a parent, the rows of its halls' tickets of finished days
(hall.uplink.tally). The hall server runs it every hour, the embedded hall on each new day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from hall import idempotency
from hall.matters.applicants import forget_lookup_hashes
from hall.models import Ticket
from hall.queue import QueueEngine
from hall.uplink import tally

_tickets = Ticket.__table__
_FORGET_HASHES = (_tickets.update()
                  .where(_tickets.c.hall_id == bindparam("hall"), _tickets.c.day <= bindparam("last_day"),
                         _tickets.c.person_hash.is_not(None))
                  .values(person_hash=None))


def tidy(engine: QueueEngine, *, now: datetime) -> None:
    spec = engine.spec
    today = now.astimezone(spec.zone).date()
    with engine.transaction() as session:
        idempotency.forget_old(session, hall_id=spec.hall.id)
        forget_person_hashes(session, hall_id=spec.hall.id, today=today,
                             kept_days=spec.privacy.person_hashes_kept_days)
        forget_lookup_hashes(session, hall_id=spec.hall.id, now=now)
    with engine.transaction() as session:   # apart: it takes the event log's lock, as a batch does, first
        tally.forget_past_tickets(session, today=today)


def forget_person_hashes(session: Session, *, hall_id: str, today: date, kept_days: int) -> int:
    """Clears the person hashes of the days `kept_days` or more before `today` (1: those of
    every finished day); the tickets stay. Returns how many were cleared."""
    last_day = today - timedelta(days=kept_days)
    return session.execute(_FORGET_HASHES, {"hall": hall_id, "last_day": last_day}).rowcount
