"""What the hall server keeps of identified citizens, over real HTTP: a copy of its database
gives back no ID number, finished days' person hashes are cleared, and a jump of the clock
makes it forget no idempotency key (docs/privacy.md)."""
from __future__ import annotations

import pytest
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from hall import accounts
from hall.schemas import DeviceKind
from hall.settings import ServerSettings
from kiosk.identity import number_hash
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.hall.api.conftest import Api
from tests.support.servers import LiveServer
from tests.id_number_search import copy_of, recover, stored_hashes
from tests.support.waiting import until

ISSUE = "/api/v1/tickets"
SALT = "/api/v1/person-salt"
CITIZEN = "11010519491231002X"


def identified(kiosk: Api, number: str, service: str = "household") -> dict:
    """What a kiosk sends for a citizen whose card it read: the hash with today's key, the age."""
    key = bytes.fromhex(kiosk.get(SALT).json()["salt"])
    return {"service": service, "person_hash": number_hash(number, key), "age": 76}


def test_a_copy_of_the_database_gives_back_no_id_number(tmp_path, clock):
    settings = ServerSettings(data_dir=tmp_path / "server", hall_file=SAMPLE_HALL)
    server = LiveServer(settings, clock)
    try:
        with server.hall.engine.transaction() as session:
            token = accounts.add_device(session, hall_id="chengguan", device_id="kiosk-01", kind=DeviceKind.KIOSK,
                                        now=datetime.now(timezone.utc))
        kiosk = Api(server.url, token)
        assert kiosk.post(ISSUE, identified(kiosk, CITIZEN), key="card-0001").status_code == 201
        stolen = copy_of(settings.data_dir / "hall.db", tmp_path / "stolen.db")
    finally:
        server.stop()
    assert len(stored_hashes(stolen)) == 1
    assert recover(stolen, CITIZEN) == set()
    # The same search with the key file beside the copy finds the number: it can succeed.
    assert recover(stolen, CITIZEN, key_file=settings.person_key_path) == {CITIZEN}


def hashes_of(db_url: str) -> list[tuple[str, str]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            return [(str(day), number) for day, number in con.execute(text(
                "select day, number from tickets where person_hash is not null order by id"))]
    finally:
        engine.dispose()


def until_no_hash_of(db_url: str, day: str) -> None:
    """Waits for the server's housekeeping to clear that day's hashes."""
    until(lambda: not any(d == day for d, _ in hashes_of(db_url)), seconds=30, every=0.05,
          what=f"the person hashes of {day} to be cleared")


@pytest.mark.own_server
def test_a_clock_jump_forgets_no_idempotency_key_and_finished_days_lose_their_hashes(
        live, kiosk, add_device, clock, count, db_url):
    """The clock leaps twelve days ahead; another kiosk writes; housekeeping runs after that
    write (the hashes it clears say so); the first kiosk's retry still gets its ticket."""
    body = identified(kiosk, CITIZEN)
    first = kiosk.post(ISSUE, body, key="card-0001")
    assert first.status_code == 201
    clock.now = OPEN_MORNING + timedelta(days=12)  # Monday 7 December
    other = add_device("kiosk-02")
    assert other.post(ISSUE, identified(other, "110105198001010016"), key="card-0002").status_code == 201
    until_no_hash_of(db_url, "2026-11-25")
    assert hashes_of(db_url) == [("2026-12-07", "C001")]
    clock.now = OPEN_MORNING + timedelta(days=13)
    until_no_hash_of(db_url, "2026-12-07")  # a pass after the second kiosk's write

    again = kiosk.post(ISSUE, body, key="card-0001")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count("tickets") == 2 and count("idempotency_keys") == 2
