"""How honest the wait the hall tells is: a simulated day of the sample hall played through
the queue engine, the estimate each citizen is told set beside the wait they then have.

The day (a Wednesday, 08:30-12:00 and 13:30-17:30, tickets until 15 minutes before each
closing) is drawn from a seed: Poisson arrivals per service, at a morning peak (09:00-11:00)
that keeps the hall's counters 93 % busy and less at other times; service times lognormal
around each service's configured mean; every counter pauses twice for a break of 10 to 20
minutes, finishing its ticket first; 5 % of citizens are not there when called, recalled
after a minute and marked absent after two; 4 % come with the green channel. Counters call
as soon as they are free and someone they serve waits. The engine (hall.queue.QueueEngine
on SQLite, with the day's clock) issues, calls, pauses and completes; what it tells is read
from the ticket as issued and, 15 minutes later, as the phone page reads it.

Beside it, on the same day, the estimate as it was before it was played from the counters
("before"): the same service's tickets ahead × the mean service time ÷ the service's
unpaused counters, kept here only to compare.

Figures per service and overall, per seed and as min/median/max over the seeds:
- bias: mean of estimate - real wait (minutes), tickets told a figure (not "paused");
- mae>=5: median |estimate - real wait| for real waits of 5 minutes or more;
- nowait>10: of those told "no wait" (0 minutes), the share who waited over 10 minutes;
- nowait: the share told "no wait"; paused: the share told their counters are paused;
- phone15: median |estimate - remaining wait| 15 minutes after issue, for those still waiting.

    .venv/bin/python bench/wait_estimate.py [--seeds 5] [--until 17:15]

`--seeds 1 --until 09:15` plays a short morning, for the test that the script runs.
"""
from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hall.queue import QueueEngine  # noqa: E402  (after the path: the script runs from anywhere)
from hall.spec import HallSpec, load_hall  # noqa: E402
from hall.tickets import Priority  # noqa: E402

DAY = date(2026, 11, 25)
PEAK_PER_HOUR = {  # arrivals at the peak: 93 % of the 8 counters' time, each counter near it
    "social_security": 11.2, "medical_insurance": 10.0, "household": 5.6, "real_estate": 4.1,
    "business_license": 2.0, "housing_fund": 5.6, "taxation": 4.65, "veterans": 1.5,
}
# (from, to, share of the peak rate): issuing stops 15 minutes before each closing.
ARRIVALS = [("08:30", "09:00", 0.7), ("09:00", "11:00", 1.0), ("11:00", "11:45", 0.6),
            ("13:30", "15:30", 0.75), ("15:30", "17:15", 0.55)]
BREAKS = [("09:30", "11:15"), ("14:00", "16:30")]   # each counter's break starts within each
BREAK_MINUTES = (10, 20)
SIGMA = 0.5             # of the service times' logarithm
ABSENT_SHARE = 0.05
GREEN_SHARE = 0.04
RECALL_AFTER, ABSENT_AFTER = 1.0, 2.0   # minutes after the call
PHONE_AFTER = 15.0      # minutes after issue, the phone page's figure
LONG_WAIT = 5.0
NO_WAIT_LIMIT = 10.0


def at(hhmm: str, zone) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=zone)


@dataclass
class Told:
    """What one citizen was told and what then happened, in minutes."""

    service: str
    issued: datetime
    estimate: int
    paused: bool
    before: int                        # the earlier estimate, on the same state
    called: datetime | None = None
    phone: tuple[int, bool, int] | None = None   # 15 minutes on: estimate, paused, the earlier estimate

    def wait(self) -> float:
        return (self.called - self.issued).total_seconds() / 60


