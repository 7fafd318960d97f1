"""The citizen's flow against the real embedded hall (SQLite in tmp_path) and the simulated
printer, whose bytes are decoded back."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from hall.queue import QueueEngine
from kiosk.embedded import EmbeddedHall
from kiosk.machine import MachineError
from kiosk.printing import PrintProblem
from kiosk.ticket_states import State
from tests.kiosk.conftest import make_flow, printed, take


def test_a_ticket_from_tap_to_paper(hall, tmp_path, clock):
    flow, _, listener, spool = make_flow(hall, tmp_path, clock=clock)
    take(flow)
    assert flow.state is State.TICKET
    assert [new for _, new in listener.moves] == [State.CONFIRMING, State.ISSUING, State.TICKET]
    view = flow.texts.ticket_view()
    assert view.number == "A001"
    assert view.service == "社会保险"
    assert view.counters == "1、2、8号窗口"
    assert view.ahead == "0 人" and view.estimate == "无需等候"
    assert view.issued == "2026年11月25日 09:00"
    assert view.qr_payload == "chengguan/20261125/A001"
    assert flow.errand.printed.ok
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
    # Counters 1, 2 and 8 call A001-A003 at once, and A004 and A005 after their 8 minutes.
    assert flow.texts.ticket_view().number == "A005"
    assert flow.texts.ticket_view().ahead == "3 人"
    assert flow.texts.ticket_view().estimate == "约 8 分钟"
    flow.done()  # the home screen asks the hall for its queues again
    choice = next(c for c in flow.texts.services() if c.code == "social_security")
    assert choice.waiting == 5 and choice.waiting_text == "5 人"
    assert choice.queue_text == "等候 5 人 · 约 8 分钟"  # counter 8, with nothing left to call at 8
    idle = next(c for c in flow.texts.services() if c.code == "household")
    assert idle.queue_text == "无需等候" and idle.waiting_text == "0 人"


def test_a_paused_service_is_said_on_screen_and_on_paper(hall, spec, db, tmp_path, clock):
    counter = QueueEngine(spec, f"sqlite:///{db}", clock=clock)   # counter 3's terminal, on the same database
    try:
        counter.pause("3")
        flow, _, _, spool = make_flow(hall, tmp_path, clock=clock)
        take(flow, "household")
        view = flow.texts.ticket_view()
        assert (view.ahead, view.estimate) == ("0 人", "窗口暂停服务")
        [paper] = printed(spool)
        assert "窗口暂停服务" in "\n".join(paper.lines)
        flow.done()
        choice = next(c for c in flow.texts.services() if c.code == "household")
        assert choice.queue_text == "等候 1 人 · 窗口暂停服务"
    finally:
        counter.close()


def test_an_event_the_state_does_not_accept_is_refused_by_name(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    with pytest.raises(MachineError, match="'CONFIRM' is not accepted in state 'IDLE'"):
        flow.confirm()
    take(flow)
    with pytest.raises(MachineError, match="'CONFIRM' is not accepted in state 'TICKET'"):
        flow.confirm()
    assert hall.services_status()[0].waiting == 1  # the second tap issued nothing


def test_inactivity_wipes_the_session(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.set_language("en")
    flow.toggle_large_type()
    flow.choose("household")
    ticks.t += 59
    flow.tick()
    assert flow.state is State.CONFIRMING
    ticks.t += 1
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.visit.language == "zh_CN" and not flow.visit.large_type
    assert flow.errand.service is None


def test_a_touch_keeps_the_session_alive(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.choose("household")
    ticks.t += 50
    flow.touched()
    ticks.t += 50
    flow.tick()
    assert flow.state is State.CONFIRMING


def test_the_ticket_screen_leaves_sooner_when_printed(hall, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60, ticket_timeout=20)
    take(flow)
    ticks.t += 20
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.errand.ticket is None and flow.texts.ticket_view() is None


def test_a_dead_printer_keeps_the_ticket_valid_and_on_screen(hall, tmp_path, db):
    flow, ticks, _, spool = make_flow(hall, tmp_path, printer_url="simprinter://?paper=out",
                                      idle_timeout=60, ticket_timeout=20)
    take(flow)
    assert flow.state is State.TICKET
    assert flow.texts.ticket_view().number == "A001"
    assert flow.errand.printed.problem is PrintProblem.PAPER_OUT
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
    assert flow.errand.printed.problem is PrintProblem.OFFLINE


def test_a_refusal_is_explained_with_the_time_to_come_back(hall, tmp_path, clock):
    clock.now = clock.now.replace(hour=11, minute=40)
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.choose("social_security")
    clock.now = clock.now.replace(hour=12, minute=30)  # the citizen took a while to confirm
    flow.confirm()
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "现在是休息时间，13:30 继续取号。"
    flow.back()
    assert flow.state is State.IDLE


def test_after_hours_names_the_next_opening_day(hall, tmp_path, clock):
    clock.now = clock.now.replace(hour=18)  # Wednesday evening
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.warm_up()
    flow.set_language("en")
    choice = flow.texts.services()[0]
    assert not choice.available and choice.queue_text == "Not issuing now"
    assert flow.texts.closed_text() == "Tickets for today have ended. Next opening: 2026-11-26 08:30."


def test_a_broken_database_sends_the_citizen_to_the_desk(hall, tmp_path, db):
    flow, *_ = make_flow(hall, tmp_path)
    flow.warm_up()  # as the app does once its first frame is up
    flow.choose("taxation")
    with sqlite3.connect(db) as con:
        con.execute("drop table tickets")
    flow.confirm()
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "暂停取号，请到服务台。"


def test_switching_language_on_the_ticket_redraws_it(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    take(flow, "veterans")
    flow.set_language("en")
    view = flow.texts.ticket_view()
    assert view.number == "H001" and view.service == "Veterans' services"
    assert view.counters == "Counter 8" and view.issued == "2026-11-25 09:00"


def test_numbers_restart_the_next_day(hall, tmp_path, clock):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    take(flow)
    flow.done()
    clock.now += timedelta(days=1)
    take(flow)
    assert flow.texts.ticket_view().number == "A001"
    assert flow.texts.ticket_view().qr_payload == "chengguan/20261126/A001"


def test_warm_up_opens_the_hall_and_reports_the_printer(hall, tmp_path, db):
    flow, *_ = make_flow(hall, tmp_path, printer_url="simprinter://?paper=near_end")
    flow.warm_up()
    with sqlite3.connect(db) as con:
        rows = con.execute("select device_id, kind, status from device_status").fetchall()
    assert rows == [("k1/printer", "printer", "paper_near_end")]


def test_warm_up_survives_an_unusable_database(spec, tmp_path, clock):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    hall = EmbeddedHall(spec, f"sqlite:///{blocker / 'hall.db'}", person_key_file=tmp_path / "person.key", clock=clock)
    flow, *_ = make_flow(hall, tmp_path)
    flow.warm_up()
    take(flow)
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "暂停取号，请到服务台。"


def test_a_printer_failing_mid_ticket_still_leaves_the_ticket_on_screen(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, printer_url="simprinter://?fail_after=40")
    take(flow)
    assert flow.state is State.TICKET
    assert flow.texts.ticket_view().number == "A001"
    assert flow.errand.printed.problem is PrintProblem.ERROR


def test_inactivity_on_the_home_screen_resets_language_and_type_size(hall, tmp_path):
    flow, ticks, listener, _ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.set_language("en")
    flow.toggle_large_type()
    ticks.t += 59
    flow.tick()
    assert flow.visit.language == "en"
    ticks.t += 1
    flow.tick()
    assert flow.state is State.IDLE
    assert flow.visit.language == "zh_CN" and not flow.visit.large_type
    assert listener.moves == [(State.IDLE, State.IDLE)]
    ticks.t += 600
    flow.tick()  # a fresh visit has nothing to forget: no redraw every second
    assert len(listener.moves) == 1


def test_a_notice_names_the_service_and_follows_the_language(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    flow.choose("veterans")
    for _ in range(60):  # the day's quota, taken at other kiosks meanwhile
        hall.issue_ticket("veterans")
    flow.confirm()
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "退役军人服务今日号码已取完，请明天再来或到服务台咨询。"
    flow.set_language("en")
    assert flow.texts.notice_text() == ("Today's tickets for Veterans' services are all taken. "
                                  "Please come back tomorrow or ask at the front desk.")
    flow.set_language("zh_TW")
    assert flow.texts.notice_text().startswith("退役軍人服務今日號碼已取完")


def test_a_hall_fault_notice_follows_the_language(hall, tmp_path, db):
    flow, *_ = make_flow(hall, tmp_path)
    flow.choose("taxation")
    with sqlite3.connect(db) as con:
        con.execute("drop table tickets")
    flow.confirm()
    assert flow.texts.notice_text() == "暂停取号，请到服务台。"
    flow.set_language("en")
    assert flow.texts.notice_text() == "Tickets are paused. Please go to the service desk."


def test_an_old_tickets_code_is_explained_in_the_language_of_the_moment(hall, tmp_path, clock):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    yesterday = clock.now.date() - timedelta(days=1)
    flow.code_scanned(f"chengguan/{yesterday:%Y%m%d}/C001")
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == f"这是 {yesterday.year}年{yesterday:%m}月{yesterday:%d}日 的小票，已经失效。"
    flow.set_language("en")
    assert flow.texts.notice_text() == f"This ticket was for {yesterday:%Y-%m-%d} and is no longer valid."


def test_a_closed_hall_says_so_at_home_and_explains_a_tap(hall, tmp_path, clock):
    clock.now = clock.now.replace(hour=18)  # Wednesday evening
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.warm_up()
    assert flow.texts.closed_text() == "今日取号已结束。下次办理时间为 2026年11月26日 08:30。"
    flow.choose("household")
    assert flow.state is State.NOTICE and flow.texts.notice_text() == flow.texts.closed_text()
    flow.back()
    clock.now = clock.now.replace(day=26, hour=8, minute=30)
    assert flow.texts.closed_text() == ""
    flow.choose("household")
    assert flow.state is State.CONFIRMING


def test_the_hours_open_and_close_the_home_screen_on_the_second(hall, tmp_path, clock):
    """Not at the hall's next answer, up to a minute late: the hours are the kiosk's to read."""
    clock.now = clock.now.replace(hour=11, minute=44, second=59)
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.warm_up()  # the hall's last answer: every service issuing
    assert flow.closed() is None and all(c.available for c in flow.texts.services())
    assert flow.next_hours_change() == clock.now.replace(minute=45, second=0)  # 12:00 less 15 minutes
    clock.now = clock.now.replace(minute=45, second=0)
    assert flow.texts.closed_text() == "现在是休息时间，13:30 继续取号。"
    assert not any(c.available for c in flow.texts.services())
    assert flow.next_hours_change() == clock.now.replace(hour=13, minute=30)
    clock.now = clock.now.replace(hour=13, minute=30)
    assert flow.closed() is None
    flow.choose("household")  # the hall's last answer still said "break"
    assert flow.state is State.CONFIRMING
    assert flow.next_hours_change() == clock.now.replace(hour=17, minute=15)


def test_a_tap_on_a_service_that_issues_no_tickets_says_why(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    for _ in range(60):
        hall.issue_ticket("veterans")
    flow.refresh()  # as the home screen asks every minute
    veterans = next(c for c in flow.texts.services() if c.code == "veterans")
    assert not veterans.available and veterans.queue_text == "暂停取号"
    flow.choose("veterans")
    assert flow.state is State.NOTICE
    assert flow.texts.notice_service() == "H  退役军人服务"
    assert flow.texts.notice_text() == "退役军人服务今日号码已取完，请明天再来或到服务台咨询。"
    flow.back()
    assert flow.state is State.IDLE


def test_the_printed_qr_line_promises_progress_only_with_a_progress_page(hall, tmp_path):
    flow, _, _, spool = make_flow(hall, tmp_path)
    take(flow)
    flow.done()
    linked, _, _, linked_spool = make_flow(hall, tmp_path / "linked", qr_base_url="https://hall.example.gov.cn/q/")
    take(linked)
    [paper] = printed(spool)
    [paper_linked] = printed(linked_spool)
    assert "扫码查看排队进度" not in paper.lines
    assert "凭此码可到服务台查询或补打小票" in paper.lines
    assert "扫码查看排队进度" in paper_linked.lines
    assert paper_linked.qr_payloads == ["https://hall.example.gov.cn/q/chengguan/20261125/A002"]


def test_english_tickets_count_people(hall, tmp_path):
    flow, _, _, spool = make_flow(hall, tmp_path)
    for _ in range(6):
        hall.issue_ticket("household")
    flow.set_language("en")
    take(flow, "household")
    assert flow.texts.ticket_view().ahead == "6 people"
    [paper] = printed(spool)
    assert "Ahead of you: 6 people" in paper.lines
    flow.done()
    flow.set_language("en")
    household = next(c for c in flow.texts.services() if c.code == "household")
    assert household.queue_text == "7 people waiting · about 70 min"  # 7 × 10 min at counter 3


def test_a_hall_fault_nobody_foresaw_is_a_notice_not_a_crash(spec, tmp_path, clock):
    """sqlite:///:memory: given straight to the engine raises ValueError, which the embedded
    hall does not translate: the flow still ends on a message."""
    hall = EmbeddedHall(spec, "sqlite:///:memory:", person_key_file=tmp_path / "person.key", clock=clock)
    flow, *_ = make_flow(hall, tmp_path)
    flow.warm_up()
    assert flow.queues_failed
    take(flow, "taxation")
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "暂停取号，请到服务台。"


def test_a_refresh_asked_while_the_queues_load_is_not_lost(hall, tmp_path):
    """The answer under way may predate a ticket issued meanwhile: the home screen asks again."""
    import queue

    from kiosk.machine import ThreadRunner

    posted: queue.Queue = queue.Queue()
    runner = ThreadRunner(posted.put)
    flow, *_ = make_flow(hall, tmp_path, runner=runner)
    try:
        flow.refresh()  # a load under way, its answer not yet back on the flow's thread
        posted.get(timeout=30)()  # done: the hall answered with no ticket
        assert flow.queues["veterans"].waiting == 0
        flow.refresh()
        answered = posted.get(timeout=30)  # the hall has answered; the flow has not heard it yet
        hall.issue_ticket("veterans")
        flow.refresh()  # while that answer is on its way
        answered()
        assert flow.queues["veterans"].waiting == 0
        posted.get(timeout=30)()  # the load the second refresh asked for
        assert flow.queues["veterans"].waiting == 1
    finally:
        runner.close()
