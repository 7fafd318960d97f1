"""A scanned ticket's late rating at the kiosk, under a real window and real touches, on a
hall server in its own process: the rating arrives once, with channel kiosk."""
from __future__ import annotations

from tests.conftest import ROOT
from tests.screens.test_ticket_kiosk import take_ticket

SHOTS = ROOT / "artifacts" / "screens" / "late-rating"


def shot(ui, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    ui.frames(2)
    ui.app.root.export_to_png(str(SHOTS / f"{name}.png"))


def served(ui, hall_server) -> tuple[int, str]:
    """A ticket taken with two taps, then called and completed by a staff member at
    counter 3; its id and the code printed on it."""
    take_ticket(ui, "户籍办理")
    ticket = ui.app.flow.errand.ticket
    code = ui.screen.ids.qr.payload
    ui.tap(ui.screen.ids.done)
    ui.until(lambda: ui.app.stage == "idle")
    desk = hall_server.staff("0301")
    while True:
        called = desk.post("/api/v1/counters/3/call-next")
        assert called.status_code == 200, called.text
        assert desk.post("/api/v1/counters/3/complete").status_code == 200
        if called.json()["id"] == ticket.id:
            return ticket.id, code


def test_a_completed_ticket_scanned_is_rated_once_and_then_says_so(on_server, hall_server):
    ui = on_server
    ticket_id, code = served(ui, hall_server)
    ui.app.flow.code_scanned(code)  # as the scanner posts it
    ui.until(lambda: ui.app.stage == "progress")
    screen = ui.screen
    ui.until(lambda: screen.ids.rate.opacity == 1)
    assert screen.ids.rate.text == "评价本次服务" and screen.ids.rating_line.text == ""
    shot(ui, "1-progress-rateable")
    ui.tap(screen.ids.rate)
    ui.until(lambda: ui.app.stage == "rating")
    faces = list(reversed(ui.screen.ids.faces.children))
    assert [f.ids.label.text for f in faces] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert ui.screen.ids.title.text.endswith("号，请您对本次服务进行评价")
    shot(ui, "2-rating")
    ui.tap(faces[3])  # 不满意
    ui.until(lambda: ui.app.stage == "reasons")
    screen = ui.screen
    assert screen.ids.hint.text == "请至少选择一项原因"
    ui.tap(screen.ids.send)  # no reason yet: nothing is sent
    ui.frames(3)
    assert ui.app.stage == "reasons"
    shot(ui, "3-reasons-none")
    reason = ui.find("服务态度差")
    ui.tap(reason)
    ui.until(lambda: reason.selected and screen.can_send)
    assert screen.ids.hint.text == ""
    shot(ui, "4-reasons-chosen")
    ui.tap(screen.ids.send)
    ui.until(lambda: ui.app.stage == "thanks")
    assert ui.screen.ids.thanks.text == "感谢您的评价！"
    shot(ui, "5-thanks")
    assert hall_server.rows(f"select level, reasons, channel from ratings where ticket_id = {ticket_id}") == [
        (2, "attitude", "kiosk")]
    ui.tap(ui.screen.ids.done)
    ui.until(lambda: ui.app.stage == "idle")

    ui.app.flow.code_scanned(code)  # the same ticket again
    ui.until(lambda: ui.app.stage == "progress")
    screen = ui.screen
    ui.until(lambda: screen.ids.rating_line.text == "这次服务已经评价过了，每次服务只能评价一次。")
    assert screen.ids.rate.opacity == 0 and screen.ids.rate.disabled and screen.ids.rate.height == 0
    shot(ui, "6-progress-rated")
    assert hall_server.rows(f"select count(*) from ratings where ticket_id = {ticket_id}") == [(1,)]
