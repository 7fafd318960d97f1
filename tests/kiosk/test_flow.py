"""The citizen's flow against the real embedded hall (SQLite in tmp_path) and the simulated
printer, whose bytes are decoded back."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from devices.escpos_parse import parse_escpos
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.flow import FlowError, FlowListener, State, TicketFlow
from kiosk.printing import PrintProblem, TicketPrinterService
from tests.conftest import SAMPLE_HALL


class Ticks:
    """The flow's monotonic clock, moved by hand to reach the timeouts."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Recorder(FlowListener):
    def __init__(self):
        self.moves = []

    def on_state(self, old, new):
        self.moves.append((old, new))


@pytest.fixture
def spec():
    return load_hall(SAMPLE_HALL)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "hall.db"


@pytest.fixture
def hall(spec, db, clock):
    hall = EmbeddedHall(spec, f"sqlite:///{db}", clock=clock)
    yield hall
    hall.close()


def make_flow(hall, tmp_path, printer_url="simprinter://", clock=None, **kwargs):
    spool = tmp_path / "spool"
    printer = TicketPrinterService(printer_url, spool_dir=spool)
    ticks = Ticks()
    listener = Recorder()
    flow = TicketFlow(hall, printer, terminal_id="k1", listener=listener, monotonic=ticks,
                      now=clock, **kwargs)
    return flow, ticks, listener, spool


def printed(spool):
    return [parse_escpos(p.read_bytes()) for p in sorted(spool.glob("ticket-*.bin"))]


def take(flow, service="social_security"):
    flow.start()
    flow.choose(service)
    flow.confirm()


def test_a_ticket_from_tap_to_paper(hall, tmp_path, clock):
    flow, _, listener, spool = make_flow(hall, tmp_path, clock=clock)
    take(flow)
    assert flow.state is State.TICKET
    assert [new for _, new in listener.moves] == [State.CHOOSING, State.CONFIRMING, State.ISSUING, State.TICKET]
    view = flow.session.view
    assert view.number == "A001"
    assert view.service == "社会保险"
    assert view.counters == "1、2、8号窗口"
    assert view.ahead == "0 人" and view.estimate == "无需等候"
    assert view.issued == "2026年11月25日 09:00"
    assert view.qr_payload == "chengguan/20261125/A001"
    assert flow.session.printed.ok
    [paper] = printed(spool)
    text = "\n".join(paper.lines)
    assert "A001" in text and "社会保险" in text and "城关县政务服务中心" in text
    assert paper.qr_payloads == ["chengguan/20261125/A001"]
    assert paper.cuts == 1


