"""A case's receipt printed on its counter's printer, over real HTTP on SQLite and PostgreSQL,
on network printers on 127.0.0.1 that speak the real bytes (tests.devices.tcp_printer): what
reaches the printer is decoded back, its lines, its QR code the case's progress link, and
never the applicant's ID number. A counter without a printer, a printer not listening, one
that takes the bytes and answers nothing, one out of paper: each a clear 409 or 503, and no
request left waiting on it."""
from __future__ import annotations

import socket

import pytest
import requests
from sqlalchemy import create_engine, text

from devices.escpos_parse import parse_escpos
from hall.schemas import Role
from hall.settings import ServerSettings
from tests.devices.tcp_printer import TcpPrinter
from tests.hall.matters.test_cases_api import HOUSEHOLD_MOVE, ID_NUMBER
from tests.support.counter_printers import printing_settings, running
from tests.support.waiting import until

PRINTING = "/api/v1/counters/{}/printer/receipts"
PRINTED_AT, UNREACHABLE_AT, SILENT_AT, PAPERLESS_AT, NO_PRINTER_AT = "3", "4", "5", "6", "1"


def free_closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: a printer switched off."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def printers():
    with running({PRINTED_AT: TcpPrinter(), SILENT_AT: TcpPrinter(online=False),
                  PAPERLESS_AT: TcpPrinter(paper="out")}) as made:
        yield made


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database, printers) -> ServerSettings:
    """The module's server: the sample hall with printers at counters 3 to 6."""
    urls = {counter: printer.url for counter, printer in printers.items()}
    urls[UNREACHABLE_AT] = f"tcp://127.0.0.1:{free_closed_port()}"
    return printing_settings(tmp_path_factory.mktemp("server"), module_database, urls)


@pytest.fixture
def printed(printers):
    """The jobs counter 3's printer cut in this test."""
    printers[PRINTED_AT].jobs.clear()
    return printers[PRINTED_AT].jobs


@pytest.fixture
def desk(login):
    """A staff member of counters 1 and 3 to 6, signed in without choosing one."""
    return login("0301", counters=("1", "3", "4", "5", "6"))


@pytest.fixture
def case(desk) -> dict:
    opened = desk.post("/api/v1/matters", {"matter_code": HOUSEHOLD_MOVE, "id_number": ID_NUMBER, "documents": [0, 2]})
    assert opened.status_code == 201, opened.text
    return opened.json()


def print_at(who, counter: str, case_id: int, headers: dict | None = None, **body):
    return who.post(PRINTING.format(counter), {"case_id": case_id, **body}, headers=headers)


def test_the_receipt_reaches_the_counters_printer_as_the_receipt_page_shows_it(live, desk, case, printed):
    answer = print_at(desk, PRINTED_AT, case["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"bytes": 0} == {"counter": "3", "case_id": case["id"], "bytes": 0, "paper_low": False}
    until(lambda: printed, what="the printer to cut the receipt")
    job = printed[0]
    assert answer.json()["bytes"] == len(job)
    paper = parse_escpos(job)
    assert paper.chinese_mode_entered and not paper.warnings and paper.cuts == 1
    lines = [line.strip() for line in paper.lines if line.strip()]
    assert lines[:3] == ["城关县政务服务中心", "受理回执", "20261125-0001"]
    assert paper.largest_text() == "受理回执 20261125-0001"
    assert lines[3:14] == ["事项：户口迁入", "实施部门：县公安局", "申请人证件号：1101**********002X",
                           "受理日期：2026-11-25", "承诺办结日期：2026-12-02", "受理人：0301", "已收材料",
                           "1. 居民身份证", "2. 房屋产权证明或租赁合同", "尚需补交的材料", "1. 户口簿"]
    assert lines[-3:] == ["扫码查询办理进度", "咨询电话 0359-3023302", "监督投诉电话 0359-3023390"]
    # Its QR code is the case's progress link, which opens the case's page.
    [link] = paper.qr_payloads
    assert link.startswith(f"{live.url}/m/")
    progress = requests.get(link, timeout=10)
    assert progress.status_code == 200 and "20261125-0001" in progress.text
    # The applicant's number is on it only masked, in no encoding.
    assert ID_NUMBER.encode() not in job and ID_NUMBER.encode("gb18030") not in job
    assert ID_NUMBER[6:14].encode() not in job   # not even the birth date it holds


def test_the_receipt_in_english(desk, case, printed):
    assert print_at(desk, PRINTED_AT, case["id"], language="en").status_code == 200
    until(lambda: printed, what="the printer to cut the receipt")
    lines = [line.strip() for line in parse_escpos(printed[0]).lines if line.strip()]
    assert lines[0] == "Chengguan County Government Service Centre"
    assert "20261125-0001" in lines and not any("受理" in line for line in lines)


def test_a_supervisor_prints_at_any_counter_and_a_staff_member_only_at_their_own(login, case, printed):
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert print_at(supervisor, PRINTED_AT, case["id"]).status_code == 200
    elsewhere = login("0201", counters=("2",))
    refused = print_at(elsewhere, PRINTED_AT, case["id"])
    assert (refused.status_code, refused.json()["error"]) == (403, "not_your_counter")
    unsigned = requests.post(f"{elsewhere.base}{PRINTING.format(PRINTED_AT)}", json={"case_id": case["id"]},
                             cookies=supervisor.http.cookies, timeout=10)
    assert (unsigned.status_code, unsigned.json()["error"]) == (403, "csrf")
    until(lambda: len(printed) == 1, what="the supervisor's receipt")


def test_a_case_unknown_or_of_another_hall_is_not_found(desk, case, db_url, printed):
    assert print_at(desk, PRINTED_AT, case["id"] + 1).status_code == 404
    engine = create_engine(db_url)
    with engine.begin() as con:
        con.execute(text("update matter_cases set hall_id = 'elsewhere' where id = :id"), {"id": case["id"]})
    engine.dispose()
    answer = print_at(desk, PRINTED_AT, case["id"])
    assert (answer.status_code, answer.json()["reason"]) == (404, "not_found")
    assert print_at(desk, "99", case["id"]).json()["error"] == "unknown_counter"
    assert printed == []


def test_a_host_too_long_for_the_qr_code_is_refused_before_printing(desk, case, printed):
    """Without --public-url the progress link is made from the request's Host header."""
    host = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 60 + ".example.cn"
    # requests matches its cookies to the Host header: the session's is sent by hand.
    answer = print_at(desk, PRINTED_AT, case["id"], headers={
        "Host": host * 2, "Cookie": f"hall_session={desk.http.cookies['hall_session']}"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid"), answer.text
    assert "Host header is too long" in answer.json()["message"]
    assert print_at(desk, PRINTED_AT, case["id"]).status_code == 200
    assert len(printed) == 1


@pytest.mark.parametrize("counter,status,error,words", [
    (NO_PRINTER_AT, 409, "no_printer", "hall.toml names none"),
    (UNREACHABLE_AT, 503, "printer_unreachable", "cannot open printer tcp://127.0.0.1:"),
    (SILENT_AT, 503, "printer_offline", "offline or not answering"),
    (PAPERLESS_AT, 503, "paper_out", "paper out"),
])
def test_a_printer_that_cannot_print_is_said_so(desk, case, printers, printed, counter, status, error, words):
    answer = print_at(desk, counter, case["id"])
    assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text
    assert words in answer.json()["message"]
    for printer in printers.values():
        assert printer.jobs == []
