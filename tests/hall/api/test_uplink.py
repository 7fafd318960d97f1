"""What a parent refuses or absorbs, over real HTTP: a wrong token, another hall's token, a
gap, a batch out of order, a replayed batch, a definition that does not parse. Each answer
is a 4xx with its reason, or a 200 that stores nothing twice; never a 5xx."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hall.spec import load_hall
from hall.uplink import receiver
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.support.api_clients import Api
from tests.support.waiting import until

EVENTS = "/api/v1/uplink/events"


@pytest.fixture
def add_child(live):
    """Registers a child hall on the parent, as python -m hall add-hall does, and returns a
    client with its uplink token."""
    def add(hall_id: str, region: str = "511525", name: str = "城关镇便民服务中心") -> Api:
        with live.hall.engine.transaction() as session:
            token = receiver.add_hall(session, hall_id=hall_id, name=name, region=region,
                                      now=datetime.now(timezone.utc))
        return Api(live.url, token)
    return add


def event(seq: int, origin: str = "town-01", kind: str = "issued", ticket: int | None = None, **payload) -> dict:
    at = OPEN_MORNING + timedelta(minutes=seq)
    ticket = seq if ticket is None else ticket
    return {"seq": seq, "origin": origin, "id": seq, "kind": kind, "at": at.isoformat(), "day": at.date().isoformat(),
            "counter": None, "ticket": ticket,
            "payload": payload or {"ticket": {"id": ticket, "number": f"A{seq:03}", "service": "household",
                                              "status": "waiting"}}}


def batch(after: int, *seqs: int, hall: str = "town-01") -> dict:
    return {"hall": hall, "after": after, "events": [event(s, origin=hall) for s in seqs]}


def test_a_batch_is_stored_once_and_acknowledged(add_child, count):
    town = add_child("town-01")
    answer = town.post(EVENTS, batch(0, 1, 2, 3))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"acked": 3, "stored": 3, "repeats": 0, "steps": [], "more_steps": False}
    assert count("uplink_events") == 3


def test_a_replayed_batch_is_absorbed_and_acknowledged_with_nothing_written(add_child, count, stored):
    town = add_child("town-01")
    assert town.post(EVENTS, batch(0, 1, 2)).status_code == 200
    again = town.post(EVENTS, batch(0, 1, 2, 3))
    assert again.status_code == 200, again.text
    assert again.json() == {"acked": 3, "stored": 1, "repeats": 2, "steps": [], "more_steps": False}
    replayed = town.post(EVENTS, batch(0, 1, 2, 3))
    assert replayed.json() == {"acked": 3, "stored": 0, "repeats": 3, "steps": [], "more_steps": False}
    assert count("uplink_events") == 3
    assert stored("select issued from uplink_days") == [(3,)]


def test_a_wrong_token_is_refused(live, add_child, count):
    add_child("town-01")
    for token in ("not-a-token", None):
        answer = Api(live.url, token).post(EVENTS, batch(0, 1))
        assert answer.status_code == 401 and answer.json()["error"] == "unauthorized", answer.text
    assert count("uplink_events") == 0


def test_another_halls_token_is_refused(add_child, count):
    add_child("town-01")
    other = add_child("town-02")
    answer = other.post(EVENTS, batch(0, 1, hall="town-01"))
    assert answer.status_code == 403 and answer.json()["error"] == "other_hall", answer.text
    disguised = other.post(EVENTS, {"hall": "town-02", "after": 0, "events": [event(1, origin="town-01")]})
    assert disguised.status_code == 403 and disguised.json()["error"] == "other_hall", disguised.text
    assert count("uplink_events") == 0


def test_a_gap_is_refused_with_the_id_to_send_after(add_child, count):
    town = add_child("town-01")
    assert town.post(EVENTS, batch(0, 1, 2)).status_code == 200
    answer = town.post(EVENTS, batch(5, 6, 7))
    assert answer.status_code == 409 and answer.json()["error"] == "gap", answer.text
    assert answer.headers["Uplink-Acked"] == "2"
    assert count("uplink_events") == 2


def test_a_batch_out_of_order_is_refused_whole(add_child, count):
    town = add_child("town-01")
    for seqs in ((2, 1), (1, 1), (3, 4)):
        answer = town.post(EVENTS, batch(3 if seqs == (3, 4) else 0, *seqs))
        assert answer.status_code == 422 and answer.json()["error"] == "out_of_order", (seqs, answer.text)
    assert count("uplink_events") == 0


def test_a_relayed_hall_outside_the_childs_region_is_refused(add_child, count):
    county = add_child("county-511525", region="511525")
    body = {"hall": "county-511525", "after": 0, "events": [event(1, origin="village-9")],
            "halls": {"village-9": {"name": "外县村", "region": "511526001001"}}}
    answer = county.post(EVENTS, body)
    assert answer.status_code == 403 and answer.json()["error"] == "other_region", answer.text
    assert count("uplink_events") == 0 and count("uplink_halls") == 1


def test_a_definition_that_does_not_parse_is_refused_and_a_good_one_kept(add_child, stored):
    town = add_child("chengguan")
    good = load_hall(SAMPLE_HALL).model_dump(mode="json")
    broken = {**good, "services": [{"code": "x"}]}
    answer = town.http.put(f"{town.base}/api/v1/uplink/definition", json={"hall": "chengguan", "definition": broken},
                           timeout=10)
    assert answer.status_code == 422 and answer.json()["error"] == "bad_definition", answer.text
    assert stored("select definition from uplink_halls") == [(None,)]
    other = town.http.put(f"{town.base}/api/v1/uplink/definition", json={"hall": "someone", "definition": good},
                          timeout=10)
    assert other.status_code == 403, other.text
    kept = town.http.put(f"{town.base}/api/v1/uplink/definition", json={"hall": "chengguan", "definition": good},
                         timeout=10)
    assert kept.status_code == 200, kept.text
    assert stored("select count(*) from uplink_halls where definition is not null") == [(1,)]


@pytest.mark.own_server
def test_the_servers_housekeeping_clears_a_finished_days_tickets_and_keeps_its_figures(add_child, clock, count,
                                                                                      stored):
    town = add_child("town-01")
    assert town.post(EVENTS, batch(0, 1, 2)).status_code == 200
    assert count("uplink_tickets") == 2
    clock.now = OPEN_MORNING + timedelta(days=1, hours=2)   # the next day, past housekeeping's hour
    until(lambda: count("uplink_tickets") == 0, seconds=30, every=0.05, what="yesterday's ticket rows to be cleared")
    assert stored("select issued from uplink_days") == [(2,)]


def test_payload_strings_too_long_for_the_figures_are_left_out_and_the_batch_stored(add_child, stored):
    """A hall below running other software may send anything its payloads allow: what does
    not fit a figure's column is left out of the figures, never a 5xx."""
    town = add_child("town-01")
    long = "x" * 200
    payloads = [("issued", {"ticket": {"id": 1, "number": long, "service": long, "status": long, "counter": long}}),
                ("counter_staff", {"counter": long, "signed_in": True}),
                ("case_opened", {"case": {"id": 2**40, "state": "open"}}),
                ("matter_step", {"matter": {"id": 7, "state": "accepted", "light": long, "due": "not a day"}}),
                ("device_status", {"device": "d" * 300, "status": "paper_out"})]
    events = [{**event(n, kind=kind), "payload": payload} for n, (kind, payload) in enumerate(payloads, 1)]
    events.append(event(6, ticket=2))
    answer = town.post(EVENTS, {"hall": "town-01", "after": 0, "events": events})
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 6
    assert stored("select ticket_id, number, service from uplink_tickets order by ticket_id") == [
        (2, "A006", "household")]
    assert stored("select kind, case_id, due, light from uplink_cases") == [("matter", 7, None, None)]
    assert stored("select count(*) from uplink_counters") == [(0,)]
    assert stored("select count(*) from uplink_devices") == [(0,)]
