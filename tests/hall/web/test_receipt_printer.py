"""The receipt's button 打印到窗口打印机 in Chromium: shown where the staff member's counter has a
terminal that reported a receipt printer, and pressed, the counter's terminal (its own flow,
headless: tests.support.counter_printers) prints the receipt on a network printer on
127.0.0.1 speaking the real bytes, and the message line says 正在打印… and then 已打印 from the
terminal's answer on the live events; a printer out of paper is said in the page's words; a
terminal that does not answer is said to be, after its time; a counter without a receipt
printer shows no button."""
from __future__ import annotations

import pytest

from devices.escpos_parse import parse_escpos
from hall.schemas import DeviceKind
from tests.devices.tcp_printer import TcpPrinter
from tests.hall.web.conftest import log_in, overflowing, screenshot
from tests.support.accessibility import violations
from tests.support.counter_printers import counter_terminal, running

MOVE = "140830-GA-0302"
MESSAGE_IS = "(text) => document.querySelector('#message').textContent === text"


@pytest.fixture(scope="module")
def printers():
    with running({"3": TcpPrinter(), "6": TcpPrinter(paper="out")}) as made:
        yield made


def receipt_page(live, login, open_page, counter: str, language: str = "zh_CN", *, clock: bool = False):
    """A case accepted at `counter`, and its receipt opened there by the staff member signed
    in, ready (its live events flowing); with `clock`, on a clock the test moves."""
    job_no = f"0{counter}01"
    desk = login(job_no, counters=(counter,))
    case = desk.post("/api/v1/matters", {"matter_code": MOVE, "id_number": "11010519491231002X",
                                         "documents": [0, 1]}).json()
    page = open_page("console", f"{live.url}/console/matters/{case['id']}/receipt", language)
    if clock:
        page.clock.install()
    log_in(page, job_no, then=f"/console/matters/{case['id']}/receipt")
    page.wait_for_selector("main.receipt")   # the login page's own address ends the same way
    return page, case


def test_the_button_prints_the_receipt_on_the_counters_terminal(live, login, open_page, printers, tmp_path):
    printers["3"].jobs.clear()
    with counter_terminal(live, tmp_path, counter="3", printer=printers["3"]):
        page, case = receipt_page(live, login, open_page, "3")
        page.wait_for_selector("body[data-ready=true]")
        assert page.inner_text("#print-counter") == "打印到窗口打印机"
        page.click("#print-counter")
        page.wait_for_function(MESSAGE_IS, arg="已打印：回执已在3号窗口打印机打出")
    assert "error" not in page.get_attribute("#message", "class")
    [job] = printers["3"].jobs
    paper = parse_escpos(job)
    assert case["number"] in paper.lines[2] and "受理回执" in paper.lines[1]
    assert violations(page) == [] and overflowing(page, fixed=False) == []
    screenshot(page, "receipt-counter-printer", full_page=True)
    page.emulate_media(media="print")
    assert page.is_hidden("#print-counter")   # on paper, the receipt alone


def test_the_button_says_printing_until_the_terminal_answers(live, login, open_page, add_device):
    """A terminal that reported its printer but is not following the hall answers nothing:
    the page says 正在打印… and, once its time has passed, that the terminal did not answer."""
    terminal = add_device("counter-3", DeviceKind.COUNTER, counters=("3",))
    assert terminal.post("/api/v1/devices/reports", {"device_id": "counter-3/receipt-printer", "kind": "printer",
                                                      "status": "ok"}).status_code == 200
    page, _ = receipt_page(live, login, open_page, "3", clock=True)
    page.wait_for_selector("body[data-ready=true]")
    page.click("#print-counter")
    page.wait_for_selector("body[data-job]")
    assert page.inner_text("#message") == "正在打印…" and page.is_disabled("#print-counter")
    page.clock.fast_forward(31_000)
    page.wait_for_function(MESSAGE_IS, arg="3号窗口评价器没有应答：请检查它是否开着、连着网络，再打印")
    assert "error" in page.get_attribute("#message", "class") and page.is_enabled("#print-counter")


def test_a_printer_out_of_paper_is_said_in_the_pages_words(live, login, open_page, printers, tmp_path):
    with counter_terminal(live, tmp_path, counter="6", printer=printers["6"]):
        page, _ = receipt_page(live, login, open_page, "6", "en")
        page.wait_for_selector("body[data-ready=true]")
        assert page.inner_text("#print-counter") == "Print on the counter's printer"
        page.click("#print-counter")
        page.wait_for_selector("#message.error")
    assert page.inner_text("#message") == "The counter's printer is out of paper: load a roll and print again"
    assert printers["6"].jobs == []
    screenshot(page, "receipt-counter-printer-paper-out", full_page=True)


def test_a_counter_without_a_receipt_printer_shows_no_button(live, login, open_page, tmp_path):
    with counter_terminal(live, tmp_path, counter="1", printer=None):
        page, _ = receipt_page(live, login, open_page, "1", "zh_TW")
    assert page.locator("#print-counter").count() == 0 and page.locator("#message").count() == 0


def test_a_receipt_printer_out_of_paper_is_the_consoles_alarm(live, staff, open_page, printers, tmp_path):
    """Reported by its terminal as its part, like a kiosk's printer."""
    staff("0601", counters=("6",))
    with counter_terminal(live, tmp_path, counter="6", printer=printers["6"]):
        page = open_page("console", f"{live.url}/console", "en")
        log_in(page, "0601", then="/console/6")
        alarm = page.wait_for_selector("li.alarm[data-device='counter-6']")
        assert alarm.inner_text().startswith("counter-6 · Paper out · ") and "paper_out" in alarm.get_attribute("class")
        screenshot(page, "console-receipt-printer-paper-out")
