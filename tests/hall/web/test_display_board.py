"""The hall display read from across the hall: the number called and its counter each at
least 15 % of the screen's height, a new call blinking; a hall of any size shown whole, a
page at a time with a word saying so; a recall marked on its number's line; offline, the
last calls kept, dimmed, under 请留意窗口叫号; the sound button hiding nothing. Checked at
1920×1080 and 1280×720 with axe-core (WCAG 2.1 AA) in each state."""
from __future__ import annotations

import pytest

from hall.schemas import Role
from hall.settings import ServerSettings
from tests.hall.web.conftest import console_ready, display_ready, launch, log_in, overflowing, screenshot
from tests.support.accessibility import violations

SCREENS = {"tv": (1920, 1080), "small": (1280, 720)}
LETTERS = "IJKLMNOPQRSTUVWX"   # after the sample hall's A-H


def big_hall_toml(sample: str) -> str:
    """The sample hall grown to 24 services and 20 counters."""
    extra = []
    for n, letter in enumerate(LETTERS, start=1):
        extra.append(f'''
[[services]]
code = "extra_{n:02d}"
prefix = "{letter}"
name = {{ zh_CN = "综合受理第{n}类业务", zh_TW = "綜合受理第{n}類業務", en = "General matters, group {n}" }}
department = "县政务服务管理局"
mean_service_minutes = 7
daily_quota = 100
''')
    for n in range(9, 21):
        extra.append(f'''
[[counters]]
id = "{n}"
services = ["extra_{n - 8:02d}", "extra_{n - 4:02d}"]
''')
    return sample + "".join(extra)


@pytest.fixture
def server_settings(tmp_path, db_url, hall_copy, request) -> ServerSettings:
    if getattr(request, "param", "sample") == "big":
        hall_copy.write_text(big_hall_toml(hall_copy.read_text(encoding="utf-8")), encoding="utf-8")
    return ServerSettings(data_dir=tmp_path / "server", database=db_url, hall_file=hall_copy, offline_after=2)


def open_display(browser, url: str, size: str):
    width, height = SCREENS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/display")
    display_ready(page)
    return page


