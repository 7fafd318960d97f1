"""The ticket kiosk's screens under a real window, driven by touches."""
from __future__ import annotations

import time
from pathlib import Path

from devices.escpos_parse import parse_escpos
from kiosk.printing import TicketPrinterService


def spooled(ui) -> list[Path]:
    return sorted((ui.settings.data_dir / "printer").glob("ticket-*.bin"))


def take_ticket(ui, service_name: str) -> None:
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    button = next(b for b in ui.screen.ids.grid.children if b.choice.name == service_name)
    ui.tap(button)
    ui.until(lambda: ui.app.stage == "confirming")
    assert ui.screen.ids.service.text.endswith(service_name)
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "ticket")


def test_tapping_a_service_ends_on_the_ticket_the_printer_printed(ui):
    before = len(spooled(ui))
    take_ticket(ui, "不动产登记")
    screen = ui.screen
    number = screen.ids.number.text
    assert number.startswith("D") and len(number) == 4
    assert screen.ids.service.text == "不动产登记"
    assert screen.ids.message.text == "请取走小票，留意叫号"
    assert screen.ids.qr.texture is not None
    files = spooled(ui)
    assert len(files) == before + 1
    paper = parse_escpos(files[-1].read_bytes())
    assert paper.largest_text() == number
    assert any("不动产登记" in line for line in paper.lines)
    assert paper.qr_payloads == [screen.ids.qr.payload]
    ui.tap(screen.ids.done)
    ui.until(lambda: ui.app.stage == "idle")


def test_the_services_screen_lists_every_service_with_its_queue(ui):
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    names = [b.choice.name for b in reversed(ui.screen.ids.grid.children)]
    assert names == ["社会保险", "医疗保障", "户籍办理", "不动产登记", "营业执照", "住房公积金", "税务办理", "退役军人服务"]
    ui.tap(ui.screen.ids.back)
    ui.until(lambda: ui.app.stage == "idle")


def test_the_language_switch_changes_every_screen(ui):
    ui.tap(ui.screen.ids.lang_en)
    assert ui.screen.ids.take.text == "Take a ticket"
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    assert ui.find("Choose a service")
    assert ui.find("Back")
    ui.tap(ui.screen.ids.lang_zh_TW)
    assert ui.find("請選擇要辦理的業務")
    names = {b.choice.name for b in ui.screen.ids.grid.children}
    assert "戶籍辦理" in names
    ui.tap(ui.screen.ids.lang_zh_CN)
    assert ui.find("请选择要办理的业务")


def test_large_type_enlarges_text_and_hides_no_service(ui):
    from kivy.core.window import Window

    take = ui.screen.ids.take
    normal = take.font_size
    ui.tap(ui.screen.ids.large_type)
    assert take.font_size > normal * 1.3
    assert ui.screen.ids.large_type.text == "标准字"
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    buttons = ui.screen.ids.grid.children
    assert len(buttons) == 8
    back = ui.screen.ids.back
    for button in buttons:  # all on screen at once, above the back button: none below the fold
        x, y = button.to_window(button.x, button.y)
        assert 0 <= x and x + button.width <= Window.width
        assert back.top <= y and y + button.height <= Window.height


def test_a_hall_with_more_services_than_a_page_turns_pages_with_large_buttons(ui, tmp_path):
    from kiosk.embedded import EmbeddedHall

    flow = ui.app.flow
    kept = flow.hall
    spec = kept.spec
    extra = [spec.services[0].model_copy(update={"code": f"extra_{i}", "prefix": letter})
             for i, letter in enumerate("JK")]
    counters = [c.model_copy(update={"services": [*c.services, "extra_0", "extra_1"]}) if c.id == "1" else c
                for c in spec.counters]
    flow.hall = EmbeddedHall(spec.model_copy(update={"services": [*spec.services, *extra], "counters": counters}),
                             f"sqlite:///{tmp_path / 'ten.db'}", person_key_file=tmp_path / "person.key")

    def codes():
        return [b.choice.code for b in reversed(ui.screen.ids.grid.children) if b.choice]
    try:
        ui.tap(ui.screen.ids.take)
        ui.until(lambda: ui.app.stage == "choosing")
        assert len(codes()) == 8 and ui.screen.ids.previous.disabled
        assert ui.find("第 1 页，共 2 页")
        ui.tap(ui.screen.ids.next)
        assert codes() == ["extra_0", "extra_1"] and ui.screen.ids.next.disabled
        ui.tap(ui.screen.ids.previous)
        assert codes()[0] == "social_security"
    finally:
        flow.hall.close()
        flow.hall = kept


