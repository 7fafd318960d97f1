"""Cards and codes through the flow with the real parts: the simulated reader polled on its own
thread, the simulated serial scanner, the embedded hall on SQLite and the spooling printer.
Every refusal and device fault ends in a sentence for the citizen, never a crash."""
from __future__ import annotations

from datetime import timedelta

import pytest

from devices.escpos_parse import parse_escpos
from hall.tickets import Priority
from kiosk.config import load_settings
from kiosk.identity import mask_id_number
from kiosk.ticket_states import State
from tests.conftest import OPEN_MORNING, write_kiosk_config
from tests.devices.idcards import card_fields
from tests.kiosk.conftest import Ticks
from tests.kiosk.identity_kiosk import ELDER, YOUNG, Kiosk, booking_code
from tests.support.waiting import until


@pytest.fixture
def kiosk(tmp_path, hall):
    settings = load_settings(write_kiosk_config(tmp_path / "terminal"))
    kiosk = Kiosk(settings, hall, hall._clock)
    yield kiosk
    kiosk.close()


def printed(kiosk):
    return [parse_escpos(p.read_bytes()) for p in sorted(kiosk.spool.glob("ticket-*.bin"))]


def test_a_card_at_the_home_screen_leads_to_a_green_ticket_with_the_masked_number(kiosk):
    flow = kiosk.flow
    kiosk.place(ELDER)
    kiosk.until(lambda: flow.errand.identity is not None)
    masked = mask_id_number(ELDER["id_number"])
    assert flow.texts.identified_text() == f"已读取身份证 {masked}"
    flow.choose("household")
    flow.confirm()
    kiosk.until(lambda: flow.state is State.TICKET)
    view = flow.texts.ticket_view()
    assert flow.errand.ticket.priority is Priority.GREEN and view.tag == "绿色通道" and view.holder == masked
    [paper] = printed(kiosk)
    assert f"身份证号：{masked}" in paper.lines and "绿色通道" in paper.lines[1]
    flow.done()
    assert flow.errand.identity is None and flow.texts.identified_text() == ""  # wiped with the visit


def test_a_card_at_home_left_there_is_forgotten_when_the_visit_times_out(tmp_path, hall):
    """Nothing changed but the card: the masked number must still go after the idle time,
    or the next citizen's ticket would be taken in this one's name."""
    ticks = Ticks()
    kiosk = Kiosk(load_settings(write_kiosk_config(tmp_path / "terminal")), hall, hall._clock, monotonic=ticks)
    try:
        flow = kiosk.flow
        kiosk.place(ELDER)
        kiosk.until(lambda: flow.errand.identity is not None)
        assert flow.state is State.IDLE and flow.texts.identified_text()
        ticks.t += flow.visit.idle_seconds - 1
        flow.tick()
        assert flow.errand.identity is not None
        ticks.t += 1
        flow.tick()
        assert flow.errand.identity is None and flow.texts.identified_text() == ""
    finally:
        kiosk.close()


@pytest.mark.parametrize("language, large_type, voice", [("zh_TW", False, False), ("zh_CN", True, False),
                                                      ("zh_CN", False, True), ("zh_TW", True, True)])
def test_a_card_at_home_keeps_the_language_type_size_and_voice_set_before_it(kiosk, language, large_type, voice):
    """Elderly citizens set large type and voice first, and are then steered to the card."""
    flow = kiosk.flow
    flow.set_language(language)
    if large_type:
        flow.toggle_large_type()
    if voice:
        flow.toggle_voice()
    kiosk.place(YOUNG)
    kiosk.until(lambda: flow.errand.identity is not None)
    assert flow.state is State.IDLE
    assert (flow.visit.language, flow.visit.large_type, flow.visit.voice) == (language, large_type, voice)
    flow.choose("taxation")
    flow.confirm()
    kiosk.until(lambda: flow.state is State.TICKET)
    assert flow.texts.ticket_view().holder == mask_id_number(YOUNG["id_number"])
    assert (flow.visit.language, flow.visit.large_type, flow.visit.voice) == (language, large_type, voice)


