"""A parent's central page in Chromium, fed by its child halls over the uplink API, on
SQLite and PostgreSQL: the figures of each hall and region against the events sent (open and
overdue cases among them), a silent hall shown as stale and never as none waiting, a
supervisor seeing only their region, and no accessibility violation (axe-core)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from hall.schemas import Role
from hall.spec import load_hall
from hall.uplink import receiver
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.hall.web.conftest import SCREENSHOTS, console_ready, log_in, overflowing
from tests.support.accessibility import violations
from tests.support.api_clients import Api, add_staff
from tests.support.hall_fixtures import module_database  # noqa: F401 (this page on both databases)

EVENTS = "/api/v1/uplink/events"


class Child:
    """A child hall reporting to the parent over HTTP, its events numbered as its log does."""

    def __init__(self, live, hall_id: str, region: str, name: str):
        with live.hall.engine.transaction() as session:
            self.api = Api(live.url, receiver.add_hall(session, hall_id=hall_id, name=name, region=region,
                                                       now=datetime.now(timezone.utc)))
        self.hall_id, self.seq, self.sent = hall_id, 0, []

    def event(self, kind: str, at: datetime, ticket_id: int | None, payload: dict, counter: str | None = None) -> None:
        self.seq += 1
        self.sent.append({"seq": self.seq, "origin": self.hall_id, "id": self.seq, "kind": kind,
                          "at": at.isoformat(), "day": at.date().isoformat(), "counter": counter, "ticket": ticket_id,
                          "payload": payload})

    def ticket(self, kind: str, at: datetime, ticket: int, status: str, service: str = "household",
               counter: str | None = None) -> None:
        self.event(kind, at, ticket, {"ticket": {"id": ticket, "number": f"A{ticket:03}", "service": service,
                                                 "status": status, "counter": counter}}, counter=counter)

    def counter(self, at: datetime, counter: str, **standing: bool) -> None:
        kind = "counter_staff" if "signed_in" in standing else "counter_paused"
        self.event(kind, at, None, {"counter": counter, **standing}, counter=counter)

    def define(self) -> None:
        """Its hall definition: the sample hall's services and counters under its own id."""
        definition = load_hall(SAMPLE_HALL).model_dump(mode="json")
        definition["hall"]["id"] = self.hall_id
        answer = self.api.http.put(f"{self.api.base}/api/v1/uplink/definition",
                                   json={"hall": self.hall_id, "definition": definition}, timeout=10)
        assert answer.status_code == 200, answer.text

    def rating_case(self, at: datetime, case_id: int, state: str, due: str) -> None:
        self.event("case_opened" if state == "open" else "case_step", at, case_id, {"case": {
            "id": case_id, "rating_id": case_id, "ticket_id": case_id, "step": state, "state": state,
            "note": "已核实", "by": "9001", "due": due}})

    def matter(self, at: datetime, case_id: int, state: str, due: str, light: str = "green") -> None:
        self.event("matter_step", at, None, {"matter": {
            "id": case_id, "number": f"20261120-{case_id:04}", "code": "11510000-001", "service": "household",
            "step": state, "state": state, "by": "0301", "due": due, "light": light}})

    def send(self) -> None:
        after = self.sent[0]["seq"] - 1 if self.sent else self.seq
        answer = self.api.post(EVENTS, {"hall": self.hall_id, "after": after, "events": self.sent})
        assert answer.status_code == 200 and answer.json()["acked"] == self.seq, answer.text


