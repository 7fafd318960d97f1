"""Every page at its target size, in each language, with a busy hall on it: no text leaves
its box (measured in the DOM), axe-core finds nothing against WCAG 2.1 AA, and a screenshot
of each is kept under artifacts/pages/."""
from __future__ import annotations

import pytest

from hall.schemas import DeviceKind, Role
from tests.hall.web.conftest import (LANGUAGES, console_ready, display_ready, log_in, overflowing,
                                     screenshot)
from tests.support.accessibility import violations


@pytest.fixture
def busy_hall(live, kiosk, add_device, staff):
    """Tickets waiting in every service, calls at several counters, a help call and alarms."""
    links = {}
    for person, service in enumerate(("social_security", "medical_insurance", "household", "real_estate",
                                      "business_license", "housing_fund", "taxation", "veterans") * 2):
        # Each from a citizen identified by card: housing_fund needs one.
        answer = kiosk.post("/api/v1/tickets", {"service": service, "person_hash": f"{person:064x}"}).json()
        links.setdefault(service, answer["link"])
    for green in range(2):
        kiosk.post("/api/v1/tickets", {"service": "household", "priority": "green"})
    engine = live.hall.engine
    for counter in ("1", "2", "4", "6", "7"):
        engine.call_next(counter)
    engine.call_next("3")
    engine.hold("3")
    engine.call_next("3")
    engine.mark_absent("3")
    engine.call_next("3")
    engine.pause("5")
    kiosk.post("/api/v1/devices/heartbeat")
    kiosk.post("/api/v1/devices/reports", {"device_id": "kiosk-01/printer", "kind": "printer", "status": "paper_out"})
    kiosk.post("/api/v1/help-calls", {"location": "一楼大厅东侧入口"})
    add_device("counter-03", DeviceKind.COUNTER)
    keypads = add_device("keypads-1", DeviceKind.KEYPAD_BRIDGE, counters=("1", "2"))
    keypads.post("/api/v1/devices/heartbeat")
    keypads.post("/api/v1/devices/reports", {"device_id": "keypads-1/counter-2", "kind": "rating_keypad",
                                             "status": "offline", "detail": "keypad 2 did not answer 3 polls"})
    staff("0301", counters=("3",))
    staff("9001", counters=(), role=Role.SUPERVISOR)
    return links


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_pages_hold_their_text(language, live, busy_hall, open_page):
    problems = {}
    accessibility = {}

    display = open_page("display", f"{live.url}/display", language)
    display_ready(display)
    accessibility["display"] = violations(display)
    problems["display"] = overflowing(display, fixed=True)
    screenshot(display, f"display-{language}")

    phone = open_page("phone", busy_hall["household"], language)
    phone.wait_for_function("() => document.querySelector('#connection').hidden && document.body.dataset.status")
    accessibility["phone"] = violations(phone)
    problems["phone"] = overflowing(phone, fixed=False)
    screenshot(phone, f"phone-{language}")

    console = open_page("console", f"{live.url}/console", language)
    accessibility["login"] = violations(console)
    problems["login"] = overflowing(console, fixed=True)
    screenshot(console, f"console-login-{language}")
    log_in(console, "0301", then="/console/3")
    console_ready(console)
    console.wait_for_selector(".help-alert")
    console.click("button[data-op=transfer]")
    accessibility["console"] = violations(console)
    problems["console"] = overflowing(console, fixed=True)
    screenshot(console, f"console-{language}")

    devices = open_page("console", f"{live.url}/devices", language)
    log_in(devices, "9001", then="/devices")
    devices.wait_for_selector("#devices tr")
    # A kiosk is shown where it stands, as its help call told the hall.
    assert devices.text_content("[data-device=kiosk-01] td:nth-child(2)") == "一楼大厅东侧入口"
    accessibility["devices"] = violations(devices)
    problems["devices"] = overflowing(devices, fixed=False)
    screenshot(devices, f"devices-{language}")

    board = open_page("console", f"{live.url}/board", language)
    log_in(board, "9001", then="/board")
    board.wait_for_function("() => document.body.dataset.loaded")
    assert board.text_content("[data-device=kiosk-01]").startswith(
        {"zh_CN": "一楼大厅东侧入口的取号机 · ", "zh_TW": "一楼大厅东侧入口的取號機 · ",
         "en": "Ticket kiosk at 一楼大厅东侧入口 · "}[language])
    accessibility["board"] = violations(board)
    problems["board"] = overflowing(board, fixed=False)
    screenshot(board, f"board-{language}")

    assert {page: found for page, found in problems.items() if found} == {}
    assert {page: found for page, found in accessibility.items() if found} == {}
