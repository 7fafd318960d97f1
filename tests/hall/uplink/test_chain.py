"""A hall (its server on SQLite) reports to its county, which relays to its city (both
parents on PostgreSQL), each part in its own process as installed. Every event reaches the
city once, in order, with the hall it came from; a parent stopped for a while, a sender
killed mid-batch, a parent killed mid-batch: nothing is lost and nothing counted twice."""
from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

import pytest

from hall.uplink.central import STALE_AFTER
from tests.conftest import OPEN_MORNING
from tests.hall.uplink.chain import Sender, add_hall, server
from tests.support.api_clients import Api
from tests.support.servers import FileClock
from tests.support.waiting import until

SERVICES = ("household", "social_security", "taxation")
OUTAGE_TICKETS = 3000  # a busy hall's day (20 terminals)
BUSY_QUEUE = 40


@pytest.fixture
def chain(tmp_path, postgres):
    clock = FileClock(tmp_path / "clock", OPEN_MORNING)
    hall = server(tmp_path / "hall", "chengguan", f"sqlite:///{tmp_path / 'hall.db'}", clock).start()
    county = server(tmp_path / "county", "county-511525", postgres.database("uplink_county"), clock).start()
    city = server(tmp_path / "city", "city-511500", postgres.database("uplink_city"), clock).start()
    senders = [Sender(hall, county, add_hall(county, "chengguan", "511525001")),
               Sender(county, city, add_hall(city, "county-511525", "511525", name="城关县"), relay=True)]
    parts = {"hall": hall, "county": county, "city": city, "sender": senders[0], "relay": senders[1], "clock": clock}
    yield parts
    for part in (*senders, hall, county, city):
        part.kill(signal.SIGTERM)


def hall_events(hall) -> list[tuple]:
    return hall.rows("select id, kind from events order by id")


def received(parent, origin: str = "chengguan") -> list[tuple]:
    return parent.rows(f"select origin_id, kind from uplink_events where origin = '{origin}' order by id")


def arrived(parent, expected: list[tuple]):
    return lambda: received(parent) == expected


def issue_behind(hall, count: int) -> None:
    """Tickets taken at the hall's kiosks, written to its database by another process."""
    with hall._engine() as engine:
        for n in range(count):
            engine.issue_ticket(SERVICES[n % len(SERVICES)])


def test_events_reach_the_city_once_with_their_origin(chain):
    hall, county, city = chain["hall"], chain["county"], chain["city"]
    chain["sender"].start()
    chain["relay"].start()
    kiosk = Api(hall.url, hall.register("kiosk-01"))
    for _ in range(3):
        assert kiosk.post("/api/v1/tickets", {"service": "household"}).status_code == 201
    chain["clock"].now = OPEN_MORNING + timedelta(minutes=4)
    with hall._engine() as engine:  # a counter's staff, as their console's calls do
        engine.call_next("3")
        engine.complete("3")
    expected = hall_events(hall)
    assert [kind for _, kind in expected].count("issued") == 3
    until(arrived(city, expected), seconds=60, what=lambda: f"the city to hold {expected}: {received(city)}")
    assert received(county) == expected
    assert city.rows("select hall_id, region, via from uplink_halls order by hall_id") == [
        ("chengguan", "511525001", "county-511525"), ("county-511525", "511525", None)]
    assert city.rows("select issued, served, waits from uplink_days where origin = 'chengguan'") == [(3, 1, 1)]
    definition = county.rows("select definition from uplink_halls where hall_id = 'chengguan'")[0][0]
    assert '"id":"chengguan"' in definition


def test_after_an_outage_everything_arrives_in_order_exactly_once(chain):
    hall, county, city = chain["hall"], chain["county"], chain["city"]
    chain["sender"].start()
    chain["relay"].start()
    issue_behind(hall, 5)
    until(arrived(city, hall_events(hall)), seconds=60, what="the first tickets to reach the city")
    county.kill(signal.SIGTERM)
    busy_day(hall, OUTAGE_TICKETS)
    chain["clock"].now = back = OPEN_MORNING + timedelta(hours=2)
    assert back - heard(city) > STALE_AFTER                     # the central page calls the hall stale
    county.start()
    expected = hall_events(hall)
    until(arrived(city, expected), seconds=300, what=lambda: f"{len(expected)} events at the city, not "
                                                             f"{len(received(city))}")
    assert received(county) == expected
    assert city.rows("select issued from uplink_days where origin = 'chengguan'") == [(5 + OUTAGE_TICKETS,)]
    until(lambda: back - heard(city) <= STALE_AFTER, what="the city to hear the hall again")


def busy_day(hall, count: int) -> None:
    """A busy day's tickets (four services, each under its 999 numbers), served as they come:
    past the first few dozen waiting, each ticket issued sees one of its service called and
    completed, as a hall's counters keep the queue short."""
    counters = {"household": "3", "social_security": "8", "medical_insurance": "1", "taxation": "7"}
    services = list(counters)
    with hall._engine() as engine:
        for n in range(count):
            service = services[n % len(services)]
            engine.issue_ticket(service)
            if n >= BUSY_QUEUE:
                engine.call_next(counters[service])
                engine.complete(counters[service])


def heard(parent) -> datetime:
    """When the parent last heard of the hall: what its central page judges staleness by."""
    (at,), = parent.rows("select heard_at from uplink_halls where hall_id = 'chengguan'")
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def backlog(chain, tickets: int) -> list[tuple]:
    """Tickets issued while the sender was away, sent then in small batches: many requests."""
    issue_behind(chain["hall"], tickets)
    sender = chain["sender"]
    sender.command[sender.command.index("--batch") + 1] = "20"
    return hall_events(chain["hall"])


def a_batch_arrives(parent) -> None:
    before = len(received(parent))
    until(lambda: len(received(parent)) > before, seconds=60, what="a batch to arrive")


def all_arrive(parent, expected: list[tuple]) -> None:
    until(arrived(parent, expected), seconds=120, what=lambda: f"{len(expected)} events at the parent, not "
                                                               f"{len(received(parent))}")


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_nothing(chain):
    county, sender = chain["county"], chain["sender"]
    expected = backlog(chain, 900)
    for _ in range(3):
        sender.start()
        a_batch_arrives(county)
        sender.kill()
    assert len(received(county)) < len(expected)  # killed before the end
    sender.start()
    all_arrive(county, expected)
    assert county.rows("select issued, waits from uplink_days where origin = 'chengguan'") == [(900, 0)]
    assert county.rows("select count(*) from uplink_tickets where status = 'waiting'") == [(900,)]


def test_a_parent_killed_mid_batch_loses_nothing_and_repeats_nothing(chain):
    county = chain["county"]
    expected = backlog(chain, 900)
    chain["sender"].start()
    for _ in range(2):
        a_batch_arrives(county)
        county.kill()
        county.start()
    assert len(received(county)) < len(expected)
    all_arrive(county, expected)
    assert county.rows("select issued from uplink_days where origin = 'chengguan'") == [(900,)]
