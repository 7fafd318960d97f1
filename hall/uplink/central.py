"""What a parent's central page shows: its region tree, each hall's figures now and today,
and the sums of each region, read from the figures the receiver keeps (hall.uplink.tally)
in six statements, whatever the number of halls or events; and one hall's queues and
counters today, in four.

A hall not heard from for STALE_AFTER (a heartbeat comes every 30 s) is stale: its figures
of the day stay, but what it has waiting now is unknown, never shown as none.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hall.matters.states import Light
from hall.models import (ChildHall, HallDay, Region, RegionSupervisor, ReportedCase, ReportedCounter, ReportedDevice,
                         ReportedTicket)
from hall.spec import HallSpec
from hall.tickets import TicketStatus
from hall.uplink import regions, tally

STALE_AFTER = timedelta(minutes=5)


@dataclass
class Figures:
    waiting: int = 0
    longest_wait: int | None = None   # seconds
    served: int = 0
    waits: int = 0
    wait_seconds: int = 0
    rated: int = 0
    satisfied: int = 0
    alarms: int = 0
    open_cases: int = 0
    overdue_cases: int = 0
    halls: int = 0
    stale: int = 0

    @property
    def mean_wait(self) -> int | None:
        return _mean(self.wait_seconds, self.waits)

    @property
    def satisfaction(self) -> float | None:
        return round(100 * self.satisfied / self.rated, 1) if self.rated else None

    def add(self, other: Figures) -> None:
        for name in ("served", "waits", "wait_seconds", "rated", "satisfied", "alarms", "open_cases", "overdue_cases",
                     "halls", "stale"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if not other.stale:
            self.waiting += other.waiting
        if other.longest_wait is not None and not other.stale:
            self.longest_wait = max(self.longest_wait or 0, other.longest_wait)


@dataclass
class Row:
    """A line of the tree: a region with its sums, or a hall with its own figures."""

    depth: int
    code: str
    name: str
    figures: Figures
    hall_id: str | None = None
    heard_at: datetime | None = None
    children: list[Row] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """A hall not heard from, or a region none of whose halls is."""
        return 0 < self.figures.halls == self.figures.stale


def reports_here(session: Session) -> bool:
    """Whether any hall reports to this server: whether it is a parent."""
    return session.scalar(select(ChildHall.hall_id).limit(1)) is not None


def silent(hall: ChildHall, *, now: datetime) -> bool:
    """Not heard from for STALE_AFTER, or never."""
    return hall.heard_at is None or now - hall.heard_at > STALE_AFTER


def watched_regions(session: Session, *, hall_id: str, job_no: str) -> list[str]:
    return list(session.scalars(select(RegionSupervisor.region).where(
        RegionSupervisor.hall_id == hall_id, RegionSupervisor.job_no == job_no).order_by(RegionSupervisor.region)))


def tree(session: Session, *, now: datetime, today: date, within: list[str] | None) -> list[Row]:
    """The tree's lines in order, regions before their halls; `within` None for every hall."""
    halls = [h for h in session.scalars(select(ChildHall).order_by(ChildHall.region, ChildHall.hall_id))
             if _inside(h, within)]
    figures = _figures(session, now=now, today=today, halls=halls)
    names = {code: name for code, name in session.execute(select(Region.code, Region.name))}
    region_rows: dict[str, Row] = {}
    lines: list[tuple[tuple, Row]] = []
    for hall in halls:
        codes = regions.chain(hall.region)
        for depth, code in enumerate(codes):
            if code not in region_rows:
                region_rows[code] = Row(depth=depth, code=code, name=names.get(code, code), figures=Figures())
                lines.append((tuple(codes[:depth + 1]), region_rows[code]))
            region_rows[code].figures.add(figures[hall.hall_id])
        # "!" sorts before digits: a region's own halls come before its sub-regions.
        lines.append(((*codes, "!" + hall.hall_id), Row(depth=len(codes), code=hall.region, name=hall.name,
                                                         figures=figures[hall.hall_id], hall_id=hall.hall_id,
                                                         heard_at=hall.heard_at)))
    return [row for _, row in sorted(lines, key=lambda line: line[0])]


def _figures(session: Session, *, now: datetime, today: date, halls: list[ChildHall]) -> dict[str, Figures]:
    wanted = [h.hall_id for h in halls]
    out = {h.hall_id: Figures(halls=1, stale=int(silent(h, now=now))) for h in halls}
    if not wanted:
        return out
    waiting = select(ReportedTicket.origin, func.count(), func.min(ReportedTicket.issued_at)).where(
        ReportedTicket.day == today, ReportedTicket.status == TicketStatus.WAITING.value,
        ReportedTicket.origin.in_(wanted)).group_by(ReportedTicket.origin)
    for origin, count, oldest in session.execute(waiting):
        out[origin].waiting = count
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        out[origin].longest_wait = max(0, round((now - oldest).total_seconds()))
    for day in session.scalars(select(HallDay).where(HallDay.day == today, HallDay.origin.in_(wanted))):
        f = out[day.origin]
        f.served, f.waits, f.wait_seconds = day.served, day.waits, day.wait_seconds
    month = select(HallDay.origin, func.sum(HallDay.rated), func.sum(HallDay.satisfied)).where(
        HallDay.day >= today.replace(day=1), HallDay.day <= today, HallDay.origin.in_(wanted)).group_by(HallDay.origin)
    for origin, rated, satisfied in session.execute(month):
        out[origin].rated, out[origin].satisfied = int(rated or 0), int(satisfied or 0)
    alarms = select(ReportedDevice.origin, func.count()).where(
        ReportedDevice.alarm.is_(True), ReportedDevice.origin.in_(wanted)).group_by(ReportedDevice.origin)
    for origin, count in session.execute(alarms):
        out[origin].alarms = count
    # A follow-up is overdue past its due day; a matter's case when its hall turned it red.
    overdue = or_(and_(ReportedCase.kind == tally.RATING, ReportedCase.due < today),
                  and_(ReportedCase.kind == tally.MATTER, ReportedCase.light == Light.RED.value))
    cases = select(ReportedCase.origin, func.count(), func.sum(case((overdue, 1), else_=0))).where(
        ReportedCase.origin.in_(wanted)).group_by(ReportedCase.origin)
    for origin, count, late in session.execute(cases):
        out[origin].open_cases, out[origin].overdue_cases = count, int(late or 0)
    return out


