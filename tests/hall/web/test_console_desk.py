"""The staff console as staff use it all day: N while serving completes and calls the next in
one request; the 已等候 column counts up; a pause fills the panel; every greyed button says
why; 退出 is not the first Tab stop and T leaves focus where staff expect it; help calls are
heard, flash the tab's title and notify; the kiosk is named by where it stands; a language
chosen survives the login; every page has its icon; the device page leads back. Each state
checked with axe-core (WCAG 2.1 AA), at 100 % and at 200 % zoom on a 1366×768 screen."""
from __future__ import annotations

import threading

import pytest

from hall.schemas import Role
from tests.hall.web.conftest import SCREENSHOTS, SERVING_IS, TAKES_KEYS, console_ready, log_in, overflowing, screenshot
from tests.support.accessibility import violations

BUSY_MORNING = 140  # tickets at most, under the service's daily quota


def test_n_while_serving_completes_and_calls_the_next_in_one_request(live, kiosk, console):
    numbers = [kiosk.post("/api/v1/tickets", {"service": "household"}).json()["number"] for _ in range(2)]
    console.wait_for_function("() => document.querySelectorAll('#waiting tr').length === 2")
    assert console.text_content("#call-next-label") == "叫号"
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg=numbers[0])
    assert console.text_content("#call-next-label") == "完成并叫下一位"
    assert not console.eval_on_selector("button[data-op=call-next]", "b => b.disabled")
    assert "按N完成并叫下一位" in console.text_content("#ops-note")
    assert violations(console) == []
    writes = []
    console.on("request", lambda r: writes.append(r.url.rsplit("/", 1)[1]) if r.method == "POST" else None)
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg=numbers[1])
    assert writes == ["complete-and-call-next"]
    assert console.text_content("#message") == f"已完成{numbers[0]}号，已叫{numbers[1]}号"
    assert live.hall.engine.ticket_by_number(numbers[0]).status.value == "completed"
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg="—")
    assert console.text_content("#message") == f"已完成{numbers[1]}号 · 当前没有人等候"
    assert writes == ["complete-and-call-next"] * 2


def test_the_desk_follows_kiosks_that_issue_without_a_pause(live, kiosk, console):
    """Before: the desk loaded only after events paused, so while kiosks kept issuing it stayed
    as it was and 叫号 stayed greyed."""
    stop, issued = threading.Event(), []

    def issue():
        while not stop.is_set() and len(issued) < BUSY_MORNING:
            issued.append(kiosk.post("/api/v1/tickets", {"service": "household"}).status_code)

    issuing = threading.Thread(target=issue)
    issuing.start()
    try:
        console.wait_for_function("() => document.querySelectorAll('#waiting tr').length >= 3")
        still = issuing.is_alive()
        assert not console.eval_on_selector("button[data-op=call-next]", "b => b.disabled")
    finally:
        stop.set()
        issuing.join()
    assert still, f"the desk showed the queue only after all {len(issued)} tickets were issued"
    assert set(issued) == {201}


def test_the_wait_counts_up_between_events(live, kiosk, console):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    console.wait_for_selector("#waiting td.waited")
    first = console.text_content("#waiting td.waited")
    console.wait_for_function("(t) => document.querySelector('#waiting td.waited').textContent !== t", arg=first,
                              timeout=5000)
    assert console.text_content("#waiting td.waited").endswith("秒")


def test_a_pause_fills_the_panel_and_every_greyed_button_says_why(live, kiosk, console):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    kiosk.post("/api/v1/tickets", {"service": "household"})
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg="C001")
    console.keyboard.press("h")                                   # C001 set aside
    console.wait_for_function(SERVING_IS, arg="—")
    console.wait_for_selector("#set-aside li")
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg="C002")
    assert console.eval_on_selector("#set-aside li button", "b => b.disabled")
    assert console.text_content("#set-aside-note") == "正在办理时不能回呼，请先处理当前号码"
    assert violations(console) == []

    console.keyboard.press("p")
    console.wait_for_selector("#paused-note", state="visible")
    console.wait_for_function(TAKES_KEYS)
    panel = console.eval_on_selector("#serving-panel", "p => [p.classList.contains('is-paused'), getComputedStyle(p).backgroundColor]")
    assert panel == [True, "rgb(255, 243, 196)"]
    note = console.eval_on_selector("#paused-note .paused-title", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert note >= 30
    assert console.eval_on_selector("button[data-op=call-next]", "b => b.disabled")
    assert console.text_content("#ops-note") == "本窗口已暂停：恢复后才能叫号和回呼"
    assert violations(console) == []
    screenshot(console, "console-paused")
    console.keyboard.press("p")
    console.wait_for_selector("#paused-note", state="hidden")


def test_tab_reaches_the_desk_first_and_t_keeps_focus_out_of_its_panel(live, kiosk, console):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg="C001")
    console.evaluate("() => document.activeElement.blur()")
    console.keyboard.press("Tab")
    first = console.evaluate("() => document.activeElement.dataset.op || document.activeElement.textContent")
    assert first == "call-next"
    console.keyboard.press("t")
    console.wait_for_selector("#transfer-panel", state="visible")
    focused = console.evaluate("() => document.activeElement.closest('#transfer-panel') !== null")
    assert focused
    assert violations(console) == []
    console.keyboard.press("Escape")
    console.wait_for_selector("#transfer-panel", state="hidden")
    assert console.evaluate("() => document.activeElement.dataset.op") == "transfer"
    assert live.hall.engine.counter_state("3").current.number == "C001"


