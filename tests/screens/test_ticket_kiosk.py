"""The ticket kiosk's screens under a real window, driven by touches."""
from __future__ import annotations

import time
from pathlib import Path

from devices.escpos_parse import parse_escpos
from hall.speech import spoken_number
from kiosk.printing import TicketPrinterService


def spooled(ui) -> list[Path]:
    return sorted((ui.settings.data_dir / "printer").glob("ticket-*.bin"))


def tile(ui, code: str):
    """A service's tile on the home screen."""
    return next(b for b in ui.screen.ids.grid.children if b.choice and b.choice.code == code)


def take_ticket(ui, service_name: str) -> None:
    """Two taps: the service on the home screen, then 确认取号."""
    assert ui.app.stage == "idle"
    button = next(b for b in ui.screen.ids.grid.children if b.choice and b.choice.name == service_name)
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


def test_the_home_screen_lists_every_service_under_the_welcome_and_the_card_prompt(ui):
    names = [b.choice.name for b in reversed(ui.screen.ids.grid.children)]
    assert names == ["社会保险", "医疗保障", "户籍办理", "不动产登记", "营业执照", "住房公积金", "税务办理", "退役军人服务"]
    assert ui.screen.ids.welcome.text == "欢迎！请点选要办理的业务"
    assert ui.screen.ids.notice.text == "已取过号或年满 70 岁的，请先将身份证放在读卡区"
    ui.until(lambda: all(b.choice.queue_text for b in ui.screen.ids.grid.children))


def test_a_slow_double_tap_on_a_service_never_takes_a_ticket(ui):
    """The second touch of a double tap on a service, 0.35 to 0.8 s after the first and off
    the middle of the tile, lands on the confirm screen, where 确认取号 may be under it."""
    from kivy.tests.common import UnitTestTouch

    flow = ui.app.flow
    waiting = {s.code: s.waiting for s in flow.hall.services_status()}
    landed_on_take = 0
    now = ui.screen_clock  # the screens' clock, moved by hand: however slowly frames come
    for large_type in (False, True):
        if flow.visit.large_type != large_type:
            flow.toggle_large_type()
            ui.frames(5)  # the tiles laid out again in large type
        for code in [c.code for c in flow.texts.services() if c.available]:
            for gap in (0.36, 0.6, 0.79):
                now.t += 1
                ui.frames(1)
                button = tile(ui, code)
                x, y = button.to_window(button.x + button.width / 4, button.y + button.height / 3)
                first = UnitTestTouch(x, y)
                first.touch_down()
                first.touch_up()
                assert ui.app.stage == "confirming", (code, large_type)  # the first tap chooses
                ui.frames(2)
                take = ui.screen.ids.take
                landed_on_take += take.collide_point(*take.to_widget(x, y))
                now.t += gap
                second = UnitTestTouch(x, y)
                second.touch_down()
                second.touch_up()
                ui.frames(2)
                assert ui.app.stage == "confirming", (code, gap, large_type)
                flow.back()
                ui.frames(2)
    assert landed_on_take, "no second tap fell on 确认取号: this test proves nothing"
    assert {s.code: s.waiting for s in flow.hall.services_status()} == waiting  # no ticket taken


def test_the_language_switch_changes_every_screen(ui):
    ui.tap(ui.screen.ids.lang_en)
    assert ui.find("Welcome! Tap your service")
    ui.tap(tile(ui, "household"))
    ui.until(lambda: ui.app.stage == "confirming")
    assert ui.find("Please confirm")
    assert ui.find("Back")
    ui.tap(ui.screen.ids.lang_zh_TW)
    assert ui.find("請確認辦理業務")
    ui.tap(ui.screen.ids.back)
    ui.until(lambda: ui.app.stage == "idle")
    assert ui.find("歡迎！請點選要辦理的業務")  # back home, in the language chosen
    names = {b.choice.name for b in ui.screen.ids.grid.children}
    assert "戶籍辦理" in names
    ui.tap(ui.screen.ids.lang_zh_CN)
    assert ui.find("欢迎！请点选要办理的业务")


