"""A citizen who left a phone number for their case is told when documents are owed and when
it is completed, through the hall's webhook (signed) and its mail to the SMS gateway's address,
once per step, on SQLite and PostgreSQL, with a hall server in its own process: even when it
was killed -9 between the step and the send. The number is shown masked, removed from the case
in the transaction that closes it and from each notice once it is sent, and never written to
the event log (which goes up to the county), the request digests or the server's log."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import requests

from tests.conftest import OPEN_MORNING
from tests.hall.matters.receivers import CITIZENS_MAIL, SECRET
from tests.hall.matters.test_cases_api import HOUSEHOLD_MOVE, MATTERS, TAX_INVOICES, step
from tests.support.waiting import until

PHONE = "13812345678"
HOLDING_NUMBERS = ("matter_cases", "matter_notices", "matter_steps", "events", "idempotency_keys")


def told(webhook) -> list[dict]:
    """The citizens' notices the webhook took, in the order it took them."""
    bodies = [json.loads(body) for _headers, body in webhook.taken()]
    return [body for body in bodies if body["kind"] == "citizen"]


def all_sent(server, count: int) -> bool:
    return server.rows("select count(*) from matter_notices where sent_at is not null") == [(count,)]


def test_the_citizen_is_told_once_of_documents_owed_and_of_completion(supervised_hall, receivers):
    webhook, mail = receivers
    server = supervised_hall
    desk = server.staff("0301")
    opened = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "documents": [0, 1], "phone": "+86 13812345678"})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["phone"], case["notices"]) == ("138****5678", [])
    assert server.rows("select phone from matter_cases") == [(PHONE,)]
    listed = desk.get(MATTERS, params={"open": True})
    assert [c["phone"] for c in listed.json()] == ["138****5678"] and PHONE not in listed.text
    assert PHONE not in desk.get(f"{MATTERS}/{case['id']}").text

    paused = step(desk, case["id"], "request_documents", note="请补交房屋产权证明原件")
    assert [(n["step"], n["channel"]) for n in paused.json()["notices"]] == [
        ("request_documents", "webhook"), ("request_documents", "mail")]
    [owed] = until(lambda: told(webhook), seconds=30, what="the webhook's notice of the documents owed")
    [(headers, body)] = webhook.taken()
    assert headers["X-Hall-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hall-Notice"] == str(owed["id"])
    assert (owed["phone"], owed["step"], owed["case"]["number"], owed["owed"], owed["note"]) == (
        PHONE, "request_documents", case["number"], ["房屋产权证明或租赁合同"], "请补交房屋产权证明原件")
    assert owed["progress"].startswith(f"{server.url}/m/")
    assert owed["text"].startswith(f"【城关县政务服务中心】您的办件{case['number']}（户口迁入）需补正材料：房屋产权证明或租赁合同")
    progress = requests.get(owed["progress"], timeout=10)
    assert progress.status_code == 200 and case["number"] in progress.text
    [sms] = until(lambda: mail.messages, seconds=30, what="the mail of the documents owed")
    assert (sms["To"], sms["Subject"]) == (CITIZENS_MAIL, f"{PHONE} 【补正通知】办件 {case['number']}")
    assert owed["progress"] in sms.get_content()
    until(lambda: all_sent(server, 2), seconds=30, what="both notices marked sent")
    assert server.rows("select phone from matter_notices") == [(None,), (None,)]   # sent: the number goes
    assert server.rows("select phone from matter_cases") == [(PHONE,)]             # open: the case keeps it
    assert all(n["sent_at"] for n in desk.get(f"{MATTERS}/{case['id']}").json()["notices"])

    assert step(desk, case["id"], "resume", documents=[2]).json()["state"] == "in_progress"
    assert server.rows("select count(*) from matter_notices") == [(2,)]   # the documents' coming is not told
    done = step(desk, case["id"], "complete", note="已落户").json()
    assert (done["state"], done["phone"]) == ("completed", None)
    assert [(n["step"], n["sent_at"] is None) for n in done["notices"]][2:] == [("complete", True), ("complete", True)]
    assert server.rows("select phone from matter_cases") == [(None,)]   # removed with the closing step
    until(lambda: len(told(webhook)) == 2 and len(mail.messages) == 2, seconds=30, what="the notices of completion")
    completed = told(webhook)[1]
    assert (completed["phone"], completed["step"], completed["owed"]) == (PHONE, "complete", [])
    assert completed["text"].startswith(f"【城关县政务服务中心】您的办件{case['number']}（户口迁入）已办结（已落户）")
    assert mail.messages[1]["Subject"] == f"{PHONE} 【办结通知】办件 {case['number']}"
    until(lambda: all_sent(server, 4), seconds=30, what="every notice marked sent")
    assert (len(webhook.received), len(told(webhook)), len(mail.messages)) == (2, 2, 2)   # once each
    for table in HOLDING_NUMBERS:
        assert not any(PHONE in repr(row) for row in server.rows(f"select * from {table}")), table
    assert PHONE not in server.log.read_text()


