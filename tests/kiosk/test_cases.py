"""办件进度 at the kiosk on its embedded hall (SQLite in tmp_path): a case opened as a counter
opens it, found by its receipt's link and by the applicant's ID card, whose hash for cases is
made on the kiosk as the counter made it; forged links and unknown cards are said plainly. The
remote hall gives the same answers from a hall server over real HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest

from devices.idcard_record import decode_text_block, layout_text_block
from hall.matters import cases
from hall.matters.applicants import Applicant, lookup_hash, masked
from hall.matters.catalogue import load_catalogue
from hall.matters.cases import LINK_PURPOSE
from hall.person_keys import open_keys
from hall.queue import QueueEngine
from kiosk.card_watch import CardOutcome, Message
from kiosk.identity import identify
from kiosk.remote import RemoteHall
from kiosk.ticket_states import State
from kiosk.voice import prompt
from tests.conftest import SAMPLE_HALL
from tests.devices.idcards import card_fields, with_check_character
from tests.kiosk.conftest import make_flow

HOUSEHOLD_MOVE = "140830-GA-0302"  # 户口迁入: promised 5 working days, 3 documents
TAX_INVOICES = "140830-SW-0701"    # 发票领用: immediate


@pytest.fixture
def record():
    return decode_text_block(layout_text_block(card_fields()))


@pytest.fixture
def counter(spec, db, clock, hall):
    """The counter's side, on the kiosk's own database: opens cases as the server's route does."""
    hall.services_status()  # the kiosk's hall made the database and its key file
    engine = QueueEngine(spec, f"sqlite:///{db}", clock=clock)
    catalogue = load_catalogue(SAMPLE_HALL, spec)
    keys = open_keys(db.with_name("person.key"), hall_id=spec.hall.id, zone=spec.zone)

    def open_case(code: str, number: str | None, documents=(0,)) -> str:
        """The case's progress link, as its receipt prints it."""
        applicant = Applicant(masked(number), lookup_hash(keys, number)) if number else None
        with engine.transaction() as session:
            case = cases.open_case(session, spec=spec, catalogue=catalogue, code=code, job_no="0301", now=clock(),
                                   applicant=applicant, documents=list(documents))
            case_id = case.id
        return f"https://hall.example.gov.cn/m/{engine.signer.sign(LINK_PURPOSE, str(case_id))}"
    yield open_case
    engine.close()


@pytest.fixture
def hall(guided_hall):
    return guided_hall


def card(hall, record, flow) -> CardOutcome:
    """The card as kiosk.card_watch reduces it, with both of the hall's keys."""
    return CardOutcome(identity=identify(record, today=flow.today(), salt=hall.person_salt(),
                                         case_salt=hall.case_salt()))


def test_a_scanned_receipt_shows_its_case_state_due_day_and_documents_owed(hall, counter, tmp_path, record):
    link = counter(HOUSEHOLD_MOVE, record.id_number)
    flow, *_ = make_flow(hall, tmp_path)
    flow.code_scanned(link)
    assert flow.state is State.CASE
    view = flow.texts.case_view()
    assert view.matter == "户口迁入" and view.state == "已受理，等待办理"
    assert dict(view.rows) == {"办件编号": "20261125-0001", "受理日期": "2026年11月25日", "承诺办结": "2026年12月02日"}
    assert view.owed == ("户口簿", "房屋产权证明或租赁合同") and view.owed_line == "尚需补交的材料"
    said = prompt(flow)
    assert said.startswith("户口迁入。已受理，等待办理。承诺 2026年12月02日 办结。尚需补交：户口簿、房屋产权证明或租赁合同")
    assert record.id_number[-4:] not in said and record.name not in said
    flow.done()
    assert flow.state is State.IDLE and flow.errand.cases is None


@pytest.mark.parametrize("scanned, message", [
    ("https://hall.example.gov.cn/m/1.AAAAAAAAAAAAAAAAAAAAAA", "没有找到这个办件，请核对受理回执或到服务台咨询。"),
    ("https://hall.example.gov.cn/m/999999.AAAAAAAAAAAAAAAAAAAAAA", "没有找到这个办件，请核对受理回执或到服务台咨询。"),
    ("https://hall.example.gov.cn/m/short", "这不是本大厅取号小票的二维码。"),
    ("https://hall.example.gov.cn/m/1.AAAA?x=1", "这不是本大厅取号小票的二维码。"),
])
def test_a_forged_or_unknown_receipt_is_said_plainly(hall, counter, tmp_path, record, scanned, message):
    counter(HOUSEHOLD_MOVE, record.id_number)
    flow, *_ = make_flow(hall, tmp_path)
    flow.code_scanned(scanned)
    assert flow.state is State.NOTICE and flow.texts.notice_text() == message
    flow.back()
    assert flow.state is State.IDLE


def test_a_receipt_signed_for_another_purpose_finds_nothing(hall, counter, spec, db, clock, tmp_path, record):
    counter(HOUSEHOLD_MOVE, record.id_number)
    engine = QueueEngine(spec, f"sqlite:///{db}", clock=clock)
    try:
        ticket_token = engine.signer.sign("ticket", "1")  # a real signature, for a ticket's link
    finally:
        engine.close()
    flow, *_ = make_flow(hall, tmp_path)
    flow.code_scanned(f"https://hall.example.gov.cn/m/{ticket_token}")
    assert flow.state is State.NOTICE and flow.texts.notice_text().startswith("没有找到这个办件")