@dataclass
class ServiceLine:
    code: str
    name: str
    waiting: int = 0
    served: int = 0
    waits: int = 0
    wait_seconds: int = 0

    @property
    def mean_wait(self) -> int | None:
        return _mean(self.wait_seconds, self.waits)


def _mean(seconds: int, count: int) -> int | None:
    return round(seconds / count) if count else None


@dataclass
class CounterLine:
    counter: str
    staffed: bool = False
    paused: bool = False
    serving: str | None = None    # the number it has called and not yet finished
    served: int = 0


@dataclass
class HallToday:
    """One hall's queues and counters today, for the drill-down from its row."""

    hall: ChildHall
    stale: bool
    services: list[ServiceLine]
    counters: list[CounterLine]


def visible_hall(session: Session, *, hall_id: str, within: list[str] | None) -> ChildHall | None:
    """The hall, if it reports here and lies inside `within` (None: every hall)."""
    hall = session.get(ChildHall, hall_id)
    return hall if hall is not None and _inside(hall, within) else None


def _inside(hall: ChildHall, within: list[str] | None) -> bool:
    return within is None or any(regions.contains(region, hall.region) for region in within)


def hall_today(session: Session, *, hall: ChildHall, now: datetime, today: date, language: str) -> HallToday:
    """Its services and counters in the order its definition gives them (those its events
    name and the definition does not, after), each with today's figures from its ticket
    rows and its counters' rows."""
    services: dict[str, ServiceLine] = {}
    counters: dict[str, CounterLine] = {}
    if hall.definition:
        spec = HallSpec.model_validate(json.loads(hall.definition))
        services = {s.code: ServiceLine(code=s.code, name=s.name.get(language)) for s in spec.services}
        counters = {c.id: CounterLine(counter=c.id) for c in spec.counters}
    today_rows = and_(ReportedTicket.origin == hall.hall_id, ReportedTicket.day == today)
    waiting = ReportedTicket.status == TicketStatus.WAITING.value
    completed = ReportedTicket.status == TicketStatus.COMPLETED.value
    by_service = select(ReportedTicket.service, func.sum(case((waiting, 1), else_=0)),
                        func.sum(case((completed, 1), else_=0)), func.count(ReportedTicket.waited),
                        func.sum(ReportedTicket.waited)).where(today_rows, ReportedTicket.service.is_not(None)
                                                               ).group_by(ReportedTicket.service)
    for code, waiting_now, served, waits, wait_seconds in session.execute(by_service):
        line = services.setdefault(code, ServiceLine(code=code, name=code))
        line.waiting, line.served, line.waits, line.wait_seconds = (int(waiting_now or 0), int(served or 0), waits,
                                                                    int(wait_seconds or 0))
    by_counter = select(ReportedTicket.counter, func.sum(case((completed, 1), else_=0)),
                        func.max(case((ReportedTicket.status == TicketStatus.CALLED.value, ReportedTicket.number)))
                        ).where(today_rows, ReportedTicket.counter.is_not(None)).group_by(ReportedTicket.counter)
    for counter, served, serving in session.execute(by_counter):
        line = counters.setdefault(counter, CounterLine(counter=counter))
        line.served, line.serving = int(served or 0), serving
    for row in session.scalars(select(ReportedCounter).where(ReportedCounter.origin == hall.hall_id)):
        line = counters.setdefault(row.counter, CounterLine(counter=row.counter))
        line.staffed, line.paused = row.staffed, row.paused
    return HallToday(hall=hall, stale=silent(hall, now=now),
                     services=list(services.values()), counters=list(counters.values()))


def totals(rows: list[Row]) -> Figures:
    """The sums over every hall of the tree (a region's own sums leave out its stale halls'
    waiting, so they are added up from the halls)."""
    out = Figures()
    for row in rows:
        if row.hall_id:
            out.add(row.figures)
    return out


def busiest(rows: list[Row], *, limit: int) -> tuple[list[Row], int]:
    """The halls for a wall: the most waiting first, the stale ones after the live ones
    (what they have waiting is unknown); and how many were left out."""
    halls = sorted((r for r in rows if r.hall_id), key=lambda r: (r.stale, -r.figures.waiting, r.name))
    return halls[:limit], max(0, len(halls) - limit)
