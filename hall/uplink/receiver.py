"""The parent's side of reporting up: its halls and their tokens, and each batch stored once
and in order.

A sender names the last seq it knows to be stored here (`after`); the parent keeps, per
child, the last seq it stored (`acked`). A batch after more than that would leave a gap and
is refused, with the acked seq so that the sender goes back to it; events at or below it
were stored before and are absorbed (a sender killed before it wrote down the answer sends
them again). The unique (origin hall, event id) keeps each event once whatever path it
came by. Batches of one child take turns on its row, and every batch holds the event log's
commit order (hall.db.order_commits), so that this parent's own sender, relaying upward by
the number of receipt, never skips one committed late.

A case a child accepted for this hall to decide opens a case here in the batch's
transaction (hall.matters.referrals), and the answer carries the steps taken here on the
child's cases since the last one it applied (hall.uplink.down).
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hall.accounts import digest
from hall.db import order_commits
from hall.errors import HallError
from hall.matters import referrals
from hall.matters.catalogue import Catalogue
from hall.models import ChildHall, ReceivedEvent, Region, RegionSupervisor, Staff
from hall.schemas import Role
from hall.spec import HallSpec
from hall.tickets import EventKind
from hall.uplink import down, regions, tally
from hall.uplink.wire import (DefinitionReceipt, DefinitionUpload, HallId, UplinkAck, UplinkBatch, UplinkEvent,
                              strip)

log = logging.getLogger(__name__)
_received = ReceivedEvent.__table__


class UplinkRefused(HallError):
    def __init__(self, status: int, error: str, message: str, acked: int | None = None):
        super().__init__(message)
        self.status, self.error, self.acked = status, error, acked


class HallSetupError(HallError):
    """A hall or region that cannot be registered as asked."""


def add_region(session: Session, *, code: str, name: str) -> None:
    """Names a region of the tree (or renames it)."""
    try:
        regions.check(code)
    except regions.BadRegion as exc:
        raise HallSetupError(str(exc)) from None
    if not name.strip():
        raise HallSetupError("give the region a name (--name 翠屏区)")
    row = session.get(Region, code)
    if row is None:
        session.add(Region(code=code, name=name.strip()))
    else:
        row.name = name.strip()


def supervise_region(session: Session, *, hall_id: str, job_no: str, region: str) -> None:
    """Lets a supervisor of this parent see the halls of `region` on its central page."""
    try:
        regions.check(region)
    except regions.BadRegion as exc:
        raise HallSetupError(str(exc)) from None
    staff = session.get(Staff, (hall_id, job_no))
    if staff is None or staff.role != Role.SUPERVISOR.value:
        raise HallSetupError(f"no supervisor {job_no!r} here; add one first (python -m hall add-staff {job_no} "
                             "--role supervisor)")
    if session.get(RegionSupervisor, (hall_id, job_no, region)) is None:
        session.add(RegionSupervisor(hall_id=hall_id, job_no=job_no, region=region))


def add_hall(session: Session, *, hall_id: str, name: str, region: str, now: datetime, replace: bool = False) -> str:
    """Registers a child hall under its region and returns its uplink token, shown once and
    stored as a digest; `replace` gives an existing one a new token (the old one stops)."""
    try:
        TypeAdapter(HallId).validate_python(hall_id)
        regions.check(region)
    except ValidationError:
        raise HallSetupError(f"hall id {hall_id!r}: use up to 64 letters, digits, - and _ (as in its hall.toml)") \
            from None
    except regions.BadRegion as exc:
        raise HallSetupError(str(exc)) from None
    if not name.strip() or len(name.strip()) > 64:
        raise HallSetupError("give the hall a name of 1 to 64 characters (--name 南岸镇便民服务中心)")
    token = secrets.token_urlsafe(32)
    row = session.get(ChildHall, hall_id)
    if row is not None and row.token_hash is not None and not replace:
        raise HallSetupError(f"hall {hall_id!r} is registered; pass --new-token to replace its token")
    if row is None and replace:
        raise HallSetupError(f"no hall {hall_id!r} to give a new token; leave out --new-token to register it")
    if row is None:
        session.add(ChildHall(hall_id=hall_id, name=name.strip(), region=region, token_hash=digest(token), acked=0,
                              created_at=now))
    else:
        # A hall that reported through another becomes a direct child: what it sends from
        # now on counts from its own first event.
        row.name, row.region, row.token_hash = name.strip(), region, digest(token)
        if row.via is not None:
            row.via, row.acked = None, 0
    return token


def child_for_token(session: Session, *, token: str) -> ChildHall | None:
    return session.scalar(select(ChildHall).where(ChildHall.token_hash == digest(token)))


def receive(session: Session, *, spec: HallSpec, catalogue: Catalogue, child_id: str, batch: UplinkBatch,
            now: datetime, yellow_days: int = 1) -> UplinkAck:
    if batch.hall != child_id:
        raise UplinkRefused(403, "other_hall", f"this token is hall {child_id!r}'s; the batch says it is "
                                               f"from {batch.hall!r}")
    seqs = [e.seq for e in batch.events]
    if any(b <= a for a, b in zip([batch.after, *seqs], seqs)):
        raise UplinkRefused(422, "out_of_order", "the events must follow `after` in increasing seq")
    order_commits(session)
    child = session.get(ChildHall, child_id, with_for_update=True)
    if batch.after > child.acked:
        raise UplinkRefused(409, "gap", f"events {child.acked + 1} to {batch.after} of hall {child_id!r} were "
                                        f"never stored here; send again after {child.acked}", acked=child.acked)
    _reported_halls(session, child=child, batch=batch, now=now)
    fresh = [e for e in batch.events if e.seq > child.acked]
    rows = [{"origin": e.origin, "origin_id": e.id, "kind": e.kind, "at": e.at, "day": e.day, "counter": e.counter,
             "ticket_id": e.ticket, "payload": json.dumps(strip(e.kind, e.payload), ensure_ascii=False,
                                                          separators=(",", ":"))} for e in fresh]
    stored = _insert_new(session, rows)
    new = [e for e in fresh if (e.origin, e.id) in stored]
    tally.add(session, new)
    _open_referred(session, spec=spec, catalogue=catalogue, child=child, events=new, now=now,
                   yellow_days=yellow_days)
    if fresh:
        child.acked = fresh[-1].seq
    child.heard_at = now
    steps, more = ([], False) if batch.steps_after is None else down.steps_for(
        session, spec=spec, child_id=child_id, after=batch.steps_after)
    return UplinkAck(acked=child.acked, stored=len(stored), repeats=len(batch.events) - len(stored), steps=steps,
                     more_steps=more)


def _open_referred(session: Session, *, spec: HallSpec, catalogue: Catalogue, child: ChildHall,
                   events: list[UplinkEvent], now: datetime, yellow_days: int) -> None:
    """Opens here the cases the child accepted for this hall to decide. Only its own: a case
    relayed from a hall further below is decided by that hall's own parent."""
    for event in events:
        if event.kind != EventKind.MATTER_REFERRED.value:
            continue
        if event.origin != child.hall_id:
            log.info("uplink: case of %r relayed by %r not opened here: its own parent decides it", event.origin,
                     child.hall_id)
            continue
        try:
            with session.begin_nested():
                referrals.open_referred(session, spec=spec, catalogue=catalogue, origin=child.hall_id,
                                        origin_name=child.name, payload=event.payload, at=event.at, now=now,
                                        yellow_days=yellow_days)
        except referrals.BadReferral as exc:
            log.warning("uplink: event %s of %r not opened as a case: %s", event.id, child.hall_id, exc)


