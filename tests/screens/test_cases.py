"""办件进度 under a real window, on a hall server whose counter opened the cases: touches from
the home screen to an ID card's cases and each case, a scanned receipt's case, a forged one
said plainly; and the walk of its screens in both windows, three languages and both type
sizes against tests/screens/layout_rules.py, with a picture of each in
artifacts/screens/cases/."""
from __future__ import annotations

import pytest

from devices.idcard_record import decode_text_block, layout_text_block
from hall.matters.cases import LINK_PURPOSE
from kiosk.card_watch import CardOutcome
from kiosk.identity import identify
from tests.conftest import ROOT
from tests.devices.idcards import card_fields
from tests.screens.layout_rules import broken, settle, shoot, walk_pictures
from tests.screens.test_layout import every_combination

ARTIFACTS = ROOT / "artifacts" / "screens" / "cases"
RECORD = decode_text_block(layout_text_block(card_fields()))


@pytest.fixture(scope="module")
def opened(hall_server) -> dict[str, str]:
    """Four cases of the sample card, in four states, opened and moved at counter 3; each
    state's receipt link."""
    desk = hall_server.staff("0302")
    links = {}
    plans = [("accepted", "140830-GA-0302", [0], []),
             ("waiting_documents", "140830-RS-0101", [0], [{"step": "request_documents", "note": "缺户口簿"}]),
             ("completed", "140830-SW-0701", [0], [{"step": "complete"}]),
             ("returned", "140830-GJ-0601", [], [{"step": "return", "note": "不符合提取条件"}])]
    for state, code, documents, steps in plans:
        answer = desk.post("/api/v1/matters", {"matter_code": code, "id_number": RECORD.id_number,
                                               "documents": documents})
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["id"]
        for step in steps:
            moved = desk.post(f"/api/v1/matters/{case_id}/steps", step)
            assert moved.status_code == 200 and moved.json()["state"] == state, moved.text
        with hall_server._engine() as engine:
            links[state] = f"{hall_server.url}/m/{engine.signer.sign(LINK_PURPOSE, str(case_id))}"
    return links


def card(flow) -> CardOutcome:
    hall = flow.hall
    return CardOutcome(identity=identify(RECORD, today=flow.today(), salt=hall.person_salt(),
                                         case_salt=hall.case_salt()))


def test_touches_lead_from_home_to_the_cards_cases_and_each(on_server, opened):
    ui = on_server
    flow = ui.app.flow
    ui.tap(ui.screen.ids.cases)
    ui.until(lambda: ui.app.stage == "cases")
    assert ui.screen.ids.prompt.text == "请扫描受理回执上的二维码，或将身份证放在读卡区。"
    flow.card_placed(card(flow))
    ui.until(lambda: ui.screen.ids.line.text == "您近 90 天有 4 件办件，请点选查看。")
    tiles = [b for b in reversed(ui.screen.ids.grid.children) if b.code]
    assert [t.info.split(" · ")[1] for t in tiles] == ["已退件", "已办结", "待补交材料", "已受理"]
    assert tiles[1].title == "发票领用" and tiles[1].info.startswith(tiles[1].code)
    ui.tap(tiles[2])
    ui.until(lambda: ui.app.stage == "case")
    screen = ui.screen
    assert screen.ids.matter.text == "城乡居民养老保险待遇申领"
    assert screen.ids.state.text == "请补交材料，补齐前办理期限暂停计算"
    assert screen.ids.owed_line.text == "尚需补交的材料"
    assert screen.ids.owed.text == "· 户口簿\n· 本人社会保障卡或银行卡"
    shown = " ".join(w.text for w in screen.walk(restrict=True) if getattr(w, "text", ""))
    assert RECORD.id_number[-4:] not in shown and RECORD.name not in shown
    ui.tap(screen.ids.back)
    ui.until(lambda: ui.app.stage == "cases")
    ui.tap(ui.screen.ids.home)
    ui.until(lambda: ui.app.stage == "idle")


def test_a_scanned_receipt_shows_its_case_and_a_forged_one_is_said_plainly(on_server, opened):
    ui = on_server
    flow = ui.app.flow
    flow.code_scanned(opened["accepted"])
    ui.until(lambda: ui.app.stage == "case")
    assert ui.screen.ids.state.text == "已受理，等待办理"
    assert ui.screen.ids.back.opacity == 0 and ui.screen.ids.back.disabled  # not chosen from a list
    ui.tap(ui.screen.ids.done)
    ui.until(lambda: ui.app.stage == "idle")
    flow.code_scanned(opened["accepted"][:-4] + "AAAA")
    ui.until(lambda: ui.app.stage == "notice")
    assert ui.screen.ids.message.text == "没有找到这个办件，请核对受理回执或到服务台咨询。"


@every_combination
def test_the_cases_screens_keep_the_layout_rules(on_server, opened, window, size, language, large_type):
    ui = on_server
    flow = ui.app.flow
    folder, tag = walk_pictures(ARTIFACTS, size, language, large_type)
    problems: dict[str, list[str]] = {}
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-0-home", problems, large_type)
    flow.open_cases()
    ui.until(lambda: ui.app.stage == "cases")
    shoot(ui, folder, f"{tag}-1-prompt", problems, large_type)
    flow.card_placed(card(flow))
    ui.until(lambda: len([b for b in ui.screen.ids.grid.children if b.code]) == ui.screen.rows)
    shoot(ui, folder, f"{tag}-2-list", problems, large_type)
    if ui.screen.pages > 1:  # three tiles a page in large type
        ui.tap(ui.screen.ids.next)
        ui.until(lambda: ui.screen.page == 1)
        shoot(ui, folder, f"{tag}-2-list-2", problems, large_type)
    for number, _title, _state in flow.texts.case_choices():
        flow.choose_case(number)
        ui.until(lambda: ui.app.stage == "case")
        shoot(ui, folder, f"{tag}-3-{flow.errand.cases.shown.state.value}", problems, large_type)
        flow.back()
        ui.until(lambda: ui.app.stage == "cases")
    flow.home()
    ui.until(lambda: ui.app.stage == "idle")
    settle(ui, size, language, large_type)
    flow.code_scanned(opened["accepted"][:-4] + "AAAA")
    ui.until(lambda: ui.app.stage == "notice")
    shoot(ui, folder, f"{tag}-4-forged", problems, large_type)
    flow.back()
    ui.until(lambda: ui.app.stage == "idle")
    assert not problems, broken(problems)
