"""呼叫工作人员 end to end: the kiosk's real window and real touches, a hall server in its own
process on 127.0.0.1, and the staff console in Chromium (Playwright driving Debian's
chromium). Screenshots of both go to artifacts/ (git-ignored) to be looked at."""
from __future__ import annotations

from kiosk.help_call import HelpState
from tests.conftest import ROOT
from tests.hall.web.conftest import console_ready, log_in, open_page, screenshot  # noqa: F401 (open_page: a fixture)

SHOTS = ROOT / "artifacts" / "screens" / "help"


def test_three_taps_raise_one_alert_that_staff_take_and_the_kiosk_says_someone_is_coming(
        on_server, hall_server, open_page):
    from kivy.core.window import Window
    ui = on_server
    Window.size = (720, 1280)
    hall_server.staff("0301", counters=("3",))
    console = open_page("console", f"{hall_server.url}/console")
    log_in(console, "0301", then="/console/3")
    console_ready(console)
    assert console.locator(".help-alert").count() == 0

    assert ui.app.stage == "idle"
    assert ui.screen.ids.hall.text == "城关县政务服务中心"
    button = ui.find("呼叫工作人员")
    for _ in range(3):
        ui.tap(button)
    ui.until(lambda: ui.screen.ids.hall.text == "已通知工作人员，请在此稍候。")
    SHOTS.mkdir(parents=True, exist_ok=True)
    ui.app.root.export_to_png(str(SHOTS / "kiosk-called.png"))

    console.wait_for_selector(".help-alert")
    assert console.locator(".help-alert").count() == 1
    assert "一楼东门的取号机呼叫工作人员" in console.text_content(".help-alert")
    screenshot(console, "console-help-alert")
    assert hall_server.rows("select count(*), sum(presses) from help_calls") == [(1, 1)]

    console.click(".help-alert button")
    console.wait_for_selector(".help-alert", state="detached")
    ui.until(lambda: ui.screen.ids.hall.text == "工作人员正在赶来，请在此稍候。")
    assert ui.app.flow.help.state is HelpState.COMING and ui.app.stage == "idle"
    ui.app.root.export_to_png(str(SHOTS / "kiosk-coming.png"))
    assert hall_server.rows("select taken_by from help_calls") == [("0301",)]