def test_an_id_card_lists_its_cases_and_shows_each(hall, counter, tmp_path, record, clock):
    counter(HOUSEHOLD_MOVE, record.id_number)
    counter(TAX_INVOICES, record.id_number, documents=(0,))
    counter(TAX_INVOICES, with_check_character("11010519800101003"))  # someone else's
    flow, *_ = make_flow(hall, tmp_path)
    placed = card(hall, record, flow)
    assert placed.identity.case_hash == lookup_hash(
        open_keys(tmp_path / "person.key", hall_id=hall.spec.hall.id, zone=hall.spec.zone), record.id_number)
    flow.open_cases()
    assert flow.state is State.CASES and prompt(flow) == "请扫描受理回执上的二维码，或将身份证放在读卡区。"
    flow.card_placed(placed)
    assert flow.texts.cases_line() == "您近 90 天有 2 件办件，请点选查看。"
    assert flow.texts.case_choices() == [("20261125-0002", "发票领用", "20261125-0002 · 已受理"),
                                         ("20261125-0001", "户口迁入", "20261125-0001 · 已受理")]
    flow.choose_case("20261125-0002")
    assert flow.state is State.CASE
    view = flow.texts.case_view()
    assert view.matter == "发票领用" and dict(view.rows)["承诺办结"] == "当场办结"
    assert view.owed == () and view.owed_line == "材料已经齐全。"
    flow.back()
    assert flow.state is State.CASES and len(flow.texts.case_choices()) == 2
    flow.home()
    assert flow.state is State.IDLE


def test_an_unknown_card_a_refused_card_and_a_card_without_its_hash_are_said(hall, tmp_path, record):
    flow, *_ = make_flow(hall, tmp_path)
    flow.open_cases()
    flow.card_placed(card(hall, record, flow))
    assert flow.texts.case_choices() == [] and flow.texts.cases_line().startswith("没有查到您近 90 天的办件")
    flow.card_placed(CardOutcome(problem=Message("card.lifted")))
    assert flow.texts.cases_line() == "身份证没有读完。请将身份证平放在读卡区，读完再拿开。"
    without = identify(record, today=flow.today(), salt=hall.person_salt())  # the hall's key for cases not had
    flow.card_placed(CardOutcome(identity=without))
    assert flow.texts.cases_line() == "暂时无法用身份证查询办件，请扫描受理回执上的二维码。"
    assert flow.state is State.CASES


def test_the_idle_timeout_ends_a_visit_looking_at_a_case(hall, counter, tmp_path, record):
    link = counter(HOUSEHOLD_MOVE, record.id_number)
    flow, ticks, *_ = make_flow(hall, tmp_path, idle_timeout=60)
    flow.code_scanned(link)
    assert flow.state is State.CASE
    ticks.t += 60
    flow.tick()
    assert flow.state is State.IDLE and flow.errand.cases is None


def test_a_case_of_more_than_90_days_ago_is_no_longer_found_by_the_card(hall, counter, tmp_path, record, clock, spec,
                                                                        db):
    counter(TAX_INVOICES, record.id_number)
    engine = QueueEngine(spec, f"sqlite:///{db}", clock=clock)
    try:
        with engine.transaction() as session:
            case = cases.take_step(session, spec=spec, catalogue=load_catalogue(SAMPLE_HALL, spec), case_id=1,
                                   step="complete", job_no="0301", now=clock())
            from hall.matters.applicants import forget_lookup_hashes
            assert forget_lookup_hashes(session, hall_id=spec.hall.id, now=clock() + timedelta(days=90)) == 1
            assert case.person_hash is None
    finally:
        engine.close()
    flow, *_ = make_flow(hall, tmp_path)
    flow.open_cases()
    flow.card_placed(card(hall, record, flow))
    assert flow.texts.case_choices() == []


def test_a_remote_kiosk_finds_a_case_by_receipt_and_by_card_on_the_server(hall_server, tmp_path, record):
    token = hall_server.register("kiosk-cases")
    hall_server.start()
    desk = hall_server.staff("0301")
    opened = desk.post("/api/v1/matters", {"matter_code": HOUSEHOLD_MOVE, "id_number": record.id_number,
                                           "documents": [0]})
    assert opened.status_code == 201, opened.text
    with hall_server._engine() as engine:
        link = f"{hall_server.url}/m/{engine.signer.sign(LINK_PURPOSE, str(opened.json()['id']))}"
    hall = RemoteHall(hall_server.url, token, data_dir=tmp_path / "kiosk")
    try:
        flow, *_ = make_flow(hall, tmp_path, clock=hall_server.clock)
        flow.code_scanned(link)
        assert flow.state is State.CASE and flow.texts.case_view().number == opened.json()["number"]
        flow.done()
        flow.code_scanned(link[:-3] + "AAA")
        assert flow.state is State.NOTICE and flow.texts.notice_text().startswith("没有找到这个办件")
        flow.back()
        flow.open_cases()
        flow.card_placed(card(hall, record, flow))
        assert [n for n, _, _ in flow.texts.case_choices()] == [opened.json()["number"]]
    finally:
        hall.close()
