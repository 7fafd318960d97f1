"""Staff pages name a kiosk by where it stands: registered with its location and never
calling for help, its paper alarm reads 一楼东门的取号机 on the console, the device page and the
board, in Chromium; a help call from elsewhere moves it there on every page."""
from __future__ import annotations

from hall.schemas import Role
from tests.hall.web.conftest import console_ready, log_in, screenshot
from tests.support.accessibility import violations


def test_a_kiosk_that_never_called_for_help_is_named_by_its_location(live, add_device, staff, open_page):
    kiosk = add_device("kiosk-07", location="一楼东门")
    staff("0301", counters=("3",))
    console = open_page("console", f"{live.url}/console")
    log_in(console, "0301", then="/console/3")
    console_ready(console)
    staff("9001", counters=(), role=Role.SUPERVISOR)
    devices = open_page("console", f"{live.url}/devices")
    log_in(devices, "9001", then="/devices")
    board = open_page("console", f"{live.url}/board")
    log_in(board, "9001", then="/board")
    board.wait_for_function("() => document.body.dataset.loaded && document.querySelector('#connection').hidden")

    kiosk.post("/api/v1/devices/heartbeat")
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-07/printer", "kind": "printer", "status": "paper_out"})
    console.wait_for_selector(".alarm.paper_out")
    assert console.text_content(".alarm.paper_out").startswith("一楼东门的取号机 · 缺纸 · ")
    board.wait_for_selector("#device-alarms li.paper_out")
    assert board.inner_text("#device-alarms").startswith("一楼东门的取号机 · 缺纸 · ")
    devices.wait_for_selector("tr[data-device='kiosk-07'].state-paper_out")
    assert devices.text_content("tr[data-device='kiosk-07'] td:nth-child(2)") == "一楼东门"
    assert violations(devices) == []
    screenshot(devices, "devices-located")

    kiosk.post("/api/v1/help-calls", {"location": "二楼西侧"})
    for page in (devices, board):
        page.reload()
    devices.wait_for_selector("tr[data-device='kiosk-07'].state-paper_out")
    assert devices.text_content("tr[data-device='kiosk-07'] td:nth-child(2)") == "二楼西侧"
    board.wait_for_selector("#device-alarms li.paper_out")
    assert board.inner_text("#device-alarms").startswith("二楼西侧的取号机 · 缺纸 · ")
    console.reload()
    console.wait_for_selector(".alarm.paper_out")
    assert console.text_content(".alarm.paper_out").startswith("二楼西侧的取号机 · 缺纸 · ")
