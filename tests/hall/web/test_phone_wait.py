"""The wait as the phone page and the hall display tell it, in Chromium: a ticket whose
counters are all paused says so instead of 马上就到您, and the display's estimate per service
is the hall's own, read again as the queue moves."""
from __future__ import annotations

from tests.hall.web.conftest import display_ready, screenshot
from tests.support.accessibility import violations

WAIT_IS = "(text) => document.querySelector('#wait').textContent === text"
SERVICE_WAIT_IS = ("(text) => { const s = document.querySelector('[data-service=household] .service-wait');"
                   " return s !== null && s.textContent === text; }")
PAUSED = "窗口暂停服务中"


def test_a_paused_counter_is_said_on_the_phone_and_the_display(live, kiosk, console, open_page):
    display = open_page("display", f"{live.url}/display")
    display_ready(display)
    ticket = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    assert (ticket["ahead"], ticket["estimated_wait_minutes"], ticket["paused"]) == (0, 0, False)
    phone = open_page("phone", ticket["link"])
    phone.wait_for_function(WAIT_IS, arg="马上就到您")
    # C001 goes to counter 3 now; a new ticket would wait its 10 minutes.
    display.wait_for_function(SERVICE_WAIT_IS, arg="约10分钟")

    console.keyboard.press("p")                     # counter 3, household's only one, pauses
    phone.wait_for_function(WAIT_IS, arg=PAUSED)
    display.wait_for_function(SERVICE_WAIT_IS, arg="暂停")
    assert phone.text_content("#headline") == "排队中"
    assert violations(phone) == []
    screenshot(phone, "phone-paused")
    link = ticket["link"].rsplit("/", 1)[1]
    assert kiosk.get(f"/api/v1/tickets/by-link/{link}").json()["paused"] is True
    status = {s["code"]: s for s in kiosk.get("/api/v1/services").json()}["household"]
    assert (status["open_counters"], status["estimated_wait_minutes"]) == (0, 10)

    console.keyboard.press("p")                     # resumed
    phone.wait_for_function(WAIT_IS, arg="马上就到您")
    display.wait_for_function(SERVICE_WAIT_IS, arg="约10分钟")
    # A second ticket: the display's figure follows the issue without a reload.
    second = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    assert (second["ahead"], second["estimated_wait_minutes"], second["paused"]) == (1, 10, False)
    display.wait_for_function(SERVICE_WAIT_IS, arg="约20分钟")


def test_the_phone_page_in_english_says_the_counters_are_paused(live, kiosk, console, open_page):
    console.keyboard.press("p")
    console.wait_for_selector("#paused-note", state="visible")
    ticket = kiosk.post("/api/v1/tickets", {"service": "household"}).json()
    phone = open_page("phone", ticket["link"], language="en")
    phone.wait_for_function(WAIT_IS, arg="Counters paused")
    assert violations(phone) == []
    screenshot(phone, "phone-paused-en")
