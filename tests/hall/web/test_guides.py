"""The hall's public information and a case's pages in Chromium: the guides, the
responsibility list and the contact table at a phone's size in three languages, with no sign
in, nothing cut or wider than the phone, and no accessibility violation; the acceptance
receipt printed from the browser, its QR code read back from the screen to the progress
page, which names no person; a forged progress code refused."""
from __future__ import annotations

import pytest
import requests
import zxingcpp
from PIL import Image

from hall.schemas import Role
from tests.hall.web.conftest import log_in, overflowing, screenshot
from tests.support.accessibility import violations

MOVE = "140830-GA-0302"   # 户口迁入: 3 documents, promised 5 working days
PUBLIC = ["/guides", f"/guides/{MOVE}", "/guides/responsibilities", "/guides/contacts"]


@pytest.mark.parametrize("language", ["zh_CN", "zh_TW", "en"])
def test_the_public_pages_read_on_a_phone_without_signing_in(live, open_page, language):
    expected = {"zh_CN": ("户口迁入", "县公安局", "吴敏", "0359-3023390"),
                "zh_TW": ("戶口遷入", "縣公安局", "吴敏", "0359-3023390"),
                "en": ("Moving a household registration in", "County Public Security Bureau", "吴敏",
                       "0359-3023390")}[language]
    for path in PUBLIC:
        page = open_page("phone", f"{live.url}{path}", language)
        assert page.url.endswith(path)   # no redirect to a login
        text = page.inner_text("main")
        if path != "/guides/contacts":
            assert expected[0] in text, (path, text[:200])
        if path in (f"/guides/{MOVE}", "/guides/contacts"):
            assert expected[1] in text and expected[3] in text
        if path in (f"/guides/{MOVE}", "/guides/responsibilities"):
            assert expected[2] in text
        assert overflowing(page, fixed=False) == [], path
        assert violations(page) == [], path
        screenshot(page, f"guides{path.replace('/', '-')}-{language}", full_page=True)


def test_every_matter_and_department_is_published(live):
    guides = requests.get(f"{live.url}/guides", timeout=10).text
    contacts = requests.get(f"{live.url}/guides/contacts", timeout=10).text
    for entry in live.hall.catalogue.entries:
        assert f'href="/guides/{entry.matter.code}"' in guides
        assert requests.get(f"{live.url}/guides/{entry.matter.code}", timeout=10).status_code == 200
    for department in live.hall.catalogue.departments:
        assert department.name.zh_CN in contacts and department.supervision_phone in contacts
    for bad in ("140830-XX-0000", "a.b", "%00", "x" * 64):
        answer = requests.get(f"{live.url}/guides/{bad}", timeout=10)
        assert answer.status_code == 404 and "没有这个事项" in answer.text, bad


def test_the_receipt_prints_and_its_qr_opens_the_progress_page(live, login, open_page, clock):
    desk = login("0301", counters=("3",), counter="3")
    case = desk.post("/api/v1/matters", {"matter_code": MOVE, "id_number": "11010519491231002X",
                                         "documents": [0, 1]}).json()
    assert desk.post(f"/api/v1/matters/{case['id']}/steps", {"step": "request_documents"}).status_code == 200
    page = open_page("console", f"{live.url}/console/matters/{case['id']}/receipt")
    log_in(page, "0301", then=f"/console/matters/{case['id']}/receipt")
    page.wait_for_selector("main.receipt")   # the login page's own address ends the same way
    text = page.inner_text("main")
    assert case["number"] in text and "2026-12-02" in text and "1101**********002X" in text
    assert "居民身份证" in text and "房屋产权证明或租赁合同" in text
    assert violations(page) == []
    shot = screenshot(page, "receipt", full_page=True)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.receipt')).borderTopWidth") == "0px"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    screenshot(page, "receipt-print", full_page=True)
    assert len(page.pdf(format="A5")) > 1000
    [code] = zxingcpp.read_barcodes(Image.open(shot))
    assert code.text.startswith(f"{live.url}/m/")
    progress = open_page("phone", code.text)
    shown = progress.inner_text("main")
    assert case["number"] in shown and "待补正材料" in shown and "房屋产权证明或租赁合同" in shown
    assert "002X" not in progress.content() and "1101" not in shown and "0301" not in shown
    assert overflowing(progress, fixed=False) == [] and violations(progress) == []
    screenshot(progress, "progress", full_page=True)
    english = open_page("phone", code.text, "en")
    assert "Waiting for your documents" in english.inner_text("main")


def test_a_forged_or_foreign_progress_code_and_a_receipt_without_signing_in(live, login):
    desk = login("0301", counters=("3",), counter="3")
    case = desk.post("/api/v1/matters", {"matter_code": MOVE}).json()
    receipt = requests.get(f"{live.url}/console/matters/{case['id']}/receipt", allow_redirects=False, timeout=10)
    assert receipt.status_code == 303 and "/console?next=" in receipt.headers["location"]
    token = live.hall.signer.sign("matter", str(case["id"]))
    assert requests.get(f"{live.url}/m/{token}", timeout=10).status_code == 200
    forged = [live.hall.signer.sign("ticket", str(case["id"])), f"{case['id'] + 1}.{token.split('.')[1]}", "1.",
              "garbage", live.hall.signer.sign("matter", "99999"), live.hall.signer.sign("matter", "x")]
    for bad in forged:
        answer = requests.get(f"{live.url}/m/{bad}", timeout=10)
        assert answer.status_code == 404 and "无法识别这个办件码" in answer.text, bad
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get("/console/matters/99999/receipt").status_code == 404