def test_a_card_after_a_notice_keeps_the_visit(kiosk):
    flow = kiosk.flow
    flow.toggle_large_type()
    kiosk.scan("WIFI:S:hall;T:WPA;P:secret;;")
    kiosk.until(lambda: flow.state is State.NOTICE)
    kiosk.place(YOUNG)
    kiosk.until(lambda: flow.errand.identity is not None)
    assert flow.state is State.IDLE and flow.visit.large_type


def test_a_card_at_home_shows_the_citizens_open_ticket_at_once_and_the_services_still_open(kiosk, hall):
    """Not after choosing a service: at once, with the way to a service the hall still gives."""
    flow = kiosk.flow
    kiosk.place(ELDER)
    kiosk.until(lambda: flow.errand.held is not None)
    assert flow.state is State.IDLE and not flow.errand.held.tickets  # nothing held yet: the services
    flow.choose("household")
    flow.confirm()
    kiosk.until(lambda: flow.state is State.TICKET)
    hall.issue_ticket("household")  # someone after
    hall._clock.now = OPEN_MORNING + timedelta(minutes=25)
    kiosk.reader.lift()
    kiosk.place(ELDER)  # the same person again, over the first ticket
    kiosk.until(lambda: flow.state is State.PROGRESS)
    assert flow.errand.ticket is None and flow.texts.progress_title() == "您今天已取的号码"
    view = flow.texts.progress_view()
    assert (view.number, view.service, view.status) == ("C001", "户籍办理", "正在排队，请留意叫号。")
    assert view.rows[:2] == (("办理窗口", "3号窗口"), ("前面等候", "0 人"))
    assert flow.another_allowed()  # veterans' services count apart (person_limit = "service")
    flow.back()  # 办理其他业务
    assert flow.state is State.IDLE and flow.errand.identity is not None
    choices = {c.code: c for c in flow.texts.services()}
    assert not choices["taxation"].available and choices["taxation"].queue_text == "已取号"
    assert choices["veterans"].available
    flow.choose("taxation")  # a grey tile says why
    assert flow.state is State.NOTICE
    assert flow.texts.notice_text() == "您今天 09:00 已取过户籍办理的号码 C001，请留意叫号。"
    flow.set_language("en")
    assert flow.texts.notice_text() == ("You took ticket C001 for Household registration at 09:00 today. "
                                  "Please listen for your number.")
    flow.back()
    flow.choose("veterans")
    flow.confirm()
    kiosk.until(lambda: flow.state is State.TICKET)
    assert flow.errand.ticket.number == "H001" and flow.errand.ticket.priority is Priority.GREEN
    flow.done()
    kiosk.reader.lift()
    kiosk.place(ELDER)  # both held now: the first shown, and no other service
    kiosk.until(lambda: flow.state is State.PROGRESS)
    assert flow.texts.progress_view().number == "C001" and not flow.another_allowed()
    flow.back()  # no such button on the screen: nothing to go back to
    assert flow.state is State.PROGRESS


def test_a_service_that_needs_the_card_asks_for_it_and_says_what_is_wrong_with_each(kiosk):
    flow = kiosk.flow
    flow.choose("housing_fund")
    flow.confirm()
    assert flow.state is State.IDENTIFYING
    expired = card_fields(valid_from="20060101", valid_until="20160101")
    kiosk.place(expired)
    kiosk.until(lambda: flow.texts.identify_text() != "")
    assert flow.texts.identify_text() == "您的身份证已于 2016-01-01 过期，请到服务台咨询。"
    kiosk.reader.lift()
    kiosk.place(card_fields(id_number="110105194912310021"))  # a wrong check character
    kiosk.until(lambda: "无法核验" in flow.texts.identify_text())
    kiosk.reader.lift()
    kiosk.reader.fault, kiosk.reader.faults_left = "lifted", 1  # taken away in the middle of the read
    kiosk.place(YOUNG)
    kiosk.until(lambda: flow.texts.identify_text().startswith("身份证没有读完"))
    assert flow.state is State.IDENTIFYING
    kiosk.place(YOUNG)  # placed again, and kept still
    kiosk.until(lambda: flow.state is State.TICKET)
    assert flow.errand.ticket.service == "housing_fund" and flow.errand.ticket.priority is Priority.NORMAL


