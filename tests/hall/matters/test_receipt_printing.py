"""A case's receipt printed at its counter, end to end over real HTTP on SQLite and PostgreSQL:
staff ask the hall, the counter's terminal (its own flow, headless, with its RemoteHall and
its live events: tests.support.counter_printers) hears the request, prints on a network
printer on 127.0.0.1 that speaks the real bytes, and its outcome reaches the hall as an
event. What reaches the paper is decoded back: its lines, its QR code the case's progress
link, never the applicant's ID number. A counter whose terminal reported no receipt printer
is a 409; a printer out of paper is the console's paper_out and the device page's alarm; a
request for another counter is not printed here; who may fetch a printout and answer for a
job is the counter's own terminal alone."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from devices.escpos_parse import parse_escpos
from devices.ticket_layout import MAX_QR_PAYLOAD
from hall.matters import receipt_jobs, receipt_printout
from hall.schemas import DeviceKind, Role
from kiosk.hall_client import HallUnavailable
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.devices.tcp_printer import TcpPrinter
from tests.hall.matters.test_cases_api import HOUSEHOLD_MOVE, ID_NUMBER
from tests.support.api_clients import Api
from tests.support.counter_printers import counter_terminal, reported, running, terminal_at
from tests.support.servers import FileClock, HallServer
from tests.support.waiting import until

PRINTING = "/api/v1/counters/{}/printer/receipts"
OUTCOME = "/api/v1/counters/{}/printer/receipts/{}/outcome"


@pytest.fixture(scope="module")
def printers():
    with running({"3": TcpPrinter(), "4": TcpPrinter(), "6": TcpPrinter(paper="out")}) as made:
        yield made


@pytest.fixture
def jobs(printers):
    """The jobs each printer cuts in this test."""
    for printer in printers.values():
        printer.jobs.clear()
    return {counter: printer.jobs for counter, printer in printers.items()}


@pytest.fixture
def terminal(live, tmp_path, printers):
    """Counter 3's terminal, its receipt printer beside it."""
    with counter_terminal(live, tmp_path, counter="3", printer=printers["3"]) as running_terminal:
        yield running_terminal


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


def outcomes(stored, job: int) -> list[tuple[str, dict]]:
    """The outcome events of `job`, as the console hears them."""
    rows = stored("select kind, payload from events where kind in ('receipt_printed', 'receipt_not_printed') "
                  "order by id")
    return [(kind, json.loads(payload)) for kind, payload in rows if json.loads(payload)["job"] == job]


def test_the_receipt_is_printed_by_the_counters_terminal_as_the_receipt_page_shows_it(live, desk, case, terminal,
                                                                                       jobs, stored):
    answer = print_at(desk, "3", case["id"])
    assert answer.status_code == 202, answer.text
    job = answer.json()["job"]
    assert answer.json() == {"job": job, "counter": "3", "case_id": case["id"]}
    until(lambda: outcomes(stored, job), what="the terminal's outcome")
    assert outcomes(stored, job) == [("receipt_printed", {"job": job, "case_id": case["id"], "printed": True,
                                                          "problem": None, "paper_low": False})]
    [paper_bytes] = jobs["3"]
    paper = parse_escpos(paper_bytes)
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
    assert ID_NUMBER.encode() not in paper_bytes and ID_NUMBER.encode("gb18030") not in paper_bytes
    assert ID_NUMBER[6:14].encode() not in paper_bytes   # not even the birth date it holds
    assert reported(live, "counter-3") == "ok"
    assert terminal.hall.outbox_waiting == 0


def test_the_receipt_in_english(desk, case, terminal, jobs, stored):
    job = print_at(desk, "3", case["id"], language="en").json()["job"]
    until(lambda: outcomes(stored, job), what="the terminal's outcome")
    lines = [line.strip() for line in parse_escpos(jobs["3"][0]).lines if line.strip()]
    assert lines[0] == "Chengguan County Government Service Centre"
    assert "20261125-0001" in lines and not any("受理" in line for line in lines)