def test_a_printer_failure_shows_the_ticket_and_what_to_do(ui):
    ui.app.flow.printer = TicketPrinterService("simprinter://?paper=out")
    take_ticket(ui, "户籍办理")
    screen = ui.screen
    assert screen.ids.number.text.startswith("C")
    assert screen.ids.message.text.startswith("小票没有打印出来，但您的号码有效")
    assert screen.ids.qr.texture is not None
    assert screen.ids.qr.payload.endswith(screen.ids.number.text)


def test_idle_timeout_returns_home_and_forgets_the_session(ui):
    ui.tap(ui.screen.ids.lang_en)
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    ui.monotonic.skipped = ui.app.flow.idle_timeout + 1
    ui.until(lambda: ui.app.stage == "idle", seconds=5)  # the kiosk's own once-a-second check
    assert ui.app.lang == "zh_CN"
    assert ui.screen.ids.take.text == "点此取号"


def test_a_double_tap_on_take_issues_one_ticket(ui):
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    button = next(b for b in ui.screen.ids.grid.children if b.choice.code == "taxation")
    ui.tap(button)
    ui.until(lambda: ui.app.stage == "confirming")
    waiting = ui.screen.choice.waiting
    take = ui.screen.ids.take
    ui.tap(take)
    ui.tap(take)
    ui.until(lambda: ui.app.stage == "ticket")
    status = {s.code: s for s in ui.app.flow.hall.services_status()}
    assert status["taxation"].waiting == waiting + 1


def test_the_screens_never_wait_for_the_hall(ui, tmp_path):
    """A cold open of a database another process holds the write lock of waits up to the
    busy timeout (30 s): that wait belongs to the worker, never to the screen."""
    import sqlite3
    import time

    from kiosk.embedded import EmbeddedHall

    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")
    flow = ui.app.flow
    kept = flow.hall
    flow.hall = EmbeddedHall(kept.spec, f"sqlite:///{db}", person_key_file=tmp_path / "person.key")
    try:
        started = time.monotonic()
        ui.tap(ui.screen.ids.take)
        assert ui.app.stage == "choosing"
        assert time.monotonic() - started < 10  # a tap and a few frames, however loaded the machine: not the 30 s
        names = [b.choice.name for b in reversed(ui.screen.ids.grid.children)]
        assert names[:2] == ["社会保险", "医疗保障"]  # the hall's own list, before its queues
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ui.until(lambda: any(b.choice.queue_text for b in ui.screen.ids.grid.children), seconds=35)
    flow.hall.close()
    flow.hall = kept


def test_idle_timeout_on_the_home_screen_forgets_language_and_type_size(ui):
    ui.tap(ui.screen.ids.lang_en)
    ui.tap(ui.screen.ids.large_type)
    assert ui.screen.ids.take.text == "Take a ticket"
    ui.monotonic.skipped = ui.app.flow.idle_timeout + 1
    ui.until(lambda: ui.app.lang == "zh_CN" and not ui.app.large_type, seconds=5)
    assert ui.screen.ids.take.text == "点此取号"


def test_a_closed_hall_says_so_plainly_and_offers_no_ticket(ui):
    ui.clock.now = ui.clock.now.replace(hour=18)
    ui.app.flow.refresh()
    ui.until(lambda: ui.screen.ids.take.disabled)
    assert ui.screen.ids.take.opacity == 0
    assert ui.screen.ids.closed.text == "今日取号已结束。下次办理时间为 2026年11月26日 08:30。"
    ui.tap(ui.screen.ids.take)
    assert ui.app.stage == "idle"
    ui.tap(ui.screen.ids.lang_en)
    assert ui.screen.ids.closed.text == "Tickets for today have ended. Next opening: 2026-11-26 08:30."


def test_a_grey_service_explains_itself_when_tapped(ui):
    hall = ui.app.flow.hall
    while next(s for s in hall.services_status() if s.code == "veterans").refusal is None:
        hall.issue_ticket("veterans")
    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    ui.until(lambda: not next(b for b in ui.screen.ids.grid.children if b.choice.code == "veterans").choice.available)
    ui.tap(next(b for b in ui.screen.ids.grid.children if b.choice.code == "veterans"))
    ui.until(lambda: ui.app.stage == "notice")
    assert ui.screen.ids.service.text == "H  退役军人服务"
    assert ui.screen.ids.message.text.startswith("退役军人服务今日号码已取完")