def test_an_unplugged_reader_is_said_where_a_card_is_asked_for_and_reported(kiosk, hall, db):
    import sqlite3

    flow = kiosk.flow
    flow.choose("housing_fund")
    flow.confirm()
    kiosk.inputs.card_watch.reader.port.unplug()
    kiosk.until(lambda: flow.texts.identify_text() != "")
    assert flow.texts.identify_text().startswith("读卡器暂时无法使用")
    with sqlite3.connect(db) as con:
        assert con.execute("select status from device_status where device_id = 'k1/id_reader'").fetchall() == [
            ("unavailable",)]


def test_codes_from_the_scanner(kiosk, db):
    flow = kiosk.flow
    url = f"sqlite:///{db}"
    kiosk.scan("WIFI:S:hall;T:WPA;P:secret;;")
    kiosk.until(lambda: flow.state is State.NOTICE)
    assert flow.texts.notice_text().startswith("无法识别这个二维码")
    flow.home()
    code = booking_code(url, "B1")
    kiosk.scan(code)
    kiosk.until(lambda: flow.state is State.TICKET)
    assert (flow.errand.ticket.number, flow.texts.ticket_view().tag) == ("C001", "预约")
    qr = printed(kiosk)[0].qr_payloads[0]
    kiosk.scan(code.lower())  # the same booking again, over its own ticket
    kiosk.until(lambda: flow.state is State.NOTICE)
    assert flow.texts.notice_text() == "这个预约已于 09:00 签到，号码是 C001，请留意叫号。"
    for text, said in ((booking_code(url, "B2", key=bytes(32)), "这个预约码无法核验"),
                       (booking_code(url, "B3", window=(OPEN_MORNING.time().replace(hour=11), OPEN_MORNING.time().replace(hour=12))),
                        "还没到预约签到时间，请在 10:30 以后扫码签到。"),
                       (booking_code(url, "B4", day=OPEN_MORNING.date() - timedelta(days=1)), "这个预约已过签到时间"),
                       ("HKB1.CHENGGUAN.B5", "这个预约码不完整")):
        flow.home()
        kiosk.scan(text)
        kiosk.until(lambda: flow.state is State.NOTICE)
        assert flow.texts.notice_text().startswith(said)
    flow.home()
    kiosk.scan(qr)  # the ticket's own code: its progress
    kiosk.until(lambda: flow.state is State.PROGRESS)
    view = flow.texts.progress_view()
    assert (view.number, view.service, view.status) == ("C001", "户籍办理", "正在排队，请留意叫号。")
    assert view.rows[1] == ("前面等候", "0 人")
    kiosk.inputs.scanner.port.deliver(b"\xff\xfe\x81\r")  # a line that is no text
    kiosk.until(lambda: flow.state is State.NOTICE)
    assert flow.texts.notice_text() == "没有读出这个二维码，请再扫一次。"


def test_a_camera_where_one_is_set_checks_a_booking_in(tmp_path, hall, db):
    from tests.devices.qr_frames import desk, in_frame, qr_image
    import random

    code = booking_code(f"sqlite:///{db}", "CAM1")
    frames = tmp_path / "frames"
    frames.mkdir()
    rng = random.Random(3)
    for n in range(8):
        frame = in_frame(qr_image(code), (640, 480), seed=n) if 2 <= n < 6 else desk((640, 480), rng)
        frame.convert("RGB").save(frames / f"{n:03d}.png")
    settings = load_settings(write_kiosk_config(
        tmp_path / "terminal", extra_devices=f'id_reader = "simidcard://?present=0"\ncamera = "file://{frames}/%03d.png"'))
    kiosk = Kiosk(settings, hall, hall._clock)
    try:
        kiosk.until(lambda: kiosk.flow.state is State.TICKET)
        assert kiosk.flow.errand.ticket.priority is Priority.BOOKED
    finally:
        kiosk.close()