@pytest.fixture
def reported(live, clock):
    """A county (511525) with a town centre heard now and a village station silent for ten
    minutes, and a town of the next county (511526). The town's counters 3 and 5 are open
    (5 serving A004), 7 paused, the rest closed."""
    with live.hall.engine.transaction() as session:
        for code, name in (("510000", "四川省"), ("511500", "宜宾市"), ("511525", "高县"), ("511526", "珙县"),
                           ("511525001", "庆符镇"), ("511525001002", "红岩村"), ("511526001", "巡场镇")):
            receiver.add_region(session, code=code, name=name)
    t0 = OPEN_MORNING
    village = Child(live, "village-02", "511525001002", "红岩村便民服务站")
    village.ticket("issued", t0, 1, "waiting")
    clock.now = t0 + timedelta(minutes=1)
    village.send()
    village.sent.clear()
    town = Child(live, "town-01", "511525001", "庆符镇便民服务中心")
    for n in (1, 2, 3):
        town.ticket("issued", t0 + timedelta(minutes=n), n, "waiting")
    town.define()
    for counter in ("3", "5", "7"):
        town.counter(t0 + timedelta(minutes=4), counter, signed_in=True)
    town.counter(t0 + timedelta(minutes=4), "7", paused=True)
    town.ticket("called", t0 + timedelta(minutes=5), 1, "called", counter="3")
    town.ticket("completed", t0 + timedelta(minutes=8), 1, "completed", counter="3")
    town.ticket("issued", t0 + timedelta(minutes=6), 4, "waiting", service="taxation")
    town.ticket("called", t0 + timedelta(minutes=10), 4, "called", service="taxation", counter="5")
    town.event("rated", t0 + timedelta(minutes=9), 1, {"rating": {"ticket_id": 1, "level": 5}})
    town.event("rated", t0 + timedelta(minutes=9), 2, {"rating": {"ticket_id": 2, "level": 2}})
    town.event("device_status", t0 + timedelta(minutes=9), None,
               {"device": "printer-01", "kind": "printer", "status": "paper_out"})
    # Bad ratings' follow-ups: one past its due day, one within it, one closed; matters'
    # cases: one turned red on the hall's new day, one past due but waiting for documents
    # (its clock stands still), one completed.
    town.rating_case(t0 + timedelta(minutes=9), 11, "open", "2026-11-20")
    town.rating_case(t0 + timedelta(minutes=9), 12, "open", "2026-11-27")
    town.rating_case(t0 + timedelta(minutes=9), 13, "open", "2026-11-27")
    town.rating_case(t0 + timedelta(minutes=10), 13, "closed", "2026-11-27")
    town.matter(t0 + timedelta(minutes=9), 21, "accepted", "2026-11-24")
    town.matter(t0 + timedelta(minutes=9), 22, "waiting_documents", "2026-11-24")
    town.matter(t0 + timedelta(minutes=9), 23, "accepted", "2026-11-30")
    town.matter(t0 + timedelta(minutes=10), 23, "completed", "2026-11-30")
    town.event("matter_light", t0 + timedelta(minutes=10), None, {"light": "red", "count": 1,
                                                                  "numbers": ["20261120-0021"], "day": "2026-11-25"})
    village.rating_case(t0 + timedelta(minutes=1), 31, "open", "2026-11-24")
    village.send()
    other = Child(live, "town-09", "511526001", "巡场镇便民服务中心")
    other.ticket("issued", t0 + timedelta(minutes=2), 1, "waiting")
    clock.now = t0 + timedelta(minutes=11)
    town.send()
    other.send()
    return SimpleNamespace(url=live.url, hall=live.hall, town=town)


def cells(page, hall_id: str) -> dict[str, str]:
    row = page.locator(f"tr[data-hall='{hall_id}']")
    return {name: row.locator(f"td.{name}").inner_text().strip()
            for name in ("waiting", "served", "mean-wait", "satisfaction", "open-cases", "overdue-cases",
                         "device-alarms")
            if row.locator(f"td.{name}").count()}


