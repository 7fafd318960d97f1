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


def referred(seq: int, case_id: int, origin: str = "town-01", **changes) -> dict:
    """The event a town writes with a case of a matter its parent decides (hall.matters.cases)."""
    matter = {"id": case_id, "number": f"20261125-{case_id:04}", "code": "140800-GJ-0603",
              "name": {"zh_CN": "住房公积金异地转移接续", "en": "Moving a provident fund account"},
              "service": "housing_fund", "department": "县住房公积金中心", "decided_by": "市住房公积金管理中心",
              "promised_days": 5, "due": "2026-12-02", "applicant": "1101**********002X",
              "documents": [{"zh_CN": "居民身份证"}, {"zh_CN": "异地转移接续申请表"}], "received": [0], **changes}
    return {**event(seq, origin=origin, kind="matter_referred", ticket=None), "payload": {"matter": matter}}


def referred_cases(stored) -> list[tuple]:
    return stored("select origin, origin_case, origin_number, accepted_here, documents, state from matter_cases "
                  "order by id")


def test_a_case_a_child_accepted_for_this_hall_opens_here_once(add_child, stored, login):
    town = add_child("town-01", name="城关镇便民服务中心")
    first = {"hall": "town-01", "after": 0, "events": [referred(1, 7)], "steps_after": 0}
    assert town.post(EVENTS, first).status_code == 200
    again = town.post(EVENTS, {**first, "events": [referred(1, 7), referred(2, 7)]})   # a repeat, and a forgery
    assert again.status_code == 200 and again.json()["stored"] == 1, again.text
    assert referred_cases(stored) == [("town-01", 7, "20261125-0007", "城关镇便民服务中心", "0", "accepted")]
    [case] = login("0301").get("/api/v1/matters", params={"open": True}).json()
    assert (case["origin"], case["origin_number"], case["due"], case["light"]) == ("town-01", "20261125-0007",
                                                                                 "2026-12-02", "green")
    assert [(d["name"]["zh_CN"], d["received"]) for d in case["documents"]] == [("居民身份证", True),
                                                                                ("异地转移接续申请表", False)]
    assert [(s["step"], s["place"]) for s in login("0302").get(f"/api/v1/matters/{case['id']}").json()["steps"]] == [
        ("open", "城关镇便民服务中心")]


def test_a_case_from_below_that_does_not_parse_is_stored_as_an_event_and_not_opened(add_child, stored, caplog):
    town = add_child("town-01")
    bad = [referred(1, 7, documents=[]), referred(2, 8, due="soon"), referred(3, 9, code="no such code!"),
           {**event(4, kind="matter_referred", ticket=None), "payload": {"matter": "a string"}}]
    answer = town.post(EVENTS, {"hall": "town-01", "after": 0, "events": bad, "steps_after": 0})
    assert answer.status_code == 200 and answer.json()["stored"] == 4, answer.text
    assert referred_cases(stored) == []
    until(lambda: caplog.text.count("not opened as a case") == 4, seconds=10, what=lambda: caplog.text)


def test_a_child_sends_and_receives_the_cases_of_its_own_hall_alone(add_child, stored, login):
    town, other = add_child("town-01"), add_child("town-02")
    forged = other.post(EVENTS, {"hall": "town-02", "after": 0, "events": [referred(1, 7, origin="town-01")]})
    assert forged.status_code == 403 and forged.json()["error"] == "other_hall", forged.text
    relayed = other.post(EVENTS, {"hall": "town-02", "after": 0, "events": [referred(1, 7, origin="village-9")],
                                  "halls": {"village-9": {"name": "青山村便民服务站", "region": "511525001001"}}})
    assert relayed.status_code == 200, relayed.text          # its own parent, the town, decides it
    assert town.post(EVENTS, {"hall": "town-01", "after": 0, "events": [referred(1, 7)]}).status_code == 200
    assert [c[:2] for c in referred_cases(stored)] == [("town-01", 7)]
    desk = login("0301")
    [case] = desk.get("/api/v1/matters", params={"open": True}).json()
    assert desk.post(f"/api/v1/matters/{case['id']}/steps", {"step": "start"}).status_code == 200
    theirs = other.post(EVENTS, {"hall": "town-02", "after": 1, "events": [], "steps_after": 0})
    assert theirs.status_code == 200 and theirs.json()["steps"] == [], theirs.text
    mine = town.post(EVENTS, {"hall": "town-01", "after": 1, "events": [], "steps_after": 0}).json()["steps"]
    assert [(s["case"], s["number"], s["step"], s["state"], s["by"]) for s in mine] == [
        (7, "20261125-0007", "start", "in_progress", "0301")]
    after = town.post(EVENTS, {"hall": "town-01", "after": 1, "events": [], "steps_after": mine[0]["cursor"]})
    assert after.json()["steps"] == [], after.text
    assert town.post(EVENTS, {"hall": "town-01", "after": 1, "events": []}).json()["steps"] == []   # a relay's


def test_the_deciding_level_may_not_accept_a_case_from_below_on_review_and_no_other(add_child, login):
    town = add_child("town-01")
    assert town.post(EVENTS, {"hall": "town-01", "after": 0, "events": [referred(1, 7)]}).status_code == 200
    desk = login("0301")
    [below] = desk.get("/api/v1/matters", params={"from_below": True}).json()
    unreasoned = desk.post(f"/api/v1/matters/{below['id']}/steps", {"step": "refuse"})
    assert unreasoned.status_code == 422 and unreasoned.json()["reason"] == "reason_required", unreasoned.text
    refused = desk.post(f"/api/v1/matters/{below['id']}/steps", {"step": "refuse", "note": "不属于本市办理范围"})
    assert refused.status_code == 200, refused.text
    assert (refused.json()["state"], refused.json()["reason"], refused.json()["light"]) == (
        "not_accepted", "不属于本市办理范围", None)
    [step] = town.post(EVENTS, {"hall": "town-01", "after": 1, "events": [], "steps_after": 0}).json()["steps"]
    assert (step["step"], step["state"], step["note"]) == ("refuse", "not_accepted", "不属于本市办理范围")
    own = desk.post("/api/v1/matters", {"matter_code": "140830-GJ-0601"}).json()
    answer = desk.post(f"/api/v1/matters/{own['id']}/steps", {"step": "refuse", "note": "不符合条件"})
    assert answer.status_code == 409 and answer.json()["reason"] == "step_not_allowed", answer.text
    assert answer.json()["message"].endswith("start, request_documents, complete, return")
