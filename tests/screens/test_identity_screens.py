"""ID cards and QR codes at the kiosk's screens, with real touches and the simulated reader and
scanner behind the running app: a card at home to a green ticket, the same person refused
with the time of the first ticket, a booking checked in once (and refused when forged, early
or expired), a keyboard-wedge scanner, a scanned ticket's progress, and afterwards nothing
about the people in the kiosk's files or log."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from devices.escpos_parse import parse_escpos
from devices.urlhandler.protocol_simidcard import SimulatedCard
from kiosk.identity import mask_id_number
from tests.conftest import OPEN_MORNING
from tests.devices.idcards import card_fields, with_check_character
from tests.kiosk.identity_kiosk import booking_code

# A citizen of 75 on the test's day (born 1 March 1951), and one of 40.
ELDER = card_fields(name="𠮷祥云", birth_date="19510301", address="北京市朝阳区建国路甲88号院7号楼",
                    id_number=with_check_character("11010519510301771"))
MIDDLE = card_fields(name="欧阳娜", birth_date="19860307", address="天津市和平区南京路12号",
                     id_number=with_check_character("12010119860307662"))


@pytest.fixture
def devices(ui):
    """The simulated reader and scanner behind the app (kiosk.inputs), with no card on the reader."""
    ui.until(lambda: ui.app.inputs is not None and ui.app.inputs.card_watch.reader is not None
             and ui.app.inputs.scanner.port is not None)
    reader = ui.app.inputs.card_watch.reader.port.reader
    reader.lift()
    return reader, ui.app.inputs.scanner.port.scanner


def place(reader, fields) -> None:
    reader.lift()
    reader.place(SimulatedCard.from_fields(fields))


def reach(ui, stage: str, also=lambda: True) -> None:
    """Waits for the screen of `stage`, laid out: a card or a code moves the kiosk between
    frames, where a tap would land on widgets not yet in place."""
    ui.until(lambda: ui.app.stage == stage and also())
    ui.frames(3)


def tap_service(ui, code: str) -> None:
    ui.tap(next(b for b in ui.screen.ids.grid.children if b.choice and b.choice.code == code))


def spooled(ui):
    return sorted((ui.settings.data_dir / "printer").glob("ticket-*.bin"))


def test_a_card_at_home_gives_a_75_year_old_a_green_ticket_and_a_second_card_shows_it_at_once(ui, devices):
    reader, _ = devices
    ui.tap(ui.screen.ids.large_type)  # set first, as elderly citizens do
    ui.tap(ui.screen.ids.voice)
    place(reader, ELDER)
    reach(ui, "idle", lambda: ui.app.flow.errand.held is not None)
    assert ui.app.large_type and ui.app.voice  # kept by the card
    masked = mask_id_number(ELDER["id_number"])
    assert ui.screen.ids.notice.text == f"已读取身份证 {masked}"
    tap_service(ui, "household")
    reach(ui, "confirming")
    ui.tap(ui.screen.ids.take)
    reach(ui, "ticket")
    screen = ui.screen
    assert screen.ids.tag.text == "绿色通道" and screen.ids.holder.value == masked
    number = screen.ids.number.text
    paper = parse_escpos(spooled(ui)[-1].read_bytes())
    assert f"身份证号：{masked}" in paper.lines and paper.largest_text() == number
    first_at = ui.clock.now
    ui.clock.now = first_at + timedelta(minutes=40)
    try:
        place(reader, ELDER)  # the same person, later that day, over the ticket on screen
        reach(ui, "progress")  # their ticket at once, before any choice
        assert (ui.screen.ids.number.text, ui.screen.ids.status.text) == (number, "正在排队，请留意叫号。")
        assert ui.find("您今天已取的号码") and ui.screen.ids.another.text == "办理其他业务"
        ui.tap(ui.screen.ids.another)  # veterans' services are counted apart
        reach(ui, "idle")
        assert ui.screen.ids.notice.text == f"已读取身份证 {masked}"
        assert next(b for b in ui.screen.ids.grid.children if b.choice.code == "taxation").choice.queue_text == "已取号"
        tap_service(ui, "taxation")
        reach(ui, "notice")
        assert ui.screen.ids.message.text == f"您今天 {first_at:%H:%M} 已取过户籍办理的号码 {number}，请留意叫号。"
        ui.tap(ui.screen.ids.home)
        reach(ui, "idle")
        assert ui.app.flow.errand.identity is None
    finally:
        ui.clock.now = OPEN_MORNING


def test_a_service_that_needs_the_card_asks_for_it(ui, devices):
    reader, _ = devices
    tap_service(ui, "housing_fund")
    reach(ui, "confirming")
    ui.tap(ui.screen.ids.take)
    reach(ui, "identifying")
    assert ui.screen.ids.prompt.text == "办理住房公积金需要核验身份。请将身份证放在读卡区。"
    place(reader, card_fields(**{**MIDDLE, "valid_from": "20000101", "valid_until": "20200101"}))
    ui.until(lambda: ui.screen.ids.message.text != "")
    assert ui.screen.ids.message.text == "您的身份证已于 2020-01-01 过期，请到服务台咨询。"
    place(reader, MIDDLE)
    reach(ui, "ticket")
    assert ui.screen.ids.holder.value == mask_id_number(MIDDLE["id_number"]) and ui.screen.ids.tag.text == ""
    ui.tap(ui.screen.ids.done)


def test_a_booking_checks_in_once_and_the_refusals_say_why(ui, devices):
    _, scanner = devices
    url = ui.settings.database_url
    code = booking_code(url, "S1", service="business_license")
    scanner.scan(code)
    reach(ui, "ticket")
    number = ui.screen.ids.number.text
    assert ui.screen.ids.tag.text == "预约" and number.startswith("E")
    qr = ui.screen.ids.qr.payload
    ui.tap(ui.screen.ids.done)
    reach(ui, "idle")
    for text, said in ((code, f"这个预约已于 09:00 签到，号码是 {number}，请留意叫号。"),
                       (booking_code(url, "S2", key=bytes(32)), "这个预约码无法核验，请到服务台咨询。"),
                       (booking_code(url, "S3", window=(OPEN_MORNING.time().replace(hour=10),
                                                        OPEN_MORNING.time().replace(hour=11))),
                        "还没到预约签到时间，请在 09:30 以后扫码签到。"),
                       (booking_code(url, "S4", day=OPEN_MORNING.date() - timedelta(days=1)),
                        "这个预约已过签到时间，请到服务台咨询或重新预约。")):
        scanner.scan(text)
        reach(ui, "notice")
        assert ui.screen.ids.message.text == said
        ui.tap(ui.screen.ids.home)
        reach(ui, "idle")
    scanner.scan(qr)  # the booked ticket's own code: where it stands
    reach(ui, "progress")
    assert (ui.screen.ids.number.text, ui.screen.ids.status.text) == (number, "正在排队，请留意叫号。")
    ui.tap(ui.screen.ids.done)
    reach(ui, "idle")
    assert all(getattr(w, "text", "") != number for w in ui.app.root.get_screen("progress").walk())


def test_a_keyboard_wedge_scanner_types_a_booking_and_a_person_typing_is_not_one(ui, devices):
    from kivy.core.window import Window

    def type_keys(text: str, enter: bool = True) -> None:
        for char in text:
            Window.dispatch("on_key_down", ord(char), 0, char, [])
        if enter:
            Window.dispatch("on_key_down", 13, 40, None, [])
        ui.frames(2)

    type_keys("abc")  # a person's keys: too short a burst
    assert ui.app.stage == "idle"
    type_keys(booking_code(ui.settings.database_url, "W1", service="veterans").lower())  # Caps Lock on
    reach(ui, "ticket")
    assert ui.screen.ids.tag.text == "预约" and ui.screen.ids.number.text.startswith("H")
    ui.tap(ui.screen.ids.done)


def test_after_these_visits_the_kiosk_keeps_nothing_about_the_people(ui, devices, caplog):
    caplog.set_level(logging.DEBUG)
    reader, scanner = devices
    place(reader, card_fields(**{**ELDER, "id_number": with_check_character("11010519510301991")}))
    reach(ui, "idle", lambda: ui.app.flow.errand.held is not None)
    scanner.scan("身份证 " + ELDER["id_number"])  # garbage holding a number
    reach(ui, "notice")
    ui.tap(ui.screen.ids.home)
    secrets = [ELDER["name"], "建国路甲88号", ELDER["id_number"], MIDDLE["name"], "南京路12号", MIDDLE["id_number"]]
    files = [p for p in ui.settings.data_dir.rglob("*") if p.is_file()]
    assert any(p.name.startswith("hall.db") for p in files) and any(p.suffix == ".bin" for p in files)
    found = [(p.name, s) for p in files for s in secrets for enc in ("utf-8", "utf-16-le", "gb18030")
             if s.encode(enc) in p.read_bytes()]
    assert found == []
    assert not [r for r in caplog.records if any(s in r.getMessage() for s in secrets)]
    assert any("ID card 1101" in r.getMessage() for r in caplog.records)