def test_a_request_for_another_counter_is_not_printed_here(live, tmp_path, desk, case, terminal, printers, jobs,
                                                           stored):
    with counter_terminal(live, tmp_path, counter="4", printer=printers["4"]):
        job = print_at(desk, "4", case["id"]).json()["job"]
        until(lambda: outcomes(stored, job), what="counter 4's outcome")
    assert len(jobs["4"]) == 1 and jobs["3"] == []
    # Counter 3's terminal heard it, and went on: its own next job prints.
    mine = print_at(desk, "3", case["id"]).json()["job"]
    until(lambda: outcomes(stored, mine), what="counter 3's outcome")
    assert len(jobs["3"]) == 1 and len(jobs["4"]) == 1


def test_a_printer_out_of_paper_is_the_jobs_problem_and_the_halls_alarm(live, tmp_path, desk, case, printers, jobs,
                                                                        stored):
    with counter_terminal(live, tmp_path, counter="6", printer=printers["6"]):
        assert reported(live, "counter-6") == "paper_out"   # reported at start, before any job
        job = print_at(desk, "6", case["id"]).json()["job"]
        until(lambda: outcomes(stored, job), what="the terminal's outcome")
    [(kind, payload)] = outcomes(stored, job)
    assert (kind, payload["printed"], payload["problem"]) == ("receipt_not_printed", False, "paper_out")
    assert jobs["6"] == []
    # The device page's and the consoles' alarms, as for a kiosk's printer.
    statuses = {s["device_id"]: s["status"] for s in desk.get("/api/v1/devices/status").json()}
    assert statuses["counter-6/receipt-printer"] == "paper_out"
    health = {d["device_id"]: d for d in desk.get("/api/v1/device-health").json()}
    assert health["counter-6"]["state"] == "paper_out" and health["counter-6"]["part"] == "counter-6/receipt-printer"


def test_a_counter_whose_terminal_reported_no_receipt_printer_is_refused(live, tmp_path, desk, case, jobs, count):
    with counter_terminal(live, tmp_path, counter="5", printer=None):
        events_before = count("events")
        answer = print_at(desk, "5", case["id"])
        assert (answer.status_code, answer.json()["error"]) == (409, "no_printer"), answer.text
        assert "receipt_printer" in answer.json()["message"]
        assert count("events") == events_before


def test_a_supervisor_asks_at_any_counter_and_a_staff_member_only_at_their_own(login, case, terminal, jobs, stored):
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    answer = print_at(supervisor, "3", case["id"])
    assert answer.status_code == 202
    elsewhere = login("0201", counters=("2",))
    refused = print_at(elsewhere, "3", case["id"])
    assert (refused.status_code, refused.json()["error"]) == (403, "not_your_counter")
    unsigned = requests.post(f"{elsewhere.base}{PRINTING.format('3')}", json={"case_id": case["id"]},
                             cookies=supervisor.http.cookies, timeout=10)
    assert (unsigned.status_code, unsigned.json()["error"]) == (403, "csrf")
    until(lambda: outcomes(stored, answer.json()["job"]), what="the supervisor's receipt")
    assert len(jobs["3"]) == 1


def test_a_case_unknown_or_of_another_hall_is_not_found(desk, case, db_url, terminal):
    assert print_at(desk, "3", case["id"] + 1).status_code == 404
    engine = create_engine(db_url)
    with engine.begin() as con:
        con.execute(text("update matter_cases set hall_id = 'elsewhere' where id = :id"), {"id": case["id"]})
    engine.dispose()
    answer = print_at(desk, "3", case["id"])
    assert (answer.status_code, answer.json()["reason"]) == (404, "not_found")
    assert print_at(desk, "99", case["id"]).json()["error"] == "unknown_counter"