def test_a_number_is_not_kept_for_a_case_not_accepted_nor_past_its_return(supervised_hall):
    server = supervised_hall
    desk = server.staff("0301")
    refused = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE, "refused_reason": "不属于本县户籍管辖",
                                  "phone": "0359-3023301"}).json()
    returned = desk.post(MATTERS, {"matter_code": TAX_INVOICES, "phone": "0359-3023301"}).json()
    assert (refused["phone"], returned["phone"]) == (None, "035****3301")
    assert step(desk, returned["id"], "return", note="申请人撤回").json()["phone"] is None
    assert server.rows("select phone from matter_cases order by id") == [(None,), (None,)]
    assert server.rows("select count(*) from matter_notices") == [(0,)]   # neither is told to citizens


def test_a_notice_owed_when_the_server_is_killed_before_its_send_arrives_once_after(supervised_hall, receivers):
    webhook, mail = receivers
    server = supervised_hall
    desk = server.staff("0301")
    case = desk.post(MATTERS, {"matter_code": TAX_INVOICES, "phone": PHONE}).json()
    webhook.status = 503   # the SMS gateway is down when the case completes
    assert step(desk, case["id"], "complete").json()["phone"] is None
    until(lambda: webhook.received, seconds=30, what="the webhook to be tried")
    until(lambda: server.rows("select channel from matter_notices where sent_at is not null") == [("mail",)],
          seconds=30, what="the mail marked sent")
    server.kill()          # the webhook's notice is owed, claimed, unsent
    assert server.rows("select channel, phone from matter_notices where sent_at is null") == [("webhook", PHONE)]
    assert server.rows("select phone from matter_cases") == [(None,)]
    webhook.status = 200
    server.start()
    server.clock.now = OPEN_MORNING + timedelta(hours=1)   # past its retry
    [completed] = until(lambda: told(webhook), seconds=30, what="the notice after the restart")
    assert (completed["phone"], completed["step"], completed["case"]["number"]) == (PHONE, "complete",
                                                                                    case["number"])
    until(lambda: all_sent(server, 2), seconds=30, what="both notices marked sent")
    assert server.rows("select channel, attempts, phone from matter_notices order by id") == [
        ("webhook", 2, None), ("mail", 1, None)]
    assert (len(told(webhook)), len(mail.messages)) == (1, 1)


def test_a_notice_whose_channel_the_hall_no_longer_names_waits_with_the_reason(supervised_hall, receivers):
    webhook, _mail = receivers
    server = supervised_hall
    desk = server.staff("0301")
    case = desk.post(MATTERS, {"matter_code": TAX_INVOICES, "phone": PHONE}).json()
    webhook.status = 503
    assert step(desk, case["id"], "complete").status_code == 200
    unsent = "select last_error from matter_notices where channel = 'webhook' and sent_at is null"
    until(lambda: "answered 503" in str(server.rows(unsent)), seconds=30, what="the webhook to be tried")
    server.kill()
    supervision = Path(server.args["hall_file"]).parent / "supervision.toml"
    supervision.write_text(supervision.read_text(encoding="utf-8").replace("citizens = true", "citizens = false"),
                           encoding="utf-8")
    webhook.status = 200
    server.start()
    server.clock.now = OPEN_MORNING + timedelta(hours=1)   # past its retry
    until(lambda: server.rows(unsent) == [("supervision.toml no longer names webhook for citizen notices",)],
          seconds=30, what="the notice to wait with its reason")
    assert told(webhook) == []