def device_status(db, device_id: str) -> str | None:
    import sqlite3

    with sqlite3.connect(db) as con:
        try:
            row = con.execute("select status from device_status where device_id = ?", (device_id,)).fetchone()
        except sqlite3.OperationalError:  # the hall has not made its tables yet
            return None
    return row[0] if row else None


def test_the_devices_start_without_waiting_for_a_busy_hall(tmp_path, spec, clock):
    """The app starts the devices on its screen's thread: a scanner that cannot be opened is
    told to the hall from the scanner's own thread, so a hall database another process holds
    (its busy timeout is 30 s) never holds up the screen."""
    import sqlite3
    import time

    from kiosk.embedded import EmbeddedHall
    from kiosk.flow import TicketFlow
    from kiosk.inputs import Inputs
    from kiosk.printing import TicketPrinterService

    db = tmp_path / "busy.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")
    hall = EmbeddedHall(spec, f"sqlite:///{db}", person_key_file=tmp_path / "person.key", clock=clock)
    settings = load_settings(write_kiosk_config(tmp_path / "terminal", extra_devices=(
        f'id_reader = "simidcard://?present=0"\nscanner = "serial://{tmp_path}/ttyACM9"')))
    flow = TicketFlow(hall, TicketPrinterService("simprinter://", spool_dir=tmp_path / "spool"), terminal_id="k1",
                      now=clock)
    inputs = None
    try:
        started = time.monotonic()
        inputs = Inputs(settings, flow, lambda call: None).start()
        assert time.monotonic() - started < 5, "the screen's thread waited for the hall"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        until(lambda: device_status(db, "k1/scanner") == "unavailable", seconds=30, every=0.05,
              what="the report of the scanner that cannot be opened")
    finally:
        if inputs is not None:
            inputs.close()
        hall.close()


def test_a_scanner_plugged_in_again_is_reported_and_reads_codes(kiosk, db):
    flow = kiosk.flow
    unplugged = kiosk.inputs.scanner.port
    unplugged.unplug()
    kiosk.until(lambda: device_status(db, "k1/scanner") == "unavailable")
    kiosk.until(lambda: kiosk.inputs.scanner.port not in (None, unplugged) and device_status(db, "k1/scanner") == "ok")
    kiosk.scan(booking_code(f"sqlite:///{db}", "B1"))
    kiosk.until(lambda: flow.state is State.TICKET)
    assert flow.errand.ticket.priority is Priority.BOOKED


def test_a_keyboard_scanners_code_read_late_in_two_parts_is_one_code_by_the_keys_own_times(tmp_path, hall, db):
    """Its keys 5 ms apart by the kernel's clock, read in two parts a third of a second apart
    (a kiosk busy in between): one code, judged by the keys' times, not by when they were read."""
    import os
    import time

    from kiosk.keyboard_scan import ENTER
    from tests.devices.keyboard_events import typed

    device = tmp_path / "event-kbd"
    os.mkfifo(device)
    writer = os.open(device, os.O_RDWR)
    settings = load_settings(write_kiosk_config(
        tmp_path / "terminal", extra_devices=f'id_reader = "simidcard://?present=0"\nkeyboard_scanner = "evdev://{device}"'))
    kiosk = Kiosk(settings, hall, hall._clock)
    try:
        keys = typed(booking_code(f"sqlite:///{db}", "B1") + ENTER, time.monotonic(), 0.005)
        os.write(writer, b"".join(keys[:len(keys) // 2]))
        time.sleep(0.3)
        os.write(writer, b"".join(keys[len(keys) // 2:]))
        kiosk.until(lambda: kiosk.flow.state is State.TICKET)
        assert kiosk.flow.errand.ticket.priority is Priority.BOOKED
    finally:
        kiosk.close()
        os.close(writer)