def test_help_calls_are_heard_flash_the_title_and_notify(live, kiosk, browser, staff):
    staff("0301", counters=("3",))
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.grant_permissions(["notifications"], origin=live.url)
    # What the browser is asked to show: its Notification, recorded as it is made.
    context.add_init_script("""(() => {
        const Real = window.Notification;
        window.shown = [];
        window.Notification = class extends Real {
            constructor(title, options) { super(title, options); window.shown.push(title); }
        };
        window.Notification.requestPermission = Real.requestPermission.bind(Real);
        Object.defineProperty(window.Notification, 'permission', { get: () => Real.permission });
    })()""")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/console")
        log_in(page, "0301", then="/console/3")
        console_ready(page)
        kiosk.post("/api/v1/help-calls", {"location": "一楼东门"})
        page.wait_for_selector(".help-alert")
        page.wait_for_function("() => window.shown.some((s) => s.startsWith('一楼东门的取号机呼叫工作人员'))")
        page.wait_for_function("() => document.title.startsWith('【请注意】一楼东门的取号机')", timeout=5000)
        page.wait_for_function("() => window.hallAttention.rang >= 1")   # the chime's playback began
        assert violations(page) == []
        page.mouse.click(5, 5)
        page.wait_for_function("() => document.title === '3号窗口 · 叫号控制台 · 城关县政务服务中心'")
        kiosk.post("/api/v1/devices/heartbeat")
        kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_near_end"})
        page.wait_for_function("() => window.shown.some((s) => s.includes('纸将用完'))")
        # The alarm names the kiosk where it stands, as its help call told the hall.
        assert page.text_content(".alarm.paper_near_end").startswith("一楼东门的取号机 · 纸将用完 · ")
        assert page.eval_on_selector(".alarm.paper_near_end", "e => getComputedStyle(e).color") == "rgb(122, 74, 0)"
        assert violations(page) == []
    finally:
        context.close()


def test_a_language_chosen_survives_the_login_and_every_page_has_its_icon(live, staff, open_page):
    staff("9001", counters=(), role=Role.SUPERVISOR)
    page = open_page("console", f"{live.url}/devices")
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.wait_for_url("**/console?next=/devices")
    page.click("nav.languages a[hreflang=en]")
    page.wait_for_url("**/console?next=%2Fdevices&lang=en")
    assert page.text_content("h2") == "Staff console"
    log_in(page, "9001", then="/devices")
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("h1") == "Device health"
    assert violations(page) == []
    screenshot(page, "devices-en")
    page.click("nav.languages a[hreflang=zh-Hans]")
    page.wait_for_url("**/devices?lang=zh_CN")
    assert page.text_content("h1") == "设备状态"
    page.click("footer a[href='/console']")
    page.wait_for_selector("#pick a[href='/console/7']")
    page.click("footer button[data-logout]")
    page.wait_for_selector("#login-form", state="visible")
    assert page.request.get(f"{live.url}/devices", max_redirects=0).status == 303
    for path in ("/display", "/console", "/devices"):
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
    assert missing == []
    icon = page.request.get(f"{live.url}/static/favicon.svg")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg")


@pytest.mark.parametrize("paused", [False, True])
def test_the_console_works_at_200_percent_zoom(paused, live, kiosk, staff, browser):
    """Chromium at 200 % on a 1366×768 screen lays the page out in 683×384 CSS pixels."""
    staff("0301", counters=("3",))
    for _ in range(6):
        kiosk.post("/api/v1/tickets", {"service": "household"})
    kiosk.post("/api/v1/help-calls", {"location": "一楼大厅东侧入口"})
    context = browser.new_context(viewport={"width": 683, "height": 384}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/console")
        log_in(page, "0301", then="/console/3")
        console_ready(page)
        page.click("button[data-op=call-next]")
        page.wait_for_function(SERVING_IS, arg="C001")
        if paused:
            page.click("button[data-op=pause]")
            page.wait_for_selector("#paused-note", state="visible")
        # No inner scroll pane holds an operation: each is reached by scrolling the page.
        trapped = page.evaluate("""() => [...document.querySelectorAll('button.op')].filter((b) => {
            for (let a = b.parentElement; a && a !== document.body; a = a.parentElement) {
              const s = getComputedStyle(a);
              if (['auto', 'scroll', 'hidden'].includes(s.overflowY) && a.scrollHeight > a.clientHeight + 1) return true;
            }
            return false; }).map((b) => b.dataset.op)""")
        assert trapped == []
        for op in ("call-next", "recall", "absent", "hold", "call-back", "transfer", "complete", "pause"):
            page.locator(f"button[data-op={op}]").scroll_into_view_if_needed()
            assert page.locator(f"button[data-op={op}]").is_visible()
        assert overflowing(page, fixed=False) == []
        assert violations(page) == []
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"console-200-{'paused' if paused else 'serving'}")
        page.screenshot(path=str(SCREENSHOTS / f"console-200-{'paused' if paused else 'serving'}-whole.png"), full_page=True)
        page.locator("button[data-op=complete]").click()
        page.wait_for_function(SERVING_IS, arg="—")
    finally:
        context.close()


def test_the_console_at_100_percent_in_each_state(live, kiosk, console):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    kiosk.post("/api/v1/help-calls", {"location": "一楼东门"})
    console.wait_for_selector(".help-alert")
    assert violations(console) == []
    console.keyboard.press("n")
    console.wait_for_function(SERVING_IS, arg="C001")
    assert overflowing(console, fixed=True) == []
    assert violations(console) == []
    screenshot(console, "console-100-serving")