def test_the_central_page_shows_each_hall_and_region_as_their_events_tell(reported, open_page):
    add_staff(reported.hall.engine, "9001", Role.ADMIN, ())
    page = open_page("console", f"{reported.url}/central")
    log_in(page, "9001", then="/central")
    page.wait_for_selector("main.central")
    assert cells(page, "town-01") == {"waiting": "2", "served": "1", "mean-wait": "4分钟", "satisfaction": "50.0%",
                                      "open-cases": "4", "overdue-cases": "2", "device-alarms": "1"}
    longest = page.locator("tr[data-hall='town-01'] td.longest").inner_text()
    assert longest == "9分钟"   # ticket 2, taken at minute 2, still waits at minute 11
    village = page.locator("tr[data-hall='village-02']")
    assert "stale" in village.get_attribute("class")
    assert village.locator("td.waiting").inner_text().strip() == "失联"
    village_region = page.locator("tr.region-row[data-code='511525001002']")
    assert village_region.locator("td.waiting").inner_text().strip() == "失联"   # its one hall is silent
    county = page.locator("tr.region-row[data-code='511525']")
    assert county.locator("td.waiting").inner_text().startswith("2 ")   # the stale village's ticket not counted
    assert "1个大厅失联" in county.locator("td.waiting").inner_text()
    assert county.locator("td.served").inner_text() == "1"
    assert county.locator("td.open-cases").inner_text() == "5"   # a silent hall's cases stay open
    assert county.locator("td.overdue-cases").inner_text() == "3"
    assert page.locator("tr.region-row[data-code='511526'] td.open-cases").inner_text() == "0"
    assert page.locator("tr.region-row[data-code='511500'] td.heard").inner_text() == "3个大厅"
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "central-zh_CN.png"), full_page=True)


def next_county_supervisor(reported, open_page):
    """Supervisor 9002 of the next county (511526), logged in on the central page."""
    add_staff(reported.hall.engine, "9002", Role.SUPERVISOR, ())
    with reported.hall.engine.transaction() as session:
        receiver.supervise_region(session, hall_id=reported.hall.hall_id, job_no="9002", region="511526")
    page = open_page("console", f"{reported.url}/central")
    log_in(page, "9002", then="/central")
    page.wait_for_selector("main.central")
    return page


def test_a_supervisor_sees_only_the_halls_of_their_region(reported, open_page):
    page = next_county_supervisor(reported, open_page)
    assert page.locator("tr[data-hall]").evaluate_all("rows => rows.map(r => r.dataset.hall)") == ["town-09"]
    assert page.locator("text=庆符镇").count() == 0
    assert violations(page) == []


def test_a_supervisor_with_no_region_sees_no_hall(reported, open_page):
    add_staff(reported.hall.engine, "9003", Role.SUPERVISOR, ())
    page = open_page("console", f"{reported.url}/central")
    log_in(page, "9003", then="/central")
    page.wait_for_selector("main.central")
    assert page.locator("tr[data-hall]").count() == 0
    assert "supervise-region" in page.locator("main").inner_text()


def lines(page, table: str, key: str) -> dict[str, list[str]]:
    return page.locator(f"table.{table} tbody tr[data-{key}]").evaluate_all(
        f"rows => Object.fromEntries(rows.map(r => [r.dataset.{key}, "
        "[...r.querySelectorAll('td')].map(c => c.innerText.trim())]))")


def test_a_halls_row_leads_to_its_services_and_counters_today(reported, open_page):
    add_staff(reported.hall.engine, "9001", Role.ADMIN, ())
    page = open_page("console", f"{reported.url}/central")
    log_in(page, "9001", then="/central")
    page.click("tr[data-hall='town-01'] th a")
    page.wait_for_url("**/central/halls/town-01")
    services = lines(page, "services", "service")
    assert services["household"] == ["2", "1", "4分钟"]    # tickets 2 and 3 wait; 1 served after 4 minutes
    assert services["taxation"] == ["0", "0", "4分钟"]     # ticket 4 called after 4 minutes
    assert services["social_security"] == ["0", "0", "–"]
    assert page.locator("tr[data-service='household'] th").inner_text() == "户籍办理"
    counters = lines(page, "counters", "counter")
    assert counters["3"] == ["开放", "–", "1"]
    assert counters["5"] == ["开放", "A004", "0"]
    assert counters["7"] == ["暂停", "–", "0"]
    assert counters["1"] == ["未开", "–", "0"]
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "central-hall-zh_CN.png"), full_page=True)
    page.goto(f"{reported.url}/central/halls/village-02")
    assert page.locator("tr[data-service='household'] td.waiting").inner_text() == "失联"   # silent: unknown