def _reported_halls(session: Session, *, child: ChildHall, batch: UplinkBatch, now: datetime) -> None:
    """The halls a relaying child reports for: inside its region, reported by it alone."""
    named = set(batch.halls) | {child.hall_id}
    for origin in {e.origin for e in batch.events} - named:
        raise UplinkRefused(403, "other_hall", f"events of hall {origin!r} came from {child.hall_id!r}, "
                                               "which does not report for it")
    for hall_id, reported in batch.halls.items():
        if hall_id == child.hall_id:
            continue
        if not regions.contains(child.region, reported.region):
            raise UplinkRefused(403, "other_region", f"hall {hall_id!r} of region {reported.region} is outside "
                                                     f"{child.hall_id!r}'s region {child.region}")
        row = session.get(ChildHall, hall_id)
        if row is None:
            session.add(ChildHall(hall_id=hall_id, name=reported.name, region=reported.region, via=child.hall_id,
                                  acked=0, heard_at=reported.heard_at, created_at=now))
        elif row.via != child.hall_id:
            raise UplinkRefused(403, "other_hall", f"hall {hall_id!r} reports here "
                                                   f"{'directly' if row.via is None else 'through ' + repr(row.via)}")
        else:
            row.name, row.region = reported.name, reported.region
            if reported.heard_at is not None and (row.heard_at is None or reported.heard_at > row.heard_at):
                row.heard_at = reported.heard_at


def _insert_new(session: Session, rows: list[dict]) -> set[tuple[str, int]]:
    """Inserts the rows whose (origin, event id) is not stored yet; returns those inserted."""
    if not rows:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(_received).on_conflict_do_nothing(index_elements=["origin", "origin_id"])
                 .returning(_received.c.origin, _received.c.origin_id))
    found: set[tuple[str, int]] = set()
    for start in range(0, len(rows), 500):
        found.update((r.origin, r.origin_id) for r in session.execute(statement, rows[start:start + 500]))
    return found


def store_definition(session: Session, *, child_id: str, upload: DefinitionUpload, now: datetime) -> DefinitionReceipt:
    if upload.hall != child_id:
        raise UplinkRefused(403, "other_hall", f"this token is hall {child_id!r}'s, not {upload.hall!r}'s")
    try:
        spec = HallSpec.model_validate(upload.definition)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise UplinkRefused(422, "bad_definition", f"the hall definition does not parse: {where}") from None
    if spec.hall.id != child_id:
        raise UplinkRefused(422, "bad_definition", f"the definition is of hall {spec.hall.id!r}, not {child_id!r}")
    text = json.dumps(upload.definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    child = session.get(ChildHall, child_id, with_for_update=True)
    child.definition, child.definition_at, child.heard_at = text, now, now
    return DefinitionReceipt(hall=child_id, digest=definition_digest(upload.definition))


def definition_digest(definition: dict) -> str:
    text = json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
