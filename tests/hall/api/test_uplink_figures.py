"""A parent's figures against what a hall itself wrote, on SQLite and PostgreSQL: tickets
served and waiting, a counter signed in, a bad rating's follow-up and matters' cases
turning red, all written through the hall's API and its supervision's watch, and sent by
the real uplink (hall.uplink.sender, on a thread as an embedded kiosk runs it) over HTTP.
One server is both ends here: the hall reports to itself, registered as its own child."""
from __future__ import annotations

from datetime import date

import pytest

from hall.schemas import DeviceKind
from hall.uplink import central, receiver
from hall.uplink.sender import Uplink
from tests.hall.matters.test_cases_api import FUND_WITHDRAWAL, HOUSEHOLD_MOVE, MATTERS, at
from tests.support.waiting import until

RATE = "/api/v1/ratings"
THURSDAY = date(2026, 12, 3)


@pytest.fixture
def uplink(live, clock, db_url):
    """The hall's uplink toward its own server, started by the test once the hall has written."""
    with live.hall.engine.transaction() as session:
        token = receiver.add_hall(session, hall_id=live.hall.hall_id, name="城关县政务服务中心", region="140830",
                                  now=clock())
    sender = Uplink(live.hall.spec, db_url, hall_file=live.hall.settings.hall_file, parent=live.url, token=token,
                    poll=0.05, clock=clock)
    yield sender
    sender.stop()


def the_hall_says(stored, sql: str) -> int:
    return stored(sql)[0][0]


def test_the_parents_figures_are_what_the_hall_itself_says(live, clock, serve, kiosk, login, add_device, stored,
                                                           uplink):
    terminal = add_device("counter-03", DeviceKind.COUNTER, counters=("3",))
    bad = serve()                                                                   # Wednesday 25 November
    assert terminal.post(RATE, {"ticket_id": bad["id"], "level": 1, "reasons": ["slow"]}).status_code == 201
    desk = serve.desks["3"]
    fund = desk.post(MATTERS, {"matter_code": FUND_WITHDRAWAL}).json()             # due Thursday 26
    move = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()              # due Wednesday 2 December
    paused = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()
    done = desk.post(MATTERS, {"matter_code": FUND_WITHDRAWAL}).json()
    assert desk.post(f"{MATTERS}/{paused['id']}/steps", {"step": "request_documents"}).status_code == 200
    assert desk.post(f"{MATTERS}/{done['id']}/steps", {"step": "complete"}).status_code == 200
    clock.now = at(THURSDAY.isoformat())
    desk = login("0301", counters=("3",), counter="3")                             # sessions end with the day
    until(lambda: {c["id"] for c in desk.get(MATTERS, params={"light": "red"}).json()} == {fund["id"], move["id"]},
          what="the hall's watch to turn the overdue cases red")
    for service in ("household", "household", "taxation"):
        assert kiosk.post("/api/v1/tickets", {"service": service}).status_code == 201
    called = desk.post("/api/v1/counters/3/call-next").json()
    uplink.start()
    until(lambda: stored("select acked from uplink_halls")[0][0] >= called_event(stored, called["id"]),
          what="the hall's events up to the call to reach the parent")

    open_cases = (the_hall_says(stored, "select count(*) from rating_cases where finished_at is null")
                  + the_hall_says(stored, "select count(*) from matter_cases where closed_at is null"))
    overdue = (the_hall_says(stored, "select count(*) from rating_cases where finished_at is null "
                                     "and due < '2026-12-03'")
               + the_hall_says(stored, "select count(*) from matter_cases where closed_at is null and light = 'red'"))
    assert (open_cases, overdue) == (4, 3)      # the follow-up, past due; fund and move red; paused not
    with live.hall.engine.reading() as session:
        [row] = [r for r in central.tree(session, now=clock(), today=THURSDAY, within=None) if r.hall_id]
        hall = central.visible_hall(session, hall_id=row.hall_id, within=None)
        today = central.hall_today(session, hall=hall, now=clock(), today=THURSDAY, language="zh_CN")
    f = row.figures
    assert (f.open_cases, f.overdue_cases) == (open_cases, overdue)
    assert (f.waiting, f.served, f.rated) == (2, 0, 0)   # December's: November's rating is last month's
    services = {s.code: (s.waiting, s.served, s.waits) for s in today.services}
    assert services["household"] == (1, 0, 1) and services["taxation"] == (1, 0, 0)
    [counter] = [c for c in today.counters if c.counter == "3"]
    assert (counter.staffed, counter.paused, counter.serving) == (True, False, called["number"])


def called_event(stored, ticket_id: int) -> int:
    return stored(f"select max(id) from events where kind = 'called' and ticket_id = {ticket_id}")[0][0]
