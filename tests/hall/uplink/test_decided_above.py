"""A matter accepted below and decided above (县务镇办), each part in its own process as
installed: a town's hall server on SQLite accepts a case of a matter its parent decides,
its uplink (python -m hall uplink) carries it up to the county's server on PostgreSQL,
whose staff work on it; each step comes back to the town's case, which the citizen follows
there (its progress page, the phone notices of the town's hall). A sender killed after the
answer carrying steps and before writing it down gets them again and applies them once."""
from __future__ import annotations

import json
import signal
from datetime import timedelta

import pytest
import requests

from tests.conftest import OPEN_MORNING
from tests.hall.matters.conftest import receivers  # noqa: F401 (fixture)
from tests.hall.matters.receivers import supervised_hall_file
from tests.hall.uplink.chain import Sender, add_hall, server
from tests.support.api_clients import Api, staff_session
from tests.support.servers import FileClock, HallServer
from tests.support.waiting import until

MATTERS = "/api/v1/matters"
TRANSFER = "140800-GJ-0603"   # the sample's matter decided by the parent (住房公积金异地转移接续)
TOWN_NAME = "城关镇便民服务中心"
COUNTY_NAME = "城关县政务服务中心"   # the parent runs the sample hall.toml under another id
PHONE = "13812345678"


@pytest.fixture
def levels(tmp_path, postgres, receivers):
    clock = FileClock(tmp_path / "clock", OPEN_MORNING)
    town = HallServer(data_dir=tmp_path / "town" / "data", database=f"sqlite:///{tmp_path / 'town.db'}",
                      hall_file=supervised_hall_file(tmp_path / "town-config", *receivers), clock=clock).start()
    county = server(tmp_path / "county", "county-140830", postgres.database("decided_county"), clock).start()
    sender = Sender(town, county, add_hall(county, "chengguan", "140830001", name=TOWN_NAME))
    sender.command += ["--public-url", town.url]
    yield {"town": town, "county": county, "sender": sender, "clock": clock}
    for part in (sender, town, county):
        part.kill(signal.SIGTERM)


def citizen_notices(webhook) -> list[dict]:
    return [body for body in (json.loads(b) for _h, b in webhook.taken()) if body["kind"] == "citizen"]


def up_there(county_desk, number: str):
    def found():
        cases = county_desk.get(MATTERS, params={"open": True}).json()
        return next((c for c in cases if c["origin_number"] == number), None)
    return found