def test_people_ahead_and_estimate_follow_the_queue(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    for _ in range(4):
        hall.issue_ticket("social_security")
    take(flow)
    # 4 ahead, 8 minutes each, 3 open counters (1, 2, 8): ceil(32 / 3) = 11.
    assert flow.session.view.number == "A005"
    assert flow.session.view.ahead == "4 人"
    assert flow.session.view.estimate == "约 11 分钟"
    choice = next(c for c in flow.services() if c.code == "social_security")
    assert choice.waiting == 5 and choice.waiting_text == "5 人"
    assert choice.queue_text == "等候 5 人 · 约 14 分钟"  # ceil(5 * 8 / 3)
    idle = next(c for c in flow.services() if c.code == "veterans")
    assert idle.queue_text == "无需等候" and idle.waiting_text == "0 人"


def test_an_event_the_state_does_not_accept_is_refused_by_name(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    with pytest.raises(FlowError, match="'confirm' is not accepted in state 'idle'"):
        flow.confirm()
    take(flow)
    with pytest.raises(FlowError, match="'confirm' is not accepted in state 'ticket'"):
        flow.confirm()
    assert hall.services_status()[0].waiting == 1  # the second tap issued nothing


def test_inactivity_wipes_the_session(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.start()
    flow.set_language("en")
    flow.toggle_large_type()
    flow.choose("household")
    ticks.t += 59
    flow.tick()
    assert flow.state is State.CONFIRMING
    ticks.t += 1
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.session.language == "zh_CN" and not flow.session.large_type
    assert flow.session.service is None


def test_a_touch_keeps_the_session_alive(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.start()
    ticks.t += 50
    flow.touched()
    ticks.t += 50
    flow.tick()
    assert flow.state is State.CHOOSING


def test_the_ticket_screen_leaves_sooner_when_printed(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60, ticket_timeout=20)
    take(flow)
    ticks.t += 20
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.session.ticket is None and flow.session.view is None


def test_a_dead_printer_keeps_the_ticket_valid_and_on_screen(hall, tmp_path, db):
    flow, ticks, _, spool = make_flow(hall, tmp_path, printer_url="simprinter://?paper=out",
                                      idle_timeout=60, ticket_timeout=20)
    take(flow)
    assert flow.state is State.TICKET
    assert flow.session.view.number == "A001"
    assert flow.session.printed.problem is PrintProblem.PAPER_OUT
    assert printed(spool) == []
    assert hall.services_status()[0].waiting == 1  # the number stands in the queue
    ticks.t += 30
    flow.tick()
    assert flow.state is State.TICKET  # stays long enough to be noted or photographed
    ticks.t += 30
    flow.tick()
    assert flow.state is State.IDLE
    with sqlite3.connect(db) as con:
        rows = con.execute("select device_id, status from device_status").fetchall()
    assert rows == [("k1/printer", "paper_out")]


def test_a_printer_that_does_not_answer(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, printer_url="simprinter://?online=0")
    take(flow)
    assert flow.state is State.TICKET
    assert flow.session.printed.problem is PrintProblem.OFFLINE


def test_a_refusal_is_explained_with_the_time_to_come_back(hall, tmp_path, clock):
    clock.now = clock.now.replace(hour=12, minute=30)
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    take(flow)
    assert flow.state is State.NOTICE
    assert flow.session.notice == "现在是休息时间，13:30 继续取号。"
    flow.back()
    assert flow.state is State.CHOOSING


def test_after_hours_names_the_next_opening_day(hall, tmp_path, clock):
    clock.now = clock.now.replace(hour=18)  # Wednesday evening
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.set_language("en")
    choice = flow.services()[0]
    assert not choice.available
    assert choice.notice == "Tickets for today have ended. Next opening: 2026-11-26 08:30."


def test_a_broken_database_sends_the_citizen_to_the_desk(hall, tmp_path, db):
    flow, *_ = make_flow(hall, tmp_path)
    flow.warm_up()  # as the app does once its first frame is up
    flow.start()
    flow.choose("taxation")
    with sqlite3.connect(db) as con:
        con.execute("drop table tickets")
    flow.confirm()
    assert flow.state is State.NOTICE
    assert flow.session.notice == "暂停取号，请到服务台。"


def test_switching_language_on_the_ticket_redraws_it(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    take(flow, "veterans")
    flow.set_language("en")
    view = flow.session.view
    assert view.number == "H001" and view.service == "Veterans' services"
    assert view.counters == "Counter 8" and view.issued == "2026-11-25 09:00"


def test_numbers_restart_the_next_day(hall, tmp_path, clock):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    take(flow)
    flow.done()
    clock.now += timedelta(days=1)
    take(flow)
    assert flow.session.view.number == "A001"
    assert flow.session.view.qr_payload == "chengguan/20261126/A001"


def test_warm_up_opens_the_hall_and_reports_the_printer(hall, tmp_path, db):
    flow, *_ = make_flow(hall, tmp_path, printer_url="simprinter://?paper=near_end")
    flow.warm_up()
    with sqlite3.connect(db) as con:
        rows = con.execute("select device_id, kind, status from device_status").fetchall()
    assert rows == [("k1/printer", "printer", "paper_near_end")]


def test_warm_up_survives_an_unusable_database(spec, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    hall = EmbeddedHall(spec, f"sqlite:///{blocker / 'hall.db'}")
    flow, *_ = make_flow(hall, tmp_path)
    flow.warm_up()
    take(flow)
    assert flow.state is State.NOTICE
    assert flow.session.notice == "暂停取号，请到服务台。"


def test_a_printer_failing_mid_ticket_still_leaves_the_ticket_on_screen(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, printer_url="simprinter://?fail_after=40")
    take(flow)
    assert flow.state is State.TICKET
    assert flow.session.view.number == "A001"
    assert flow.session.printed.problem is PrintProblem.ERROR