@dataclass
class Day:
    """One seeded day through the engine."""

    spec: HallSpec
    engine: QueueEngine | None
    rng: random.Random
    now: datetime
    events: list = field(default_factory=list)
    told: dict[int, Told] = field(default_factory=dict)
    waiting: list[tuple[int, int, str]] = field(default_factory=list)  # (rank, id, service) as the engine orders
    serving: dict[str, int | None] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    durations: dict[str, list[float]] = field(default_factory=dict)    # completed services, in order
    called_at: dict[int, datetime] = field(default_factory=dict)
    seq: int = 0

    def schedule(self, when: datetime, action, *args) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, action, args))

    def run(self) -> None:
        while self.events:
            when, _, action, args = heapq.heappop(self.events)
            self.now = when
            action(*args)

    # -- the citizens ------------------------------------------------------------------

    def arrive(self, service: str) -> None:
        green = self.rng.random() < GREEN_SHARE
        ticket = self.engine.issue_ticket(service, priority=Priority.GREEN if green else Priority.NORMAL,
                                          person_hash=f"{self.rng.getrandbits(256):064x}")
        rank = self.rank(ticket.priority)
        before = self.before_estimate(service, (rank, ticket.id))
        self.told[ticket.id] = Told(service=service, issued=self.now, estimate=ticket.estimated_wait_minutes,
                                    paused=ticket.paused, before=before)
        self.waiting.append((rank, ticket.id, service))
        self.waiting.sort()
        self.schedule(self.now + timedelta(minutes=PHONE_AFTER), self.look_at_phone, ticket.id)
        for counter in self.spec.counters:
            if service in counter.services and self.serving[counter.id] is None and counter.id not in self.paused:
                if self.call(counter.id):
                    break

    def look_at_phone(self, ticket_id: int) -> None:
        if ticket_id in self.called_at:
            return
        ticket = self.engine.ticket(ticket_id)
        told = self.told[ticket_id]
        before = self.before_estimate(told.service, (self.rank(ticket.priority), ticket_id))
        told.phone = (ticket.estimated_wait_minutes, ticket.paused, before)

    # -- the counters ------------------------------------------------------------------

    def call(self, counter: str) -> bool:
        ticket = self.engine.call_next(counter)
        if ticket is None:
            return False
        self.serving[counter] = ticket.id
        self.called_at[ticket.id] = self.now
        self.told[ticket.id].called = self.now
        self.waiting = [w for w in self.waiting if w[1] != ticket.id]
        if self.rng.random() < ABSENT_SHARE:
            self.schedule(self.now + timedelta(minutes=RECALL_AFTER), self.engine.recall, counter)
            self.schedule(self.now + timedelta(minutes=ABSENT_AFTER), self.absent, counter)
        else:
            mean = self.spec.service(ticket.service).mean_service_minutes
            minutes = self.rng.lognormvariate(math.log(mean) - SIGMA ** 2 / 2, SIGMA)
            self.schedule(self.now + timedelta(minutes=minutes), self.done, counter)
        return True

    def done(self, counter: str) -> None:
        ticket = self.engine.complete(counter)
        self.durations.setdefault(ticket.service, []).append(
            (self.now - self.called_at[ticket.id]).total_seconds() / 60)
        self.next(counter)

    def absent(self, counter: str) -> None:
        self.engine.mark_absent(counter)
        self.next(counter)

    def next(self, counter: str) -> None:
        self.serving[counter] = None
        if counter not in self.paused:
            self.call(counter)

    def pause(self, counter: str, minutes: float) -> None:
        self.engine.pause(counter)
        self.paused.add(counter)
        self.schedule(self.now + timedelta(minutes=minutes), self.resume, counter)

    def resume(self, counter: str) -> None:
        self.engine.resume(counter)
        self.paused.discard(counter)
        if self.serving[counter] is None:
            self.call(counter)

    # -- the estimate as it was --------------------------------------------------------

    def rank(self, priority: Priority) -> int:
        """Its class's place in the hall's calling order (priority_first, then the rest)."""
        first = [Priority(p) for p in self.spec.hall.priority_first]
        return first.index(priority) if priority in first else len(first)

    def before_estimate(self, service: str, key: tuple[int, int]) -> int:
        """ceil(the same service's waiting tickets before it × the mean of its last 20
        completed services (the configured one under 3) ÷ its unpaused counters)."""
        ahead = sum(1 for rank, tid, s in self.waiting if s == service and (rank, tid) < key)
        recent = self.durations.get(service, [])[-20:]
        mean = (sum(recent) / len(recent) if len(recent) >= 3
                else self.spec.service(service).mean_service_minutes)
        counters = sum(1 for c in self.spec.counters_for(service) if c.id not in self.paused)
        return math.ceil(round(ahead * mean / max(counters, 1), 6))


def play(seed: int, until: str, folder: Path) -> list[Told]:
    spec = load_hall(ROOT / "config" / "hall.toml")
    zone = spec.zone
    rng = random.Random(seed)
    day = Day(spec=spec, engine=None, rng=rng, now=at("08:30", zone))
    day.engine = QueueEngine(spec, f"sqlite:///{folder / f'hall-{seed}.db'}", clock=lambda: day.now)
    try:
        day.serving = {c.id: None for c in spec.counters}
        last = at(until, zone)
        for start, end, share in ARRIVALS:
            t0, t1 = at(start, zone), min(at(end, zone), last)
            for code, per_hour in PEAK_PER_HOUR.items():
                when = t0
                while True:
                    when += timedelta(minutes=rng.expovariate(per_hour * share / 60))
                    if when >= t1:
                        break
                    day.schedule(when, day.arrive, code)
        for counter in spec.counters:
            for start, end in BREAKS:
                t0, t1 = at(start, zone), at(end, zone)
                when = t0 + (t1 - t0) * rng.random()
                if when < last:
                    day.schedule(when, day.pause, counter.id, rng.uniform(*BREAK_MINUTES))
        day.run()
    finally:
        day.engine.close()
    return list(day.told.values())


