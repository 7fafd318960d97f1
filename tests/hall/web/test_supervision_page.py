"""The supervisor's page of cases in Chromium: the open cases with their lights after the
clock moved, counted by department and staff member, the month's on-time rate, a filter by
light, and a case's timeline; no accessibility violation; staff members kept out."""
from __future__ import annotations

import pytest
import requests

from hall.schemas import Role
from tests.hall.matters.test_cases_api import FUND_WITHDRAWAL, HOUSEHOLD_MOVE, TAX_INVOICES, at
from tests.hall.web.conftest import log_in, overflowing, screenshot
from tests.support.accessibility import violations
from tests.support.waiting import until

PAGE = "/supervisor/matters"


@pytest.fixture
def cases(login, clock):
    """Four cases opened on Wednesday 25 November, then the clock on Friday 27: the fund
    withdrawal due on the 26th turned red, one invoice case completed on time, one late."""
    desk = login("0301", counters=("3",), counter="3")
    opened = {name: desk.post("/api/v1/matters", {"matter_code": code}).json()
              for name, code in (("red", FUND_WITHDRAWAL), ("green", HOUSEHOLD_MOVE), ("on_time", TAX_INVOICES),
                                 ("late", TAX_INVOICES))}
    assert desk.post(f"/api/v1/matters/{opened['on_time']['id']}/steps", {"step": "complete"}).status_code == 200
    clock.now = at("2026-11-27")
    desk = login("0301", counters=("3",), counter="3")
    assert desk.post(f"/api/v1/matters/{opened['late']['id']}/steps", {"step": "complete"}).json()["late"] is True
    until(lambda: desk.get(f"/api/v1/matters/{opened['red']['id']}").json()["light"] == "red",
          what="the fund case to turn red")
    return opened


def test_the_lights_counts_and_on_time_rates_and_a_timeline(live, login, cases, open_page):
    login("9001", role=Role.SUPERVISOR, counters=())
    page = open_page("console", f"{live.url}{PAGE}")
    log_in(page, "9001", then=PAGE)
    page.wait_for_selector("main.matters")
    rows = page.locator("table.cases tbody tr")
    assert rows.count() == 2
    assert page.get_attribute(f"tr:has-text('{cases['red']['number']}')", "data-light") == "red"
    text = page.inner_text("main")
    assert "县住房公积金中心" in text and "县公安局" in text and "50.0%" in text   # 1 of 2 invoices late
    assert "员工0301" in text
    assert overflowing(page, fixed=False) == [] and violations(page) == []
    screenshot(page, "supervision", full_page=True)
    page.select_option("select[name=light]", "red")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**light=red**")
    assert page.locator("table.cases tbody tr").count() == 1
    page.click(f"a:has-text('{cases['red']['number']}')")
    page.wait_for_url(f"**{PAGE}/{cases['red']['id']}")
    timeline = page.inner_text("main")
    assert "受理" in timeline and "0301" in timeline and "红灯" in timeline and "2026-11-26" in timeline
    assert violations(page) == []
    screenshot(page, "supervision-timeline", full_page=True)


def test_staff_members_and_strangers_are_kept_out(live, login):
    answer = requests.get(f"{live.url}{PAGE}", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == f"/console?next={PAGE}"
    clerk = login("0301", counters=("3",))
    assert clerk.get(PAGE).status_code == 403 and clerk.get(f"{PAGE}/1").status_code == 403
    assert "办件监察页面仅供主管查看" in clerk.get(PAGE).text        # before: the ratings page's words
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get(f"{PAGE}/99999").status_code == 404
    assert supervisor.get(PAGE, params={"month": "2026-13"}).status_code == 422