def test_large_type_enlarges_text_and_hides_no_service(ui):
    from kivy.core.window import Window

    welcome = ui.screen.ids.welcome
    normal = welcome.font_size
    assert ui.screen.ids.large_type.text == "大字" and not ui.screen.ids.large_type.selected
    ui.tap(ui.screen.ids.large_type)
    assert welcome.font_size > normal * 1.3
    buttons = ui.screen.ids.grid.children
    assert len(buttons) == 8
    chrome = ui.screen.ids.lang_en
    for button in buttons:  # all on screen at once, above the bottom bar: none below the fold
        x, y = button.to_window(button.x, button.y)
        assert 0 <= x and x + button.width <= Window.width
        assert chrome.to_window(0, chrome.top)[1] <= y and y + button.height <= Window.height


def test_the_large_type_button_says_what_it_turns_on_and_is_lit_while_on(ui):
    """Amber means selected: a lit button naming the other choice (标准字) contradicted it."""
    button = ui.screen.ids.large_type
    for language, label in (("zh_CN", "大字"), ("zh_TW", "大字"), ("en", "Large text")):
        ui.tap(ui.screen.ids[f"lang_{language}"])
        assert (ui.screen.ids.large_type.text, ui.screen.ids.large_type.selected) == (label, False)
        ui.tap(ui.screen.ids.large_type)
        assert (ui.screen.ids.large_type.text, ui.screen.ids.large_type.selected) == (label, True)
        ui.tap(ui.screen.ids.large_type)
    assert button.text == "Large text"


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
        flow.refresh()
        ui.app.root.refresh()
        assert len(codes()) == 8 and ui.screen.ids.previous.disabled
        assert ui.find("第 1 页，共 2 页")
        ui.tap(ui.screen.ids.next)
        assert codes() == ["extra_0", "extra_1"] and ui.screen.ids.next.disabled
        ui.tap(ui.screen.ids.previous)
        assert codes()[0] == "social_security"
    finally:
        flow.hall.close()
        flow.hall = kept
        ui.app.root.refresh()


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
    ui.tap(tile(ui, "household"))
    ui.until(lambda: ui.app.stage == "confirming")
    ui.monotonic.skipped = ui.app.flow.visit.idle_seconds + 1
    ui.until(lambda: ui.app.stage == "idle", seconds=5)  # the kiosk's own once-a-second check
    assert ui.app.lang == "zh_CN"
    assert ui.screen.ids.welcome.text == "欢迎！请点选要办理的业务"


def test_a_double_tap_on_take_issues_one_ticket(ui):
    ui.tap(tile(ui, "taxation"))
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

    from kiosk.embedded import EmbeddedHall

    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")
    flow = ui.app.flow
    kept = flow.hall
    flow.hall = EmbeddedHall(kept.spec, f"sqlite:///{db}", person_key_file=tmp_path / "person.key")
    try:
        flow.refresh()  # the home screen asks the new hall for its queues: the worker waits
        ui.app.root.refresh()
        names = [b.choice.name for b in reversed(ui.screen.ids.grid.children)]
        assert names[:2] == ["社会保险", "医疗保障"]  # the hall's own list, before its queues
        ui.tap(tile(ui, "social_security"))
        assert ui.app.stage == "confirming"
        # The lock is still held, so the hall has not answered: had the screen waited for
        # the answer, the worker would have given up at the busy timeout and said so.
        assert not flow.queues_failed
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ui.until(lambda: ui.screen.choice.waiting is not None, seconds=35)
    flow.hall.close()
    flow.hall = kept


def test_idle_timeout_on_the_home_screen_forgets_language_and_type_size(ui):
    ui.tap(ui.screen.ids.lang_en)
    ui.tap(ui.screen.ids.large_type)
    assert ui.screen.ids.welcome.text == "Welcome! Tap your service"
    ui.monotonic.skipped = ui.app.flow.visit.idle_seconds + 1
    ui.until(lambda: ui.app.lang == "zh_CN" and not ui.app.large_type, seconds=5)
    assert ui.screen.ids.welcome.text == "欢迎！请点选要办理的业务"


def test_a_closed_hall_says_so_plainly_and_offers_no_ticket(ui):
    ui.clock.now = ui.clock.now.replace(hour=18)
    ui.app.flow.refresh()
    ui.app.root.refresh()
    ui.until(lambda: ui.screen.ids.grid.disabled)
    assert ui.screen.ids.grid.opacity == 0 and ui.screen.ids.grid.height == 0
    assert ui.screen.ids.closed.text == "今日取号已结束。下次办理时间为 2026年11月26日 08:30。"
    ui.tap(ui.screen.ids.closed)
    assert ui.app.stage == "idle"
    ui.tap(ui.screen.ids.lang_en)
    assert ui.screen.ids.closed.text == "Tickets for today have ended. Next opening: 2026-11-26 08:30."