def test_a_supervisor_of_another_region_finds_no_hall_of_this_one_by_its_address(reported, open_page):
    page = next_county_supervisor(reported, open_page)
    own = page.goto(f"{reported.url}/central/halls/town-09")
    assert own.status == 200 and page.locator("tr[data-service='household'] td.waiting").inner_text() == "1"
    for hall_id in ("town-01", "no-such-hall"):
        answer = page.goto(f"{reported.url}/central/halls/{hall_id}")
        assert answer.status == 404
        assert page.locator("table").count() == 0 and "庆符镇" not in page.content()
        assert "不在您的辖区内" in page.locator("main").inner_text()


def test_staff_are_not_shown_a_hall(reported, open_page):
    add_staff(reported.hall.engine, "0301", Role.STAFF, ("3",))
    page = open_page("console", f"{reported.url}/console")
    log_in(page, "0301", then="/console/3")
    console_ready(page)
    answer = page.goto(f"{reported.url}/central/halls/town-01")
    assert answer.status == 403 and page.locator("table").count() == 0


def test_the_wall_shows_the_sums_the_busiest_halls_and_their_charts_at_1920_by_1080(reported, open_page):
    add_staff(reported.hall.engine, "9001", Role.ADMIN, ())
    page = open_page("display", f"{reported.url}/central")
    log_in(page, "9001", then="/central")
    page.wait_for_selector("main.central")
    page.clock.install()
    page.goto(f"{reported.url}/central/wall")
    page.wait_for_function("() => document.querySelectorAll('.chart canvas').length === 2")
    tile = lambda name: page.locator(f"[data-tile='{name}'] strong").inner_text()  # noqa: E731
    assert (tile("waiting"), tile("served"), tile("mean-wait"), tile("cases"), tile("alarms")) == (
        "3", "1", "4分钟", "5 / 3", "1")                   # the village's waiting unknown, not counted
    assert "1个大厅失联" in page.locator("[data-tile='waiting']").inner_text()
    assert page.locator("tbody tr[data-hall]").evaluate_all("rows => rows.map(r => r.dataset.hall)") == [
        "town-01", "town-09", "village-02"]              # the most waiting first, the silent one last
    assert page.locator("tr[data-hall='village-02'] td.waiting").inner_text() == "失联"
    assert overflowing(page, fixed=True) == []
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "central-wall-zh_CN.png"))
    town = reported.town   # one more ticket taken: the wall shows it at its next round
    town.ticket("issued", OPEN_MORNING + timedelta(minutes=11), 5, "waiting")
    town.send()
    page.clock.fast_forward(31_000)
    page.wait_for_function("() => document.querySelector(\"[data-tile='waiting'] strong\").textContent === '4'")
    page.wait_for_function("() => document.querySelectorAll('.chart canvas').length === 2")


def test_the_staff_pages_link_the_central_page_on_a_parent_only(live, open_page):
    add_staff(live.hall.engine, "9001", Role.ADMIN, ())
    page = open_page("console", f"{live.url}/supervisor")
    log_in(page, "9001", then="/supervisor")
    page.wait_for_selector("footer .links a[href='/board']")
    assert page.locator("footer a[href='/central']").count() == 0   # no hall reports here
    Child(live, "town-01", "511525001", "庆符镇便民服务中心")
    for address in ("/supervisor", "/board", "/devices"):
        page.goto(f"{live.url}{address}")
        page.locator("footer a[href='/central']").click()
        page.wait_for_selector("main.central tr[data-hall='town-01']")