def figures(told: list[Told], *, before: bool) -> dict[str, float]:
    """The figures of the module's docstring, for the estimate as it is or as it was."""
    n = len(told)
    if n == 0:
        return {}

    def estimate(t: Told) -> int:
        return t.before if before else t.estimate

    def paused(t: Told) -> bool:
        return False if before else t.paused

    stated = [t for t in told if not paused(t)]
    errors = [estimate(t) - t.wait() for t in stated]
    long_errors = [abs(estimate(t) - t.wait()) for t in stated if t.wait() >= LONG_WAIT]
    no_wait = [t for t in stated if estimate(t) == 0]
    phone = []
    for t in told:
        if t.phone is None:
            continue
        figure, was_paused, earlier = t.phone
        if before or not was_paused:
            phone.append(abs((earlier if before else figure) - (t.wait() - PHONE_AFTER)))
    nan = float("nan")
    return {
        "tickets": n,
        "bias": statistics.fmean(errors) if errors else nan,
        "mae>=5": statistics.median(long_errors) if long_errors else nan,
        "nowait": 100 * len(no_wait) / n,
        "nowait>10": 100 * sum(1 for t in no_wait if t.wait() > NO_WAIT_LIMIT) / len(no_wait) if no_wait else 0.0,
        "paused": 100 * sum(1 for t in told if paused(t)) / n,
        "phone15": statistics.median(phone) if phone else nan,
    }


COLUMNS = [("tickets", "{:>7.0f}"), ("bias", "{:>+7.1f}"), ("mae>=5", "{:>7.1f}"), ("nowait", "{:>6.0f}%"),
           ("nowait>10", "{:>8.1f}%"), ("paused", "{:>6.1f}%"), ("phone15", "{:>8.1f}")]


def row(label: str, f: dict[str, float]) -> str:
    return f"{label:<28}" + "".join(
        fmt.format(f[k]).rjust(len(fmt.format(0)) + 1) if k in f else " " * 9 for k, fmt in COLUMNS)


def header() -> str:
    return f"{'':<28}" + "".join(k.rjust(len(fmt.format(0)) + 1) for k, fmt in COLUMNS)


def spread(values: list[float], fmt: str) -> str:
    real = sorted(v for v in values if not math.isnan(v))
    if not real:
        return "-"
    return "/".join(fmt.format(v) for v in (real[0], statistics.median(real), real[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--until", default="17:15", help="the last arrival (HH:MM), for a short day")
    args = parser.parse_args()
    per_seed: list[tuple[dict, dict]] = []   # (before, after): service (or "all") -> figures
    services = list(PEAK_PER_HOUR)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            t0 = time.perf_counter()
            told = play(seed, args.until, Path(tmp))
            elapsed = time.perf_counter() - t0
            result = []
            for before in (True, False):
                by = {"all": figures(told, before=before)}
                for code in services:
                    by[code] = figures([t for t in told if t.service == code], before=before)
                result.append(by)
            per_seed.append((result[0], result[1]))
            print(f"seed {seed}: {len(told)} tickets, played in {elapsed:.1f} s")
            print(header())
            print(row("  before: all", result[0]["all"]))
            print(row("  after:  all", result[1]["all"]))
    print(f"\nper service, over {args.seeds} seeds' tickets, median of the seeds' figures")
    print(header())
    for code in ["all", *services]:
        for label, index in (("before", 0), ("after", 1)):
            merged = {}
            for key, _ in COLUMNS:
                values = [s[index][code][key] for s in per_seed if key in s[index][code]]
                values = [v for v in values if not math.isnan(v)]
                if values:
                    merged[key] = statistics.median(values)
            print(row(f"  {code} {label}", merged))
    print(f"\noverall, min/median/max over {args.seeds} seeds (target: bias within ±1 min, mae>=5 at most 5 min, "
          "nowait>10 0 %)")
    for key, fmt in [("bias", "{:+.1f}"), ("mae>=5", "{:.1f}"), ("nowait", "{:.0f}%"), ("nowait>10", "{:.1f}%"),
                     ("paused", "{:.1f}%"), ("phone15", "{:.1f}")]:
        before = spread([s[0]["all"][key] for s in per_seed], fmt)
        after = spread([s[1]["all"][key] for s in per_seed], fmt)
        print(f"  {key:<10} before {before:<22} after {after}")


if __name__ == "__main__":
    main()