def test_the_home_screen_closes_and_opens_on_the_second_the_hours_say(ui):
    """Not up to a minute late, at the next refresh: nothing but the hours moves it here."""
    grid = ui.screen.ids.grid
    ui.clock.now = ui.clock.now.replace(hour=11, minute=44, second=59, microsecond=700_000)
    ui.app.flow.refresh()  # as the minute's refresh does, a moment before the change
    ui.until(lambda: not ui.app.flow._loading)
    ui.frames(3)
    assert not grid.disabled and ui.screen.ids.closed.text == ""
    ui.clock.now = ui.clock.now.replace(minute=45, second=0, microsecond=0)  # issuing stops (12:00 less 15 min)
    ui.until(lambda: grid.disabled, seconds=5)
    assert ui.screen.ids.closed.text == "现在是休息时间，13:30 继续取号。"
    ui.clock.now = ui.clock.now.replace(hour=13, minute=29, second=59, microsecond=700_000)
    ui.app.flow.refresh()
    ui.until(lambda: not ui.app.flow._loading)
    ui.clock.now = ui.clock.now.replace(minute=30, second=0, microsecond=0)
    ui.until(lambda: not grid.disabled, seconds=5)
    assert ui.screen.ids.closed.text == ""


def test_a_grey_service_explains_itself_when_tapped(ui):
    hall = ui.app.flow.hall
    while next(s for s in hall.services_status() if s.code == "veterans").refusal is None:
        hall.issue_ticket("veterans")
    ui.app.flow.refresh()
    ui.until(lambda: not next(b for b in ui.screen.ids.grid.children if b.choice.code == "veterans").choice.available)
    ui.tap(next(b for b in ui.screen.ids.grid.children if b.choice.code == "veterans"))
    ui.until(lambda: ui.app.stage == "notice")
    assert ui.screen.ids.service.text == "H  退役军人服务"
    assert ui.screen.ids.message.text.startswith("退役军人服务今日号码已取完")


def test_a_touch_that_began_before_a_screen_appeared_never_acts_on_it(ui):
    from kivy.tests.common import UnitTestTouch

    # The screens' clock stands still unless a test moves it: however slowly frames come.
    button = tile(ui, "taxation")
    x, y = button.to_window(*button.center)
    touch = UnitTestTouch(x, y)  # a finger already down while the kiosk changes screens
    ui.app.flow.choose("household")
    ui.app.flow.back()
    ui.frames(2)
    touch.touch_down()
    touch.touch_up()
    ui.frames(3)
    assert ui.app.stage == "idle"


def test_a_wall_clock_set_back_leaves_the_screen_on_show_taking_taps(ui):
    """NTP may set a kiosk's clock back hours after the kiosk started (a hardware clock kept
    in local time is read as UTC: eight hours ahead). Kivy stamps each touch with that clock;
    the home screen, on show since before the step, must still take them."""
    from kivy.tests.common import UnitTestTouch

    ui.tap(ui.screen.ids.lang_zh_CN)  # the screen has settled
    button = tile(ui, "taxation")
    touch = UnitTestTouch(*button.to_window(*button.center))
    touch.time_start -= 8 * 3600
    touch.touch_down()
    touch.touch_up()
    ui.frames(2)
    assert ui.app.stage == "confirming"


def test_the_speaker_button_turns_voice_on_for_the_visit(ui, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="kiosk.voice")
    voice = ui.screen.ids.voice
    assert not voice.selected
    ui.tap(voice)
    assert ui.screen.ids.voice.selected
    ui.until(lambda: any("saying (zh_CN): 欢迎。请选择要办理的业务：社会保险" in r.getMessage() for r in caplog.records))
    take_ticket(ui, "税务办理")
    number = ui.screen.ids.number.text
    said = spoken_number(number, "zh_CN")  # G012: 吉零一二号
    ui.until(lambda: any(f"您的号码是{said}" in r.getMessage() for r in caplog.records))
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