def test_a_host_too_long_for_the_qr_code_is_refused_before_the_job(desk, case, terminal, count):
    """Without --public-url the progress link is made from the request's Host header."""
    host = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 60 + ".example.cn"
    events_before = count("events")
    # requests matches its cookies to the Host header: the session's is sent by hand.
    answer = print_at(desk, "3", case["id"], headers={
        "Host": host * 2, "Cookie": f"hall_session={desk.http.cookies['hall_session']}"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid"), answer.text
    assert "Host header is too long" in answer.json()["message"]
    assert count("events") == events_before


def test_only_the_counters_own_terminal_fetches_a_printout_and_answers_for_it(live, desk, case, add_device,
                                                                               stored):
    """Here the terminals are plain clients: nothing prints, the test answers as a terminal would."""
    mine = add_device("counter-3", DeviceKind.COUNTER, counters=("3",))
    reported_printer = mine.post("/api/v1/devices/reports", {"device_id": "counter-3/receipt-printer",
                                                             "kind": "printer", "status": "ok"})
    assert reported_printer.status_code == 200, reported_printer.text
    other = add_device("counter-4", DeviceKind.COUNTER, counters=("4",))
    kiosk = add_device("kiosk-01")
    job = print_at(desk, "3", case["id"]).json()["job"]
    printout_path = f"{PRINTING.format('3')}/{job}"
    for who, status in ((desk, 403), (other, 403), (kiosk, 403)):
        assert who.get(printout_path).status_code == status
    assert other.get(f"{PRINTING.format('4')}/{job}").status_code == 404   # its own counter, another's job
    printout = mine.get(printout_path)
    assert printout.status_code == 200, printout.text
    assert set(printout.json()) == {"hall_name", "title", "number", "facts", "lists", "qr_payload", "qr_caption",
                                    "footer"}
    assert printout.json()["number"] == case["number"] and printout.json()["qr_payload"].startswith(f"{live.url}/m/")
    assert mine.get(f"{printout_path}9").status_code == 404

    printed = {"printed": True, "problem": None, "paper_low": True, "detail": ""}
    for who, status in ((desk, 403), (other, 403), (kiosk, 403)):
        answer = who.post(OUTCOME.format("3", job), printed, key=f"outcome-{job}")
        assert answer.status_code == status, answer.text
    assert mine.post(OUTCOME.format("3", job + 1000), printed, key="outcome-none").status_code == 404
    refused = mine.post(OUTCOME.format("3", job), {"printed": False, "problem": None}, key="outcome-bad")
    assert refused.status_code == 422
    first = mine.post(OUTCOME.format("3", job), printed, key=f"outcome-{job}")
    assert first.status_code == 200, first.text
    assert first.json() == {"job": job, "counter": "3", "printed": True, "problem": None, "paper_low": True}
    replayed = mine.post(OUTCOME.format("3", job), printed, key=f"outcome-{job}")
    assert replayed.json() == first.json() and replayed.headers["Idempotent-Replayed"] == "true"
    again = mine.post(OUTCOME.format("3", job), printed, key="outcome-sent-anew")
    assert again.status_code == 200
    other_outcome = mine.post(OUTCOME.format("3", job), {"printed": False, "problem": "paper_out"}, key="outcome-second")
    assert (other_outcome.status_code, other_outcome.json()["error"]) == (409, "answered")
    assert len(outcomes(stored, job)) == 1


def test_the_receipts_qr_limit_is_the_ticket_layouts():
    """The hall does not import the layout, and keeps the limit of its own."""
    assert receipt_printout.MAX_QR_PAYLOAD == MAX_QR_PAYLOAD


def test_a_job_heard_again_is_not_printed_again(desk, case, terminal, jobs, stored):
    """As after the live events resumed from before it: the terminal takes each job once."""
    job = print_at(desk, "3", case["id"]).json()["job"]
    until(lambda: outcomes(stored, job), what="the terminal's outcome")
    again = {"id": job, "kind": "receipt_requested", "counter": "3", "ticket_id": None,
             "payload": {"case_id": case["id"], "language": "zh_CN"}}
    terminal.post(lambda: terminal.flow.live("receipt_requested", again))
    terminal.post(lambda: terminal.flow.live("receipt_requested", again))
    later = print_at(desk, "3", case["id"]).json()["job"]   # the terminal's worker takes jobs in order
    until(lambda: outcomes(stored, later), what="the next job's outcome")
    assert len(jobs["3"]) == 2 and len(outcomes(stored, job)) == 1


def test_a_job_heard_more_than_a_minute_late_is_not_printed(live, tmp_path, desk, case, printers, jobs, stored,
                                                             clock):
    """As when a terminal's link comes back after an outage and its live events resume from
    before: a receipt asked for then is not printed now, when nobody waits for it."""
    with counter_terminal(live, tmp_path, counter="4", printer=printers["4"]):
        pass                                            # counter 4's printer reported, its terminal gone
    late = print_at(desk, "4", case["id"]).json()["job"]
    clock.now += receipt_jobs.FRESH + timedelta(seconds=1)
    with counter_terminal(live, tmp_path, counter="4", printer=printers["4"], terminal_id="counter-4-new") as back:
        with pytest.raises(HallUnavailable, match="410 expired"):
            back.hall.receipt_printout("4", late)
        heard = {"id": late, "kind": "receipt_requested", "counter": "4", "ticket_id": None,
                 "payload": {"case_id": case["id"], "language": "zh_CN"}}
        back.post(lambda: back.flow.live("receipt_requested", heard))
        now = print_at(desk, "4", case["id"]).json()["job"]   # the terminal's worker takes jobs in order
        until(lambda: outcomes(stored, now), what="the fresh job's outcome")
    assert len(jobs["4"]) == 1 and outcomes(stored, late) == []


def test_an_outcome_waits_in_the_terminals_outbox_while_the_hall_is_away(tmp_path):
    """The hall goes away while the terminal prints (a printer that answers nothing keeps it
    at the printer for its timeouts): what came of the job waits in the terminal's outbox and
    reaches the hall once it is back."""
    server = HallServer(data_dir=tmp_path / "hall", database=f"sqlite:///{tmp_path / 'hall' / 'hall.db'}",
                        hall_file=SAMPLE_HALL, clock=FileClock(tmp_path / "clock.txt", OPEN_MORNING)).start()
    silent = TcpPrinter(online=False)
    try:
        token = server.register("counter-3", DeviceKind.COUNTER, counters=("3",))
        desk = server.staff("0301", counters=("3",))
        case = desk.post("/api/v1/matters", {"matter_code": HOUSEHOLD_MOVE, "id_number": ID_NUMBER}).json()

        def status():
            found = server.rows("select status from device_status where device_id = 'counter-3/receipt-printer'")
            return found[0][0] if found else None

        def outcome():
            return server.rows("select kind, payload from events where kind like 'receipt_%printed'")

        with terminal_at(server.url, token, tmp_path, terminal_id="counter-3", counter="3", printer=silent,
                         reported=status) as terminal:
            assert status() == "printer_offline"
            at_start = silent.connections
            answer = desk.post(PRINTING.format("3"), {"case_id": case["id"]})
            assert answer.status_code == 202, answer.text
            until(lambda: silent.connections > at_start, what="the terminal at its printer, the printout fetched")
            server.kill()
            until(lambda: terminal.hall.outbox_waiting == 1, seconds=30, what="the outcome kept in the outbox")
            server.start()
            until(outcome, seconds=60, what="the outcome delivered")
            [(kind, payload)] = outcome()
            assert kind == "receipt_not_printed"
            assert json.loads(payload) == {"job": answer.json()["job"], "case_id": case["id"], "printed": False,
                                           "problem": "printer_offline", "paper_low": False}
            until(lambda: terminal.hall.outbox_waiting == 0, what="the outbox emptied")
        assert silent.jobs == []
    finally:
        silent.close()
        server.kill()
