"""The guides (办事指南) at the kiosk: the embedded hall reads the catalogue files beside its
hall.toml, the remote one asks the hall server over real HTTP with its device token; the
documents checklist is decoded back from the simulated printer's bytes."""
from __future__ import annotations

import shutil

import pytest

from devices.escpos_parse import parse_escpos
from devices.ticket_layout import MAX_TICKET_BYTES
from hall.spec import load_hall
from kiosk.embedded import EmbeddedHall
from kiosk.hall_client import HallUnavailable
from kiosk.remote import RemoteHall
from kiosk.ticket_states import State
from kiosk.voice import prompt
from tests.conftest import SAMPLE_HALL
from tests.kiosk.conftest import make_flow

PENSION = "140830-RS-0101"  # 城乡居民养老保险待遇申领: promised in 5 working days, three documents


def spooled(spool):
    return sorted(spool.glob("ticket-*.bin"))


def to_guide(flow, code=PENSION):
    flow.open_guides()
    flow.choose_guide_service(flow.matter(code).service)
    flow.choose_guide(code)


def test_the_guides_are_listed_by_service_in_the_halls_order(guided_hall, tmp_path):
    flow, *_ = make_flow(guided_hall, tmp_path)
    flow.open_guides()
    assert flow.state is State.GUIDES
    services = flow.texts.guide_choices()
    assert [s.code for s in services] == [s.code for s in guided_hall.spec.services]  # every one has guides
    assert sum(len(s.matters) for s in services) == 18
    assert flow.texts.guides_title() == "请选择业务类别"
    assert prompt(flow).startswith("办事指南。请选择业务类别：社会保险、")
    flow.choose_guide_service("social_security")
    assert flow.texts.guides_title() == "社会保险：请选择要了解的事项"
    assert [name for _, name in flow.texts.guide_service().matters] == ["城乡居民养老保险待遇申领", "社会保障卡补换"]
    flow.back()  # up to the services
    assert flow.state is State.GUIDES and flow.texts.guide_service() is None
    flow.back()
    assert flow.state is State.IDLE


def test_a_guide_says_its_time_limit_fees_documents_steps_and_phones_in_each_language(guided_hall, tmp_path):
    flow, *_ = make_flow(guided_hall, tmp_path)
    to_guide(flow)
    assert flow.state is State.GUIDE
    view = flow.texts.guide_view()
    assert view.name == "城乡居民养老保险待遇申领" and view.link is None
    rows = dict(row for page in view.pages for row in page.rows)
    assert rows["办件类型"] == "承诺件，5个工作日内办结"
    assert rows["法定时限"] == "20个工作日"
    assert rows["收费标准"] == "不收费"
    assert rows["办理地点"] == "县政务服务中心1、2号窗口"
    assert rows["责任岗位"] == "养老保险待遇岗"
    assert rows["咨询电话"] == "0359-3021102" and rows["监督电话"] == "0359-3021190"
    assert rows["2."] == "户口簿（原件及复印件）"
    assert rows["第 3 步"] == "核定待遇，次月发放"
    assert flow.texts.guide_qr_line() == "本机未连接大厅服务器，不能扫码查看；可打印材料清单带走。"
    flow.set_language("en")
    view = flow.texts.guide_view()
    rows = dict(row for page in view.pages for row in page.rows)
    assert view.name == "Claiming the rural and urban residents' pension"
    assert rows["Kind"] == "Done within 5 working days" and rows["Fees"] == "Free"
    assert rows["2."] == "Household register (original and copy)"
    flow.set_language("zh_TW")
    assert flow.texts.guide_view().pages[0].rows[0] == ("辦件類型", "承諾件，5個工作日內辦結")


def test_a_guide_is_paged_more_finely_in_large_type_and_read_aloud_page_by_page(guided_hall, tmp_path):
    flow, *_ = make_flow(guided_hall, tmp_path)
    to_guide(flow)
    normal = len(flow.texts.guide_view().pages)
    assert prompt(flow).startswith("城乡居民养老保险待遇申领。基本信息（1/2）。办件类型：承诺件，5个工作日内办结。")
    flow.toggle_large_type()
    pages = flow.texts.guide_view().pages
    assert len(pages) > normal and all(len(p.rows) <= 4 for p in pages)
    for _ in range(len(pages) + 2):  # past the last page it stays on the last
        flow.turn_guide(1)
    index, page = flow.texts.guide_page()
    assert index == len(pages) - 1 and page.title.startswith("办理流程")
    assert prompt(flow).startswith(page.title)
    flow.toggle_large_type()  # fewer pages: the page shown is held to them
    assert flow.texts.guide_page()[0] == normal - 1
    flow.turn_guide(-1)
    assert flow.texts.guide_page()[0] == normal - 2


