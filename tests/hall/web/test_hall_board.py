"""The supervisor's live board in Chromium, at 1920×1080 and 1366×768 side by side: what it
shows against what the test did over HTTP (tickets issued, a call and a completion, a pause,
a help call, a paper alarm), each change arriving without a reload, the durations counting
up between events, axe-core clean in every state, and plain staff refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from hall.schemas import Role
from tests.hall.web.conftest import LANGUAGES, log_in, overflowing, screenshot
from tests.support.accessibility import violations

SIZES = {"wall": (1920, 1080), "pc": (1366, 768)}


@pytest.fixture
def boards(live, staff, browser):
    """The board at both sizes, the supervisor logged in through the console's form; each
    page marks its window, so that a reload would show."""
    staff("9001", counters=(), role=Role.SUPERVISOR)
    contexts, pages = [], {}
    for name, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale=LANGUAGES["zh_CN"])
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live.url}/board")
        log_in(page, "9001", then="/board")
        page.wait_for_function("() => document.body.dataset.loaded && document.querySelector('#connection').hidden")
        page.evaluate("() => { window.sameDocument = true; }")
        pages[name] = page
    yield pages
    for context in contexts:
        context.close()


def row(page, selector: str) -> list[str]:
    return page.eval_on_selector(selector, "(tr) => [...tr.children].map((c) => c.innerText.trim())")


def wait_for(pages, script: str, arg=None) -> None:
    for page in pages.values():
        page.wait_for_function(script, arg=arg)


def checked(pages, state: str) -> None:
    """Nothing cut, no axe finding, a screenshot of each size, and still the same document."""
    for name, page in pages.items():
        assert page.evaluate("() => window.sameDocument === true"), "the page was reloaded"
        assert violations(page) == [], (name, state)
        assert overflowing(page, fixed=False) == [], (name, state)
        screenshot(page, f"board-{state}-{name}", full_page=True)


def test_the_board_follows_the_hall_live(live, kiosk, staff, login, clock, boards):
    checked(boards, "empty")
    numbers = [kiosk.post("/api/v1/tickets", {"service": s}).json()["number"]
               for s in ("social_security", "social_security", "household", "household")]
    assert numbers == ["A001", "A002", "C001", "C002"]
    wait_for(boards, "() => document.querySelector('[data-service=household] .waiting').textContent === '2'")
    for page in boards.values():
        assert row(page, "[data-service=social_security]")[:2] == ["社会保险", "2"]
        assert row(page, "#service-totals")[1] == "4"

    clock.now += timedelta(minutes=5)
    clerk, other = login("0101", counters=("1",)), login("0301", counters=("3",))
    clerk.post("/api/v1/counters/1/call-next")
    clock.now += timedelta(minutes=2)
    clerk.post("/api/v1/counters/1/complete-and-call-next")   # A001 done, A002 called
    wait_for(boards, "() => document.querySelector('[data-counter=\"1\"] .num').textContent.startsWith('A002')")
    for page in boards.values():
        one = row(page, "[data-counter='1']")
        assert one[:4] == ["1号窗口", "员工0101（0101）", "办理中", "A002 · 社会保险"]
        assert one[4].startswith("0分") and one[4].endswith("09:07起")
        assert row(page, "[data-service=social_security]")[1:] == ["0", "—", "1"]
        # C001 waits since 9:00 by the hall's clock: seven minutes and counting.
        assert row(page, "[data-service=household]")[2].startswith("7分")
    checked(boards, "serving")

    # Between events the durations count up by the browser's clock.
    first = boards["pc"].inner_text("[data-service=household] td:nth-of-type(2)")
    boards["pc"].wait_for_function("(before) => document.querySelector('[data-service=household] td:nth-of-type(2)')"
                                   ".textContent !== before", arg=first)

    other.post("/api/v1/counters/3/call-next")
    clock.now += timedelta(minutes=1)
    other.post("/api/v1/counters/3/pause")
    wait_for(boards, "() => document.querySelector('[data-counter=\"3\"]').className === 'activity-paused'")
    for page in boards.values():
        three = row(page, "[data-counter='3']")
        assert three[2:4] == ["暂停", "C001 · 户籍办理"] and three[4].endswith("09:08起")
    checked(boards, "paused")

    kiosk.post("/api/v1/help-calls", {"location": "一楼东门"})
    kiosk.post("/api/v1/devices/heartbeat")
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_out"})
    wait_for(boards, "() => document.querySelectorAll('#help-calls li, #device-alarms li').length === 2")
    for page in boards.values():
        assert page.inner_text("#help-calls") == "一楼东门的取号机呼叫工作人员，09:08起"
        assert page.inner_text("#device-alarms") == "一楼东门的取号机 · 缺纸 · 09:08起"
        assert page.inner_text("#alert-count") == "2"
    checked(boards, "alerts")

    staff_page = boards["pc"].context.browser.new_context(viewport={"width": 1366, "height": 768},
                                                          locale=LANGUAGES["zh_CN"]).new_page()
    staff_page.goto(f"{live.url}/board")
    log_in(staff_page, "0301", then="/console?next=/board")
    staff_page.wait_for_url(f"{live.url}/board")
    assert "大厅实况页面仅供主管查看" in staff_page.inner_text("main")
    assert violations(staff_page) == []
    staff_page.context.close()


def test_plain_staff_are_refused(live, login):
    answer = requests.get(f"{live.url}/board", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/console?next=/board"
    assert login("0301", counters=("3",)).get("/board").status_code == 403
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get("/board").status_code == 200 and 'href="/board"' in supervisor.get("/devices").text
    assert login("9002", role=Role.ADMIN, counters=()).get("/board").status_code == 200
