"""The guides (办事指南) under a real window, driven by touches: from the home screen to a
matter's guide and its printed checklist, on the embedded kiosk (no QR code, said so) and on
a hall server (the code that opens the guide on a phone); and the walk of their screens in
both windows, three languages and both type sizes against tests/screens/layout_rules.py,
with a picture of each in artifacts/screens/guides/."""
from __future__ import annotations

from pathlib import Path

import pytest

from devices.escpos_parse import parse_escpos
from tests.conftest import ROOT
from tests.screens.layout_rules import broken, settle, shoot, walk_pictures
from tests.screens.test_layout import LANGUAGES, WINDOWS, every_combination

ARTIFACTS = ROOT / "artifacts" / "screens" / "guides"
PENSION = "140830-RS-0101"


def spooled(ui) -> list[Path]:
    return sorted((ui.settings.data_dir / "printer").glob("ticket-*.bin"))


def tile(ui, code: str):
    return next(b for b in ui.screen.ids.grid.children if b.code == code)


def to_guide(ui, service: str = "social_security", matter: str = PENSION) -> None:
    ui.tap(ui.screen.ids.guides)
    ui.until(lambda: ui.app.stage == "guides" and ui.app.flow.catalogue is not None)
    ui.frames(2)
    ui.tap(tile(ui, service))
    ui.until(lambda: any(b.code == matter for b in ui.screen.ids.grid.children))
    ui.tap(tile(ui, matter))
    ui.until(lambda: ui.app.stage == "guide")


def test_touches_lead_from_home_to_a_guide_and_its_printed_checklist(ui):
    ui.tap(ui.screen.ids.guides)
    ui.until(lambda: ui.app.stage == "guides" and ui.app.flow.catalogue is not None)
    ui.frames(2)
    assert ui.screen.ids.title.text == "请选择业务类别"
    titles = [b.title for b in reversed(ui.screen.ids.grid.children) if b.code]
    assert titles[:3] == ["社会保险", "医疗保障", "户籍办理"]
    ui.tap(tile(ui, "social_security"))
    ui.until(lambda: ui.screen.ids.title.text == "社会保险：请选择要了解的事项")
    ui.tap(tile(ui, PENSION))
    ui.until(lambda: ui.app.stage == "guide")
    screen = ui.screen
    assert screen.ids.name.text == "城乡居民养老保险待遇申领"
    assert screen.ids.qr.payload == "" and screen.ids.qr.opacity == 0
    assert screen.ids.qr_line.text == "本机未连接大厅服务器，不能扫码查看；可打印材料清单带走。"
    shown = {row.label: row.value for row in screen.ids.rows.children}
    assert shown["办件类型"] == "承诺件，5个工作日内办结" and shown["收费标准"] == "不收费"
    ui.tap(screen.ids.next)
    ui.until(lambda: screen.ids.page_title.text == "基本信息（2/2）")
    shown = {row.label: row.value for row in screen.ids.rows.children}
    assert shown["监督电话"] == "0359-3021190" and shown["责任岗位"] == "养老保险待遇岗"
    ui.tap(screen.ids.next)
    ui.until(lambda: screen.ids.page_title.text == "所需材料")
    before = len(spooled(ui))
    ui.tap(screen.ids.print)
    ui.until(lambda: screen.ids.checklist.text == "材料清单已打印，请取走。")
    files = spooled(ui)
    assert len(files) == before + 1
    paper = parse_escpos(files[-1].read_bytes())
    assert paper.largest_text() == "材料清单"
    assert "2. 户口簿（原件及复印件）" in paper.lines
    ui.tap(screen.ids.back)
    ui.until(lambda: ui.app.stage == "guides")
    ui.tap(ui.screen.ids.back)
    ui.until(lambda: ui.screen.ids.title.text == "请选择业务类别")
    ui.tap(ui.screen.ids.home)
    ui.until(lambda: ui.app.stage == "idle")


