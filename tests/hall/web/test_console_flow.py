"""End to end in Chromium: a kiosk issues through the API, the staff console calls by a
click and by its key, the hall display and the ticket's phone page follow;
the console refuses forged writes and another counter; help calls reach every console.
How quickly the display follows is measured by bench/call_to_display.py, not here."""
from __future__ import annotations

import pytest

from tests.hall.web.conftest import SERVING_IS, console_ready, display_ready
from tests.support.waiting import until

LATEST_IS = "(n) => document.querySelector('#latest-number').textContent === n"
HEADLINE_IS = "(text) => document.querySelector('#headline').textContent === text"


def test_a_call_by_click_and_by_key_reaches_display_and_phone(live, kiosk, console, open_page):
    display = open_page("display", f"{live.url}/display")
    display_ready(display)
    first = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    second = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    phone = open_page("phone", first["link"])
    phone.wait_for_function(HEADLINE_IS, arg="排队中")
    assert phone.text_content("#ahead") == "0人"

    console.wait_for_function("() => document.querySelectorAll('#waiting tr').length === 2")
    console.click("button[data-op=call-next]")
    display.wait_for_function(LATEST_IS, arg=first["number"])
    assert display.text_content("#latest-caption") == f"请{first['number']}号到3号窗口"
    assert display.text_content("[data-counter='3'] .counter-number") == first["number"]
    phone.wait_for_function(HEADLINE_IS, arg="请到3号窗口")
    console.wait_for_function(SERVING_IS, arg=first["number"])

    console.keyboard.press("c")                      # complete
    console.wait_for_function(SERVING_IS, arg="—")
    console.keyboard.press("n")                      # call the next
    display.wait_for_function(LATEST_IS, arg=second["number"])
    phone.wait_for_function(HEADLINE_IS, arg="已办结，感谢您的耐心等候")
    recent = display.eval_on_selector_all("#recent li .num", "cells => cells.map(c => c.textContent)")
    assert recent == [second["number"], first["number"]]


def test_a_double_click_calls_one_ticket(live, kiosk, console):
    numbers = [kiosk.post("/api/v1/tickets", {"service": "household"}).json()["number"] for _ in range(3)]
    console.wait_for_function("() => document.querySelectorAll('#waiting tr').length === 3")
    sent, answered = [], []
    console.on("request", lambda r: "/call-next" in r.url and sent.append(r))
    console.on("requestfinished", lambda r: "/call-next" in r.url and answered.append(r))
    console.on("requestfailed", lambda r: "/call-next" in r.url and answered.append(r))
    console.dblclick("button[data-op=call-next]")
    console.wait_for_function(SERVING_IS, arg=numbers[0])
    # Every call the page made has its answer (evaluate lets the page's events in).
    until(lambda: console.evaluate("0") == 0 and sent and len(answered) == len(sent),
          what=lambda: f"answers to the console's {len(sent)} calls; {len(answered)} came")
    assert len(sent) == 1
    state = live.hall.engine.counter_state("3")
    assert state.current.number == numbers[0]
    assert [t.number for t in live.hall.engine.waiting_list("3")] == numbers[1:]


@pytest.mark.own_server
def test_the_console_shows_a_lost_connection_at_once(live, console):
    live.stop()
    console.wait_for_selector("#connection", state="visible")
    assert console.eval_on_selector("button[data-op=call-next]", "b => b.disabled")


def test_forms_and_writes_without_the_csrf_token_are_refused(live, kiosk, console):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    answer = console.evaluate("""async () => {
        const r = await fetch('/api/v1/counters/3/call-next', {method: 'POST'});
        return [r.status, (await r.json()).error];
    }""")
    assert answer == [403, "csrf"]
    # A plain HTML form, as another page of the browser could post it.
    with console.expect_navigation() as navigation:
        console.evaluate("""() => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/api/v1/counters/3/call-next';
            document.body.append(form);
            form.submit();
        }""")
    assert navigation.value.status == 403
    assert '"csrf"' in console.content()
    assert live.hall.engine.counter_state("3").current is None


def test_the_console_refuses_another_counter(live, console):
    console.goto(f"{live.url}/console/4")
    assert "您不能操作4号窗口" in console.text_content("main")
    answer = console.request.get(f"{live.url}/console/4")
    assert answer.status == 403
    console.goto(f"{live.url}/console/3")
    console_ready(console)
    refused = console.evaluate("""async () => {
        const me = await (await fetch('/api/v1/session')).json();
        const r = await fetch('/api/v1/counters/4/call-next',
                              {method: 'POST', headers: {'X-CSRF-Token': me.csrf_token}});
        return [r.status, (await r.json()).error];
    }""")
    assert refused == [403, "not_your_counter"]


def test_help_calls_raise_one_alert_until_taken(live, kiosk, console):
    calls = [kiosk.post("/api/v1/help-calls", {"location": "一楼东门"}).json() for _ in range(3)]
    assert len({c["id"] for c in calls}) == 1 and calls[-1]["presses"] == 3
    console.wait_for_selector(".help-alert")
    assert console.locator(".help-alert").count() == 1
    assert "一楼东门的取号机呼叫工作人员" in console.text_content(".help-alert")
    console.click(".help-alert button")
    console.wait_for_selector(".help-alert", state="detached")
    mine = kiosk.get(f"/api/v1/help-calls/{calls[0]['id']}").json()
    assert mine["taken_at"] is not None and mine["taken_by"] == "0301"

