"""The phone page as a citizen waits with it: the status line is a live region, so a screen
reader says 请到3号窗口 when the ticket is called, and the phone vibrates where it can, again
on a recall; offline, the banner at 360 px keeps its words whole, and the note that the page
updates by itself goes while it does not."""
from __future__ import annotations

import pytest

from tests.hall.web.conftest import overflowing, screenshot
from tests.support.accessibility import violations

# What the page asks of the phone's vibrator (navigator.vibrate, the browser's own API),
# recorded as it is asked.
VIBRATIONS = """(() => {
    window.vibrations = [];
    const real = navigator.vibrate ? navigator.vibrate.bind(navigator) : () => false;
    navigator.vibrate = (pattern) => { window.vibrations.push(pattern); return real(pattern); };
})()"""
READY = "() => document.querySelector('#connection').hidden && document.querySelector('#headline').textContent"
# The banner's text as the browser laid it out: its characters grouped by the line box each
# sits in.
LINES = """(id) => {
  const node = document.getElementById(id).firstChild;
  const lines = [];
  let top = null;
  for (let i = 0; i < node.length; i++) {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const box = range.getClientRects()[0];
    if (!box || box.width === 0) continue;
    if (top === null || Math.abs(box.top - top) > box.height / 2) { lines.push(""); top = box.top; }
    lines[lines.length - 1] += node.data[i];
  }
  return lines;
}"""


def test_a_call_is_said_by_the_live_region_and_felt(live, kiosk, login, open_page):
    link = kiosk.post("/api/v1/tickets", {"service": "household"}).json()["link"]
    kiosk.post("/api/v1/tickets", {"service": "household"})
    page = open_page("phone", "about:blank")
    page.context.add_init_script(VIBRATIONS)
    page.goto(link)
    page.wait_for_function(READY)
    # A live region present from the start: a screen reader follows only those it has seen.
    assert (page.get_attribute("#headline", "aria-live"), page.get_attribute("#headline", "aria-atomic")) == (
        "assertive", "true")
    assert page.text_content("#headline") == "排队中"
    assert page.evaluate("() => window.vibrations") == []

    clerk = login("0301", counters=("3",))
    clerk.post("/api/v1/counters/3/call-next")
    page.wait_for_function("() => document.querySelector('#headline').textContent === '请到3号窗口'")
    page.wait_for_function("() => window.vibrations.length === 1")
    assert page.evaluate("() => window.vibrations") == [[400, 200, 400]]
    assert page.get_attribute("#headline", "aria-live") == "assertive"
    assert violations(page) == []
    screenshot(page, "phone-called", full_page=True)

    clerk.post("/api/v1/counters/3/recall")
    page.wait_for_function("() => window.vibrations.length === 2")
    clerk.post("/api/v1/counters/3/complete")
    page.wait_for_function("() => document.body.dataset.status === 'completed'")
    assert page.evaluate("() => window.vibrations.length") == 2


@pytest.mark.own_server
def test_offline_the_banner_keeps_its_words_whole(live, kiosk, open_page):
    link = kiosk.post("/api/v1/tickets", {"service": "household"}).json()["link"]
    page = open_page("phone", link)
    page.wait_for_function(READY)
    assert page.is_visible("#live-note")
    live.stop()
    page.wait_for_selector("#connection", state="visible")
    assert page.viewport_size["width"] == 360
    assert page.evaluate(LINES, "connection") == ["与服务器的连接已断开，", "正在重新连接…"]
    assert page.is_hidden("#live-note")
    # Nothing laid over the banner, nor it over anything.
    banner = page.eval_on_selector("#connection", "e => e.getBoundingClientRect().toJSON()")
    others = page.evaluate("""() => [...document.querySelectorAll('main > *:not(#connection)')]
        .filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect().toJSON())""")
    assert all(box["bottom"] <= banner["top"] or box["top"] >= banner["bottom"] for box in others)
    assert violations(page) == []
    assert overflowing(page, fixed=False) == []
    screenshot(page, "phone-offline", full_page=True)