def case_at(desk, case_id: int) -> dict:
    answer = desk.get(f"{MATTERS}/{case_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def reaches(desk, case_id: int, state: str, steps: int):
    """The town's case in `state` with `steps` steps after its opening."""
    def check():
        case = case_at(desk, case_id)
        return case if case["state"] == state and len(case["steps"]) == steps + 1 else None
    return check


def step(desk, case_id: int, name: str, **body) -> dict:
    answer = desk.post(f"{MATTERS}/{case_id}/steps", {"step": name, **body})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_case_goes_up_is_worked_on_there_and_the_citizen_follows_it_below(levels, receivers):
    town, county, clock = levels["town"], levels["county"], levels["clock"]
    webhook, _mail = receivers
    town_desk, county_desk = town.staff("0301"), county.staff("9001")
    opened = town_desk.post(MATTERS, {"matter_code": TRANSFER, "documents": [0], "phone": PHONE,
                                      "id_number": "11010519491231002X"})
    assert opened.status_code == 201, opened.text
    mine = opened.json()
    assert (mine["referred"], mine["decided_by"], mine["state"]) == (True, "市住房公积金管理中心", "accepted")
    refused = town_desk.post(f"{MATTERS}/{mine['id']}/steps", {"step": "start"})
    assert refused.status_code == 409 and refused.json()["reason"] == "decided_above", refused.text

    levels["sender"].start()
    there = until(up_there(county_desk, mine["number"]), seconds=60, what="the case to open at the county")
    assert (there["origin"], there["accepted_here"], there["decided_by"]) == ("chengguan", TOWN_NAME,
                                                                             "市住房公积金管理中心")
    assert (there["matter_name"]["zh_CN"], there["due"], there["promised_days"], there["applicant"]) == (
        "住房公积金异地转移接续", mine["due"], 5, "1101**********002X")
    assert [(d["name"]["zh_CN"], d["received"]) for d in there["documents"]] == [("居民身份证", True),
                                                                                  ("异地转移接续申请表", False)]
    assert (there["light"], there["phone"]) == ("green", None)
    sent_up = county.rows("select payload from uplink_events where kind = 'matter_referred'")[0][0]
    assert PHONE not in sent_up and "11010519491231002X" not in sent_up and "0301" not in sent_up
    assert county.rows("select count(*) from matter_cases where light = 'green' and closed_at is null") == [(1,)]

    step(county_desk, there["id"], "start")
    started = until(reaches(town_desk, mine["id"], "in_progress", 1), seconds=60, what="the start at the town")
    assert [(s["step"], s["by"], s["place"]) for s in started["steps"]] == [("open", "0301", None),
                                                                           ("start", "9001", COUNTY_NAME)]

    step(county_desk, there["id"], "request_documents", note="请补交申请表原件")
    paused = until(reaches(town_desk, mine["id"], "waiting_documents", 2), seconds=60,
                   what="the documents owed at the town")
    assert paused["paused_since"] == OPEN_MORNING.date().isoformat()
    [owed] = until(lambda: citizen_notices(webhook), seconds=60, what="the citizen told of the documents owed")
    assert (owed["step"], owed["phone"], owed["owed"], owed["note"]) == (
        "request_documents", PHONE, ["异地转移接续申请表"], "请补交申请表原件")
    progress = requests.get(owed["progress"], timeout=10)
    assert progress.status_code == 200 and 'data-state="waiting_documents"' in progress.text
    kiosk = Api(town.url, town.register("kiosk-01"))   # its receipt's QR code scanned at 办件进度
    by_link = f"/api/v1/matter-progress/by-link/{owed['progress'].rsplit('/', 1)[1]}"
    shown = kiosk.get(by_link).json()
    assert (shown["state"], [d["zh_CN"] for d in shown["owed"]]) == ("waiting_documents", ["异地转移接续申请表"])

    clock.now = OPEN_MORNING + timedelta(days=1)   # Thursday: a working day of pause; staff log in anew
    town_desk, county_desk = staff_session(town.url, "0301"), staff_session(county.url, "9001")
    resumed_there = step(county_desk, there["id"], "resume", documents=[1])
    resumed = until(reaches(town_desk, mine["id"], "in_progress", 3), seconds=60, what="the resumption at the town")
    assert resumed["due"] == resumed_there["due"] > mine["due"] and resumed["paused_days"] == 1
    assert all(d["received"] for d in resumed["documents"])

    step(county_desk, there["id"], "complete", note="已转入")
    done = until(reaches(town_desk, mine["id"], "completed", 4), seconds=60, what="the completion at the town")
    assert (done["light"], done["phone"], done["late"]) == (None, None, False)
    assert [(s["step"], s["place"]) for s in done["steps"][1:]] == [
        ("start", COUNTY_NAME), ("request_documents", COUNTY_NAME), ("resume", COUNTY_NAME),
        ("complete", COUNTY_NAME)]
    until(lambda: len(citizen_notices(webhook)) == 2, seconds=60, what="the citizen told of the completion")
    assert citizen_notices(webhook)[1]["step"] == "complete"
    assert 'data-state="completed"' in requests.get(owed["progress"], timeout=10).text
    assert (kiosk.get(by_link).json()["state"], kiosk.get(by_link).json()["owed"]) == ("completed", [])
    assert county.rows("select count(*) from matter_cases where closed_at is null") == [(0,)]


def worked_on_while_cut_off(levels) -> tuple:
    """A case sent up; the town's sender killed (-9); the county's staff start it and ask for
    documents meanwhile. The two desks, the town's case and the county's."""
    town_desk, county_desk = levels["town"].staff("0301"), levels["county"].staff("9001")
    mine = town_desk.post(MATTERS, {"matter_code": TRANSFER, "documents": [0, 1]}).json()
    levels["sender"].start()
    there = until(up_there(county_desk, mine["number"]), seconds=60, what="the case to open at the county")
    levels["sender"].kill()
    step(county_desk, there["id"], "start")
    step(county_desk, there["id"], "request_documents", note="请补交申请表原件")
    return town_desk, county_desk, mine, there


def test_steps_received_and_not_written_down_come_again_and_apply_once(levels):
    town, county, sender = levels["town"], levels["county"], levels["sender"]
    town_desk, county_desk, mine, there = worked_on_while_cut_off(levels)
    # The answer carrying the steps reaches the town, and is lost before it is written down:
    # the sender's own request, made from its row, and then nothing.
    acked, applied = town.rows("select acked, steps_applied from uplink_state")[0]
    lost = requests.post(f"{county.url}/api/v1/uplink/events", timeout=10,
                         headers={"Authorization": f"Bearer {sender.env['HALL_UPLINK_TOKEN']}"},
                         json={"hall": "chengguan", "after": acked, "events": [], "steps_after": applied})
    assert [s["step"] for s in lost.json()["steps"]] == ["start", "request_documents"], lost.text
    assert case_at(town_desk, mine["id"])["state"] == "accepted"
    sender.start()
    until(reaches(town_desk, mine["id"], "waiting_documents", 2), seconds=60, what="the steps applied at the town")
    for name, state, count in (("resume", "in_progress", 3), ("request_documents", "waiting_documents", 4)):
        sender.kill()                                     # after applying what it had, and started again
        sender.start()
        step(county_desk, there["id"], name)
        until(reaches(town_desk, mine["id"], state, count), seconds=60, what=f"the {name} at the town")
    steps = [s["step"] for s in case_at(town_desk, mine["id"])["steps"]]
    assert steps == ["open", "start", "request_documents", "resume", "request_documents"]   # each once, in order
    (cursor,), = town.rows("select steps_applied from uplink_state")
    assert cursor == county.rows("select max(id) from matter_steps")[0][0]


def test_a_town_cut_off_for_a_while_catches_up_both_ways(levels):
    town_desk, county_desk, first, _there = worked_on_while_cut_off(levels)
    second = town_desk.post(MATTERS, {"matter_code": TRANSFER, "documents": [0]}).json()
    assert case_at(town_desk, first["id"])["state"] == "accepted"
    assert up_there(county_desk, second["number"])() is None
    levels["sender"].start()                               # the link is back
    until(up_there(county_desk, second["number"]), seconds=60, what="the second case at the county")
    until(reaches(town_desk, first["id"], "waiting_documents", 2), seconds=60, what="the county's steps at the town")
