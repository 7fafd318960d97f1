"""Cases accepted below and decided above in Chromium: on the desk, a case a town accepted
for this hall is listed apart with where it was accepted and its number there, and moved on
by the buttons; a case this hall accepted for its parent shows who handles it and no step;
the supervisor's page marks where a case was accepted, and its timeline where each step was
taken; no accessibility violation."""
from __future__ import annotations

from datetime import datetime, timezone

from hall.schemas import Role
from hall.uplink import receiver
from tests.hall.api.test_uplink import EVENTS, referred
from tests.hall.web.conftest import log_in, screenshot
from tests.support.accessibility import violations
from tests.support.api_clients import Api

TOWN = "城关镇便民服务中心"


def test_cases_from_below_and_sent_up_on_the_desk_the_supervisors_page_and_a_timeline(live, login, open_page,
                                                                                     stored):
    with live.hall.engine.transaction() as session:
        token = receiver.add_hall(session, hall_id="town-01", name=TOWN, region="511525001",
                                  now=datetime.now(timezone.utc))
    town = Api(live.url, token)
    assert town.post(EVENTS, {"hall": "town-01", "after": 0, "events": [referred(1, 7)]}).status_code == 200
    desk = login("0301", counters=("3",), counter="3")
    sent = desk.post("/api/v1/matters", {"matter_code": "140800-GJ-0603", "documents": [0, 1]}).json()
    assert sent["referred"] is True
    (below,), = stored("select number from matter_cases where origin = 'town-01'")

    page = open_page("console", f"{live.url}/console/matters")
    log_in(page, "0301", then="/console/matters")
    page.wait_for_selector("body[data-ready=true]")
    row = page.locator(f"#below tr[data-case='{below}']")
    assert row.locator(".origin").inner_text() == f"{TOWN} · 20261125-0007"
    assert "住房公积金异地转移接续" in row.inner_text()
    mine = page.locator(f"#cases tr[data-case='{sent['number']}']")
    assert mine.locator(".decided-above").inner_text() == "由市住房公积金管理中心办理"
    assert mine.locator("button").count() == 0
    assert violations(page) == []
    screenshot(page, "matters-desk-decided-above", full_page=True)
    row.locator("[data-step=start]").click()
    page.wait_for_selector(f"#below tr[data-case='{below}'] [data-step=resume]", state="detached")
    page.wait_for_function(f"() => document.querySelector(\"#below tr[data-case='{below}']\").textContent"
                           ".includes('办理中')")
    steps = town.post(EVENTS, {"hall": "town-01", "after": 1, "events": [], "steps_after": 0}).json()["steps"]
    assert [(s["step"], s["by"], s["place"]) for s in steps] == [("start", "0301", "城关县政务服务中心")]

    login("9001", role=Role.SUPERVISOR, counters=())
    page = open_page("console", f"{live.url}/supervisor/matters")
    log_in(page, "9001", then="/supervisor/matters")
    page.wait_for_selector("main.matters")
    marked = page.locator("table.cases tbody tr", has_text=below)
    assert marked.locator(".origin").inner_text() == f"受理于{TOWN}"
    assert f"受理于{TOWN}" in page.locator("section", has_text="按受理人").inner_text()   # counted by its hall
    assert violations(page) == []
    screenshot(page, "supervision-decided-above", full_page=True)
    marked.locator("a").click()
    page.wait_for_selector("ol.steps")
    assert [p.inner_text() for p in page.locator("ol.steps .place").all()] == [f"于{TOWN}"]
    assert "20261125-0007" in page.inner_text("dl.facts")
    assert violations(page) == []
    screenshot(page, "timeline-decided-above", full_page=True)