def test_a_double_tap_on_take_in_large_type_chooses_nothing(ui, monkeypatch):
    """The second tap of a double tap lands where a service now is: it began before the
    citizen could see the list, so it must not choose."""
    from kivy.tests.common import UnitTestTouch

    from screens.ticket_kiosk import KioskScreen
    monkeypatch.setattr(KioskScreen, "settle", ui.shipped_settle)

    ui.tap(ui.screen.ids.large_type)
    # The screens' clock, moved by hand: the finger comes down again 0.15 s after the first
    # tap, however long this machine takes to draw the list.
    now = [time.monotonic() + 1]
    monkeypatch.setattr(KioskScreen, "clock", staticmethod(lambda: now[0]))
    take = ui.screen.ids.take
    x, y = take.to_window(take.x + take.width / 4, take.center_y)  # a finger off the middle, as most are
    first = UnitTestTouch(x, y)
    first.touch_down()
    first.touch_up()
    assert ui.app.stage == "choosing"
    ui.frames(1)
    now[0] += 0.15
    second = UnitTestTouch(x, y)
    second.touch_down()
    second.touch_up()
    ui.frames(3)
    assert ui.app.stage == "choosing"
    under = [b for b in ui.screen.ids.grid.children if b.collide_point(*b.to_widget(x, y))]
    assert under, "the second tap should land on a service, or this test proves nothing"


def test_a_touch_that_began_before_a_screen_appeared_never_acts_on_it(ui, monkeypatch):
    from kivy.tests.common import UnitTestTouch

    from screens.ticket_kiosk import KioskScreen
    monkeypatch.setattr(KioskScreen, "settle", ui.shipped_settle)

    ui.tap(ui.screen.ids.take)
    ui.until(lambda: ui.app.stage == "choosing")
    now = [time.monotonic() + 1]  # the screens' clock, held still: however slowly frames come
    monkeypatch.setattr(KioskScreen, "clock", staticmethod(lambda: now[0]))
    button = next(b for b in ui.screen.ids.grid.children if b.choice.code == "taxation")
    x, y = button.to_window(*button.center)
    touch = UnitTestTouch(x, y)  # a finger already down while the kiosk changes screens
    ui.app.flow.back()
    ui.app.flow.start()
    ui.frames(2)
    touch.touch_down()
    touch.touch_up()
    ui.frames(3)
    assert ui.app.stage == "choosing"


def test_a_wall_clock_set_back_leaves_the_screen_on_show_taking_taps(ui):
    """NTP may set a kiosk's clock back hours after the kiosk started (a hardware clock kept
    in local time is read as UTC: eight hours ahead). Kivy stamps each touch with that clock;
    the home screen, on show since before the step, must still take them."""
    from kivy.tests.common import UnitTestTouch

    ui.tap(ui.screen.ids.lang_zh_CN)  # the screen has settled
    take = ui.screen.ids.take
    touch = UnitTestTouch(*take.to_window(*take.center))
    touch.time_start -= 8 * 3600
    touch.touch_down()
    touch.touch_up()
    ui.frames(2)
    assert ui.app.stage == "choosing"


def test_the_speaker_button_turns_voice_on_for_the_visit(ui, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="kiosk.voice")
    voice = ui.screen.ids.voice
    assert not voice.selected
    ui.tap(voice)
    assert ui.screen.ids.voice.selected
    ui.until(lambda: any("saying (zh_CN): 欢迎。取号请点击" in r.getMessage() for r in caplog.records))
    take_ticket(ui, "税务办理")
    number = ui.screen.ids.number.text
    digits = "".join("零一二三四五六七八九"[int(d)] for d in number[1:])
    ui.until(lambda: any(f"您的号码是{number[0]}{digits}号" in r.getMessage() for r in caplog.records))
    assert ui.screen.ids.voice.selected  # on every screen, for the whole visit


def test_escape_never_closes_the_kiosk(ui):
    from kivy.base import EventLoop
    from kivy.core.window import Window

    closed = []
    Window.bind(on_close=closed.append)
    try:
        Window.dispatch("on_keyboard", 27, 41, None, [])  # Escape, as a keyboard or a scanner sends it
        ui.frames(2)
    finally:
        Window.unbind(on_close=closed.append)
    assert not closed and not EventLoop.stopping and not EventLoop.quit
    assert ui.app.stage == "idle"
