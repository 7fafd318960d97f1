"""A city hall's numbers: a service given four digits in hall.toml numbers past 999 (C0999,
C1000), and its numbers are looked up, called, called back, shown on the display and on the
phone page as issued; a three-digit service beside it still stops at its 999th, saying so."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from hall.schemas import Role
from hall.settings import ServerSettings
from tests.conftest import SAMPLE_HALL
from tests.hall.conftest import lift_quotas


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database) -> ServerSettings:
    """The sample hall without quotas, its household registration (C, counter 3) numbered
    with four digits."""
    folder = tmp_path_factory.mktemp("server")
    hall_file = folder / "hall.toml"
    hall_file.write_text(SAMPLE_HALL.read_text(encoding="utf-8").replace('prefix = "C"\n', 'prefix = "C"\ndigits = 4\n'),
                         encoding="utf-8")
    return ServerSettings(data_dir=folder, database=module_database, hall_file=lift_quotas(hall_file), offline_after=2)


def numbered_up_to(db_url: str, service: str, last: int) -> None:
    """The day's sequence of `service` moved on behind the server's back, as `last` issues would."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as con:
            con.execute(text("update ticket_sequences set last_seq = :last where service = :service"),
                        {"last": last, "service": service})
    finally:
        engine.dispose()


def test_a_four_digit_service_issues_past_999_and_every_page_follows(db_url, live, kiosk, login):
    assert kiosk.post("/api/v1/tickets", {"service": "household"}).json()["number"] == "C0001"
    numbered_up_to(db_url, "household", 998)
    issued = [kiosk.post("/api/v1/tickets", {"service": "household"}) for _ in range(3)]
    assert [(r.status_code, r.json()["number"]) for r in issued] == [(201, "C0999"), (201, "C1000"), (201, "C1001")]
    thousandth = issued[1].json()
    assert kiosk.get("/api/v1/tickets/by-number/c1000").json()["id"] == thousandth["id"]
    [household] = [s for s in kiosk.get("/api/v1/services").json() if s["code"] == "household"]
    assert (household["issued_today"], household["refusal"]) == (1001, None)

    desk = login("0301", role=Role.STAFF, counters=("3",), counter="3")
    for expected in ("C0001", "C0999", "C1000"):
        called = desk.post("/api/v1/counters/3/call-next").json()
        assert called["number"] == expected
        desk.post("/api/v1/counters/3/hold" if expected == "C1000" else "/api/v1/counters/3/complete")
    back = desk.post("/api/v1/counters/3/call-back", {"number": "C1000"})
    assert back.status_code == 200 and back.json()["status"] == "called", back.text

    board = kiosk.get("/api/v1/display").json()
    assert [c["number"] for c in board["calls"]][:3] == ["C1000", "C0999", "C0001"]
    assert {"id": "3", "number": "C1000", "paused": False} in board["counters"]
    phone = kiosk.get("/t/" + thousandth["link"].rsplit("/t/", 1)[1])
    assert phone.status_code == 200 and "C1000" in phone.text


def test_a_three_digit_service_beside_it_stops_at_999_saying_so(db_url, live, kiosk):
    assert kiosk.post("/api/v1/tickets", {"service": "social_security"}).json()["number"] == "A001"
    numbered_up_to(db_url, "social_security", 998)
    assert kiosk.post("/api/v1/tickets", {"service": "social_security"}).json()["number"] == "A999"
    refused = kiosk.post("/api/v1/tickets", {"service": "social_security"})
    assert refused.status_code == 409 and refused.json()["reason"] == "numbers_exhausted", refused.text
    assert "999 tickets issued today, the most its 3-digit numbers allow (A001 to A999)" in refused.json()["message"]
    assert kiosk.post("/api/v1/tickets", {"service": "household"}).json()["number"] == "C0001"