def test_the_checklist_is_printed_in_gb18030_without_a_code_on_an_embedded_kiosk(guided_hall, tmp_path):
    flow, _, _, spool = make_flow(guided_hall, tmp_path)
    to_guide(flow)
    flow.print_checklist()
    assert flow.texts.checklist_line() == "材料清单已打印，请取走。"
    [job] = spooled(spool)
    data = job.read_bytes()
    assert b"\x1c&" in data  # Chinese mode, then GB18030 text
    assert "户口簿（原件及复印件）".encode("gb18030") in data
    paper = parse_escpos(data)
    text = "\n".join(paper.lines)
    assert paper.largest_text() == "材料清单"
    for line in ("城关县政务服务中心", "城乡居民养老保险待遇申领", "1. 居民身份证（原件）", "2. 户口簿（原件及复印件）",
                 "3. 本人社会保障卡或银行卡（复印件）", "办理地点：县政务服务中心1、2号窗口", "咨询电话：0359-3021102"):
        assert line in text, (line, text)
    assert paper.qr_payloads == [] and paper.cuts == 1
    flow.set_language("en")
    flow.print_checklist()
    english = "\n".join(parse_escpos(spooled(spool)[-1].read_bytes()).lines)
    assert "1. Resident ID card (original)" in english and "Where: County service centre, counters 1 and 2" in english


def test_a_failed_printer_says_so_and_the_guide_stays(guided_hall, tmp_path):
    flow, *_ = make_flow(guided_hall, tmp_path, printer_url="simprinter://?paper=out")
    to_guide(flow)
    flow.print_checklist()
    assert flow.state is State.GUIDE
    assert flow.texts.checklist_line() == "材料清单没有打印出来，请拍下本页或到服务台索取。"


def test_a_long_list_of_documents_is_cut_off_with_a_line_that_says_so(spec, db, clock, tmp_path):
    folder = tmp_path / "hall"
    (folder / "matters").mkdir(parents=True)
    shutil.copy(SAMPLE_HALL, folder / "hall.toml")
    source = (SAMPLE_HALL.parent / "matters" / "social_security.toml").read_text(encoding="utf-8")
    many = "".join(f'\n[[matters.documents]]\nname = {{ zh_CN = "证明材料第{i}号，由村（居）委会出具并加盖公章" }}\n'
                   f'form = "copy"\ncopies = 2\n' for i in range(1, 28))
    (folder / "matters" / "social_security.toml").write_text(source + many, encoding="utf-8")
    hall = EmbeddedHall(load_hall(folder / "hall.toml"), f"sqlite:///{db}", person_key_file=db.with_name("person.key"),
                        hall_file=folder / "hall.toml", clock=clock)
    try:
        flow, _, _, spool = make_flow(hall, tmp_path)
        to_guide(flow, "140830-RS-0102")  # the last matter of the file: it gets the 27 more
        assert len(flow.matter("140830-RS-0102").documents) == 28
        flow.print_checklist()
        [job] = spooled(spool)
        data = job.read_bytes()
        assert len(data) <= MAX_TICKET_BYTES
        lines = parse_escpos(data).lines
        numbered = [line for line in lines if line[:1].isdigit() and ". " in line]
        assert [line.split(".")[0] for line in numbered] == [str(i) for i in range(1, 8)]
        assert "… 另有 21 项，请到窗口查看" in lines
    finally:
        hall.close()


def test_the_idle_timeout_ends_a_visit_reading_the_guides(guided_hall, tmp_path):
    flow, ticks, *_ = make_flow(guided_hall, tmp_path, idle_timeout=60)
    flow.set_language("en")
    to_guide(flow)
    ticks.t += 59
    flow.tick()
    assert flow.state is State.GUIDE
    ticks.t += 1
    flow.tick()
    assert flow.state is State.IDLE and flow.visit.language == "zh_CN" and flow.errand.guides is None


def test_a_hall_without_a_catalogue_says_it_has_no_guides(hall, tmp_path):
    flow, *_ = make_flow(hall, tmp_path)
    flow.open_guides()
    assert flow.texts.guide_choices() == []
    assert flow.texts.guides_line() == "本大厅暂未公布办事指南，请到服务台咨询。"


def test_a_remote_kiosk_reads_the_guides_from_the_server_and_prints_the_phones_address(hall_server, tmp_path):
    token = hall_server.register("kiosk-guides")
    hall_server.start()
    hall = RemoteHall(hall_server.url, token, data_dir=tmp_path / "kiosk")
    try:
        flow, _, _, spool = make_flow(hall, tmp_path, clock=hall_server.clock)
        to_guide(flow)
        view = flow.texts.guide_view()
        assert view.link == f"{hall_server.url}/guides/{PENSION}"
        assert flow.texts.guide_qr_line() == "手机扫码，随时查看本指南"
        flow.print_checklist()
        paper = parse_escpos(spooled(spool)[0].read_bytes())
        assert paper.qr_payloads == [view.link]
        assert "扫码查看完整办事指南" in paper.lines
        page = hall.guide_link(PENSION)
        import requests
        answer = requests.get(page, timeout=5)  # the public page the code opens
        assert answer.status_code == 200 and "城乡居民养老保险待遇申领" in answer.text
    finally:
        hall.close()


def test_a_remote_kiosk_with_a_bad_token_says_the_guides_cannot_be_had(hall_server, tmp_path):
    token = hall_server.register("kiosk-guides")
    hall_server.start()
    hall = RemoteHall(hall_server.url, token, data_dir=tmp_path / "kiosk")
    hall._http.headers["Authorization"] = "Bearer forged"
    try:
        with pytest.raises(HallUnavailable, match="401"):
            hall.catalogue()
        flow, *_ = make_flow(hall, tmp_path, clock=hall_server.clock)
        flow.open_guides()
        assert flow.state is State.GUIDES
        assert flow.texts.guides_line() == "暂时无法查询办事指南，请到服务台咨询。"
    finally:
        hall.close()
