"""A case's progress for its applicant at a kiosk, over real HTTP on SQLite and PostgreSQL:
by the link a receipt's QR code holds (read off the receipt page the console prints), and by
the ID card's hash under the hall's key for cases, made as the kiosk makes it; forged tokens
and unknown hashes are a clear 404 or an empty list, never a server error, and nothing in an
answer names the applicant."""
from __future__ import annotations

import re

import pytest
import qrcode
import qrcode.image.svg
import requests

from hall.matters.cases import LINK_PURPOSE
from hall.schemas import DeviceKind
from kiosk.identity import number_hash

PROGRESS = "/api/v1/matter-progress"
ID_NUMBER = "11010519491231002X"
HOUSEHOLD_MOVE = "140830-GA-0302"  # 户口迁入: promised 5 working days, 3 documents


@pytest.fixture
def desk(login):
    return login("0301", counters=("3",), counter="3")


@pytest.fixture
def case(desk) -> dict:
    opened = desk.post("/api/v1/matters", {"matter_code": HOUSEHOLD_MOVE, "id_number": ID_NUMBER, "documents": [0]})
    assert opened.status_code == 201, opened.text
    return opened.json()


def receipt_link(live, desk, case_id: int) -> str:
    """The progress link whose QR code the case's receipt prints: the code drawn on the
    receipt page the console prints is the one this link makes."""
    link = f"{live.url}/m/{live.hall.signer.sign(LINK_PURPOSE, str(case_id))}"
    page = desk.http.get(f"{live.url}/console/matters/{case_id}/receipt", timeout=10)
    assert page.status_code == 200, page.text
    drawn = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    assert re.search(r'<path[^>]* d="([^"]+)"', drawn.to_string(encoding="unicode"))[1] in page.text
    return link


def test_a_scanned_receipt_shows_the_state_due_day_and_documents_owed_and_no_one_s_name(live, kiosk, desk, case):
    link = receipt_link(live, desk, case["id"])
    answer = kiosk.get(f"{PROGRESS}/by-link/{link.rsplit('/m/', 1)[1]}")
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["number"] == case["number"] and shown["state"] == "accepted"
    assert shown["due"] == case["due"] == "2026-12-02" and shown["accepted_on"] == "2026-11-25"
    assert shown["matter_name"]["zh_CN"] == "户口迁入"
    assert [d["zh_CN"] for d in shown["owed"]] == [d["name"]["zh_CN"] for d in case["documents"][1:]]
    assert set(shown) == {"number", "matter_code", "matter_name", "state", "promised_days", "accepted_on", "due",
                          "closed_on", "late", "owed"}
    assert ID_NUMBER[-4:] not in answer.text and "0301" not in answer.text  # neither applicant nor staff
    step = desk.post(f"/api/v1/matters/{case['id']}/steps", {"step": "start", "documents": [1, 2]})
    assert step.status_code == 200, step.text
    shown = kiosk.get(f"{PROGRESS}/by-link/{link.rsplit('/m/', 1)[1]}").json()
    assert shown["state"] == "in_progress" and shown["owed"] == []


def test_forged_and_unknown_links_are_not_found(live, kiosk, case, serve):
    token = live.hall.signer.sign(LINK_PURPOSE, str(case["id"]))
    ticket_token = serve()["token"]  # a ticket's link: signed, but for another purpose
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                   live.hall.signer.sign(LINK_PURPOSE, "999999"), live.hall.signer.sign(LINK_PURPOSE, "abc"),
                   live.hall.signer.sign(LINK_PURPOSE, "0"), ticket_token, "x", "%00", "1.", "a" * 80):
        answer = kiosk.get(f"{PROGRESS}/by-link/{requests.utils.quote(forged, safe='')}")
        assert answer.status_code == 404, (forged, answer.text)
        assert answer.json()["error"] == "matter_refused" and answer.json()["reason"] == "not_found"
    too_long = kiosk.get(f"{PROGRESS}/by-link/{'a' * 81}")
    assert too_long.status_code == 422 and too_long.json()["error"] == "invalid"


def test_an_id_card_finds_its_cases_by_the_hash_the_kiosk_makes(live, kiosk, desk, case, stored):
    key = kiosk.get(f"{PROGRESS}/key")
    assert key.status_code == 200 and key.headers["Cache-Control"] == "no-store"
    made = number_hash(ID_NUMBER, bytes.fromhex(key.json()["key"]))  # as the kiosk makes it: the number stays
    assert stored("SELECT person_hash FROM matter_cases") == [(made,)]  # the hash the counter kept
    other = desk.post("/api/v1/matters", {"matter_code": "140830-SW-0701", "id_number": ID_NUMBER})
    assert other.status_code == 201
    found = kiosk.post(f"{PROGRESS}/of-person", {"person_hash": made})
    assert found.status_code == 200, found.text
    assert [c["number"] for c in found.json()] == [other.json()["number"], case["number"]]  # the latest first
    assert ID_NUMBER[-4:] not in found.text
    unknown = kiosk.post(f"{PROGRESS}/of-person", {"person_hash": number_hash("110105194912310038", bytes(32))})
    assert unknown.status_code == 200 and unknown.json() == []
    for bad in ({"person_hash": ID_NUMBER}, {"person_hash": made.upper()}, {"id_number": ID_NUMBER}, {}):
        refused = kiosk.post(f"{PROGRESS}/of-person", bad)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid", bad


def test_only_kiosks_ask(live, add_device, desk, case):
    counter = add_device("counter-03", DeviceKind.COUNTER, counters=("3",))
    token = live.hall.signer.sign(LINK_PURPOSE, str(case["id"]))
    for who in (counter, desk):
        assert who.get(f"{PROGRESS}/key").status_code == 403
        assert who.get(f"{PROGRESS}/by-link/{token}").status_code == 403
    anonymous = requests.get(f"{live.url}{PROGRESS}/by-link/{token}", timeout=10)
    assert anonymous.status_code == 401