def test_large_type_and_english_on_a_guide_stay_with_the_visit_until_it_times_out(ui):
    ui.tap(ui.screen.ids.lang_en)
    ui.tap(ui.screen.ids.large_type)
    to_guide(ui)
    assert ui.screen.ids.name.text == "Claiming the rural and urban residents' pension"
    assert ui.screen.ids.page_title.text == "Overview (1/3)"
    assert len(ui.screen.ids.rows.children) == 4
    ui.monotonic.skipped += 61
    ui.app.flow.tick()
    ui.until(lambda: ui.app.stage == "idle" and ui.app.lang == "zh_CN" and not ui.app.large_type)


def test_on_a_hall_server_the_guide_has_the_code_that_opens_it_on_a_phone(on_server, hall_server):
    ui = on_server
    to_guide(ui)
    link = f"{hall_server.url}/guides/{PENSION}"
    assert ui.screen.ids.qr.payload == link and ui.screen.ids.qr.texture is not None
    assert ui.screen.ids.qr_line.text == "手机扫码，随时查看本指南"
    ui.tap(ui.screen.ids.print)
    ui.until(lambda: ui.screen.ids.checklist.text == "材料清单已打印，请取走。")
    assert parse_escpos(spooled(ui)[-1].read_bytes()).qr_payloads == [link]
    ui.tap(ui.screen.ids.next)
    ui.until(lambda: ui.screen.ids.qr.opacity == 0)  # the code is on the first page only


@every_combination
def test_the_guides_screens_keep_the_layout_rules(on_server, window, size, language, large_type):
    ui = on_server
    flow = ui.app.flow
    folder, tag = walk_pictures(ARTIFACTS, size, language, large_type)
    problems: dict[str, list[str]] = {}
    settle(ui, size, language, large_type)
    shoot(ui, folder, f"{tag}-0-home", problems, large_type)
    flow.open_guides()
    ui.until(lambda: ui.app.stage == "guides" and flow.catalogue is not None)
    shoot(ui, folder, f"{tag}-1-services", problems, large_type)
    flow.choose_guide_service("real_estate")  # three matters, the most of any service
    ui.until(lambda: len([b for b in ui.screen.ids.grid.children if b.code]) == 3)
    shoot(ui, folder, f"{tag}-2-matters", problems, large_type)
    for code in [m.code for m in flow.catalogue]:  # every guide, every page
        flow.choose_guide(code)
        ui.until(lambda: ui.app.stage == "guide")
        pages = len(flow.texts.guide_view().pages)
        for page in range(pages):
            if page:
                flow.turn_guide(1)
            shoot(ui, folder, f"{tag}-3-{code}-{page + 1}", problems, large_type)
        flow.print_checklist()
        ui.until(lambda: ui.screen.ids.checklist.text != "" and not flow.errand.guides.printing)
        shoot(ui, folder, f"{tag}-4-{code}-printed", problems, large_type)
        flow.back()
        ui.until(lambda: ui.app.stage == "guides")
    flow.home()
    ui.until(lambda: ui.app.stage == "idle")
    assert not problems, broken(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_embedded_kiosks_guide_says_there_is_no_code_and_keeps_the_rules(ui, window, language):
    folder = ARTIFACTS / "embedded"
    folder.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for size in WINDOWS:
        for large_type in (False, True):
            settle(ui, size, language, large_type)
            ui.app.flow.open_guides() if ui.app.stage == "idle" else None
            ui.until(lambda: ui.app.stage in ("guides", "guide") and ui.app.flow.catalogue is not None)
            if ui.app.stage == "guides":
                ui.app.flow.choose_guide_service("household")
                ui.app.flow.choose_guide("140830-GA-0302")
            ui.until(lambda: ui.app.stage == "guide")
            tag = f"{size[0]}x{size[1]}-{language}-{'large' if large_type else 'normal'}"
            shoot(ui, folder, tag, problems, large_type)
            assert ui.screen.ids.qr.opacity == 0 and ui.screen.ids.qr_line.text
    assert not problems, broken(problems)
