"""The console's desk for cases in Chromium: a case opened for the ticket being served at
counter 3 with its documents ticked and the applicant's ID number, shown masked on its
receipt; moved on through its steps by the buttons; no accessibility violation."""
from __future__ import annotations

from datetime import timedelta

from tests.hall.matters.test_cases_api import TAX_INVOICES, at
from tests.hall.web.conftest import console_ready, log_in, screenshot
from tests.support.accessibility import violations

MOVE = "140830-GA-0302"


def test_a_case_opened_for_the_ticket_being_served_and_moved_on(live, staff, kiosk, open_page, stored):
    staff("0301", counters=("3",))
    page = open_page("console", f"{live.url}/console")
    log_in(page, "0301", then="/console/3")
    issued = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    page.wait_for_function("() => document.querySelector('#connection').hidden")
    page.click("[data-op=call-next]")
    page.wait_for_function(f"() => document.querySelector('#serving-number').textContent === '{issued['number']}'")
    page.click("a[href='/console/matters']")
    page.wait_for_selector("body[data-ready=true]")
    assert violations(page) == []
    assert page.is_hidden("#phone")   # the sample hall tells citizens nothing: no number is asked for
    page.select_option("#matter", MOVE)
    page.check("input[name=document][value='0']")
    page.check("input[name=document][value='1']")
    page.fill("#id-number", "11010519491231002x")
    page.click("#open-form button[type=submit]")
    page.wait_for_selector("#message a")
    assert "20261125-0001" in page.inner_text("#message")
    assert stored("select number, ticket_id, applicant_masked, documents from matter_cases") == [
        ("20261125-0001", issued["id"], "1101**********002X", "0,1")]
    row = page.locator("tr[data-case='20261125-0001']")
    row.locator("[data-step=request_documents]").click()
    page.wait_for_selector("tr[data-case='20261125-0001'] [data-step=resume]")
    screenshot(page, "matters-desk", full_page=True)
    page.click("tr[data-case='20261125-0001'] [data-step=return]")
    page.wait_for_function("() => document.querySelector('#message').textContent.includes('reason') || "
                           "document.querySelector('#message').textContent.includes('理由')")
    page.fill("#note", "申请人撤回")
    page.click("tr[data-case='20261125-0001'] [data-step=return]")
    page.wait_for_selector("#cases tr[data-case='20261125-0001']", state="detached")
    assert "已退件" in page.inner_text("#closed tr[data-case='20261125-0001']")   # among those closed today
    assert stored("select state, reason from matter_cases") == [("returned", "申请人撤回")]
    assert violations(page) == []


def test_the_console_is_alarmed_when_cases_turn_red(live, staff, login, open_page, clock):
    clock.now = at("2026-11-25", 20)   # a session lasts twelve hours: past midnight, still signed in
    staff("0301", counters=("3",))
    page = open_page("console", f"{live.url}/console")
    log_in(page, "0301", then="/console/3")
    console_ready(page)
    desk = login("0302", counters=("3",))
    case = desk.post("/api/v1/matters", {"matter_code": TAX_INVOICES}).json()   # immediate: due today
    assert case["light"] == "yellow"
    clock.now = at("2026-11-26", 0) + timedelta(minutes=10)
    alert = page.wait_for_function("() => (document.body.dataset.alert || '').includes('红灯') && "
                                   "document.body.dataset.alert")
    assert alert.json_value() == f"1件办件亮红灯：{case['number']}"