def shown(page, list_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{list_id} > li:not([hidden])", "items => items.map(i => i.textContent)")


@pytest.mark.own_server
@pytest.mark.parametrize("server_settings", ["big"], indirect=True)
@pytest.mark.parametrize("size", list(SCREENS))
def test_a_big_hall_is_shown_whole_a_page_at_a_time(size, server_settings, live, kiosk, login, browser):
    services = [s.code for s in live.hall.spec.services]
    counters = [c.id for c in live.hall.spec.counters]
    assert (len(services), len(counters)) == (24, 20)
    for code in services:
        kiosk.post("/api/v1/tickets", {"service": code})
    supervisor = login("9001", counters=tuple(counters))
    for counter in counters[:12]:
        supervisor.post(f"/api/v1/counters/{counter}/call-next")
    page = open_display(browser, live.url, size)
    try:
        page.wait_for_function("() => document.querySelectorAll('#recent li').length === 10")
        totals = {"counters": 20, "services": 24, "recent": 10}
        pages = {list_id: int(page.get_attribute(f"#{list_id}", "data-pages")) for list_id in totals}
        seen = {list_id: set() for list_id in totals}
        longest = max(pages, key=pages.get)
        for turn in range(pages[longest]):                   # every list turns on the same beat
            for list_id, total in totals.items():
                seen[list_id] |= set(shown(page, list_id))
                if pages[list_id] > 1:
                    at = page.get_attribute(f"#{list_id}", "data-page")
                    note = page.text_content(f"[data-pages-of={list_id}]")
                    assert note == f"第{at}/{pages[list_id]}页，共{total}项", note
            assert overflowing(page, fixed=True) == []
            if turn == pages[longest] - 1:
                break
            at = page.get_attribute(f"#{longest}", "data-page")
            page.wait_for_function(f"(at) => document.querySelector('#{longest}').dataset.page !== at",
                                   arg=at, timeout=20000)
        assert {list_id: len(items) for list_id, items in seen.items()} == totals
        assert int(page.get_attribute("#counters", "data-pages")) > 1
        assert int(page.get_attribute("#services", "data-pages")) > 1
        assert overflowing(page, fixed=True) == []
        assert violations(page) == []
        screenshot(page, f"display-big-hall-{size}")
    finally:
        page.context.close()


@pytest.mark.parametrize("size", list(SCREENS))
def test_the_call_and_its_counter_read_from_across_the_hall(size, live, kiosk, login, browser):
    for service in ("household", "household", "taxation"):
        kiosk.post("/api/v1/tickets", {"service": service})
    page = open_display(browser, live.url, size)
    try:
        assert page.text_content("[data-pages-of=counters]") == ""     # the sample hall fits
        at_3, at_7 = login("0301", counters=("3",)), login("0701", counters=("7",))
        at_7.post("/api/v1/counters/7/call-next")
        page.wait_for_function("() => document.querySelector('#latest-number').textContent === 'G001'")
        assert page.text_content("#latest-counter") == "7号窗口"
        height = SCREENS[size][1]
        for part in ("#latest-number", "#latest-counter"):
            box = page.eval_on_selector(part, "e => [parseFloat(getComputedStyle(e).fontSize), e.getBoundingClientRect().height]")
            assert box[0] >= 0.15 * height and box[1] >= 0.15 * height, (part, box)
        assert page.eval_on_selector(".latest", "e => e.classList.contains('fresh')")
        assert page.eval_on_selector(".latest-call", "e => getComputedStyle(e).animationName") == "fresh-call"
        page.wait_for_function("() => !document.querySelector('.latest').classList.contains('fresh')", timeout=10000)

        at_3.post("/api/v1/counters/3/call-next")
        at_3.post("/api/v1/counters/3/recall")
        at_3.post("/api/v1/counters/3/recall")
        page.wait_for_function("() => document.querySelector('#recent li').dataset.kind === 'recalled'")
        lines = page.eval_on_selector_all("#recent li", "items => items.map(i => [i.querySelector('.num').textContent, i.dataset.kind, i.textContent])")
        assert [(n, k) for n, k, _ in lines] == [("C001", "recalled"), ("G001", "called")]
        assert "重呼" in lines[0][2]
        page.reload()
        display_ready(page)
        again = page.eval_on_selector_all("#recent li", "items => items.map(i => [i.querySelector('.num').textContent, i.dataset.kind])")
        assert again == [["C001", "recalled"], ["G001", "called"]]
        assert page.text_content("#latest-number") == "C001"
        assert overflowing(page, fixed=True) == []
        assert violations(page) == []
        screenshot(page, f"display-{size}")
    finally:
        page.context.close()


@pytest.mark.own_server
def test_offline_the_last_calls_stay_dimmed_with_a_word_for_citizens(live, kiosk, login, browser):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    login("0301", counters=("3",)).post("/api/v1/counters/3/call-next")
    page = open_display(browser, live.url, "tv")
    try:
        page.wait_for_function("() => document.querySelector('#latest-number').textContent === 'C001'")
        live.stop()
        page.wait_for_selector("#offline", state="visible", timeout=5000)
        assert page.text_content("#offline") == "请留意窗口叫号"
        assert page.text_content("#latest-number") == "C001"
        assert page.eval_on_selector(".board", "b => getComputedStyle(b).visibility") == "visible"
        assert page.eval_on_selector(".board", "b => getComputedStyle(b).filter") != "none"
        band = page.eval_on_selector("#offline", "e => e.getBoundingClientRect().bottom")
        assert band <= page.eval_on_selector(".board", "e => e.getBoundingClientRect().top")
        assert overflowing(page, fixed=True) == []
        assert violations(page) == []
        screenshot(page, "display-offline")
    finally:
        page.context.close()


def test_the_sound_button_hides_nothing(playwright, live, kiosk):
    for service in [s.code for s in live.hall.spec.services]:
        kiosk.post("/api/v1/tickets", {"service": service})
    blocking = launch(playwright, "--autoplay-policy=document-user-activation-required")
    try:
        page = open_display(blocking, live.url, "tv")
        page.wait_for_selector("#sound-off", state="visible", timeout=5000)
        button = page.eval_on_selector("#sound-off", "e => e.getBoundingClientRect().toJSON()")
        hidden_under = page.evaluate("""(b) => [...document.querySelectorAll('.board *, .hall-name, .clock')]
            .filter((e) => { const r = e.getBoundingClientRect();
                             return r.width && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top; })
            .map((e) => e.textContent)""", button)
        assert hidden_under == []
        assert violations(page) == []
        screenshot(page, "display-sound-off")
    finally:
        blocking.close()


def test_a_notice_set_at_a_supervisor_console_runs_on_the_display(live, staff, open_page, browser):
    staff("9001", counters=(), role=Role.SUPERVISOR)
    console = open_page("console", f"{live.url}/console?next=/console/3")
    log_in(console, "9001", then="/console/3")
    console.wait_for_url(f"{live.url}/console/3")   # the login page's own address ends the same way
    console_ready(console)   # its session's CSRF token is in hand
    display = open_display(browser, live.url, "tv")
    try:
        notice = "今天下午3号窗口暂停办理，社保业务请到1号或2号窗口；" * 3
        console.fill("#notice-text", notice)
        console.click("#notice-form button")
        console.wait_for_function("() => document.querySelector('#message').textContent === '通知已显示在叫号大屏上'")
        display.wait_for_selector("#notice", state="visible", timeout=5000)
        assert display.text_content("#notice-text") == notice
        assert display.eval_on_selector(".notice-line", "e => e.classList.contains('moving')")   # too long to stand still
        assert overflowing(display, fixed=True) == []
        assert violations(display) == []
        assert violations(console) == []
        screenshot(display, "display-notice")
        console.fill("#notice-text", "")
        console.click("#notice-form button")
        display.wait_for_selector("#notice", state="hidden", timeout=5000)
    finally:
        display.context.close()
