"""The receipt's button 打印到窗口打印机 in Chromium: shown where the staff member's counter has
a printer (hall.toml), and pressed, the receipt reaches that printer (a network printer on
127.0.0.1 speaking the real bytes) and the message line says so; a printer out of paper is
said in the page's words; a counter without a printer shows no button."""
from __future__ import annotations

import pytest

from devices.escpos_parse import parse_escpos
from hall.settings import ServerSettings
from tests.devices.tcp_printer import TcpPrinter
from tests.hall.web.conftest import log_in, overflowing, screenshot
from tests.support.accessibility import violations
from tests.support.counter_printers import printing_settings, running
from tests.support.waiting import until

MOVE = "140830-GA-0302"


@pytest.fixture(scope="module")
def printers():
    with running({"3": TcpPrinter(), "6": TcpPrinter(paper="out")}) as made:
        yield made


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database, printers) -> ServerSettings:
    """The module's server: the sample hall with printers at counters 3 and 6."""
    return printing_settings(tmp_path_factory.mktemp("server"), module_database,
                             {counter: printer.url for counter, printer in printers.items()})


def receipt_page(live, login, open_page, counter: str, language: str = "zh_CN"):
    """A case accepted at `counter`, and its receipt opened there by the staff member signed in."""
    job_no = f"0{counter}01"
    desk = login(job_no, counters=(counter,))
    case = desk.post("/api/v1/matters", {"matter_code": MOVE, "id_number": "11010519491231002X",
                                         "documents": [0, 1]}).json()
    page = open_page("console", f"{live.url}/console/matters/{case['id']}/receipt", language)
    log_in(page, job_no, then=f"/console/matters/{case['id']}/receipt")
    page.wait_for_selector("main.receipt")   # the login page's own address ends the same way
    return page, case


def test_the_button_prints_the_receipt_on_the_counters_printer(live, login, open_page, printers):
    printers["3"].jobs.clear()
    page, case = receipt_page(live, login, open_page, "3")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#print-counter") == "打印到窗口打印机"
    page.click("#print-counter")
    page.wait_for_function("() => document.querySelector('#message').textContent.includes('打出')")
    assert page.inner_text("#message") == "回执已在3号窗口打印机打出"
    assert "error" not in page.get_attribute("#message", "class")
    until(lambda: printers["3"].jobs, what="the receipt on counter 3's printer")
    paper = parse_escpos(printers["3"].jobs[0])
    assert case["number"] in paper.lines[2] and "受理回执" in paper.lines[1]
    assert violations(page) == [] and overflowing(page, fixed=False) == []
    screenshot(page, "receipt-counter-printer", full_page=True)
    page.emulate_media(media="print")
    assert page.is_hidden("#print-counter")   # on paper, the receipt alone


def test_a_printer_out_of_paper_is_said_in_the_pages_words(live, login, open_page, printers):
    page, _ = receipt_page(live, login, open_page, "6", "en")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#print-counter") == "Print on the counter's printer"
    page.click("#print-counter")
    page.wait_for_selector("#message.error")
    assert page.inner_text("#message") == "The counter's printer is out of paper: load a roll and print again"
    assert printers["6"].jobs == []
    screenshot(page, "receipt-counter-printer-paper-out", full_page=True)


def test_a_counter_without_a_printer_shows_no_button(live, login, open_page):
    page, _ = receipt_page(live, login, open_page, "1", "zh_TW")
    assert page.locator("#print-counter").count() == 0 and page.locator("#message").count() == 0
