"""Supervision (电子监察) of open cases: their lights turning with the server's clock moved by
hand, on SQLite and PostgreSQL; and each turn told once through the hall's webhook (signed)
and its mail, to receivers the test starts, even when the webhook was down and the server
was killed -9 between the change and the send."""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from pathlib import Path

from tests.conftest import SAMPLE_HALL
from tests.hall.matters.receivers import SECRET
from tests.hall.matters.test_cases_api import FUND_WITHDRAWAL, HOUSEHOLD_MOVE, MATTERS, at
from tests.support.waiting import until


def light_of(who, case_id: int) -> str | None:
    return who.get(f"{MATTERS}/{case_id}").json()["light"]


def test_lights_turn_with_the_days_and_pauses_keep_theirs(login, clock, stored):
    sign_in = lambda: login("0301", counters=("3",), counter="3")  # noqa: E731 (once a day: sessions end)
    desk = sign_in()
    fund = desk.post(MATTERS, {"matter_code": FUND_WITHDRAWAL}).json()      # due Thu 26
    move = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()       # due Wed 2 December
    paused = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()
    assert desk.post(f"{MATTERS}/{paused['id']}/steps", {"step": "request_documents"}).status_code == 200
    assert [c["light"] for c in (fund, move, paused)] == ["yellow", "green", "green"]
    clock.now = at("2026-11-27")
    desk = sign_in()
    until(lambda: light_of(desk, fund["id"]) == "red", what="the fund case to turn red")
    assert (light_of(desk, move["id"]), light_of(desk, paused["id"])) == ("green", "green")
    clock.now = at("2026-12-01")
    desk = sign_in()
    until(lambda: light_of(desk, move["id"]) == "yellow", what="the move to turn yellow")
    clock.now = at("2026-12-03")
    desk = sign_in()
    until(lambda: light_of(desk, move["id"]) == "red", what="the move to turn red")
    assert light_of(desk, paused["id"]) == "green"   # its clock stands still while documents are owed
    assert [c["number"] for c in desk.get(MATTERS, params={"light": "red"}).json()] == [fund["number"],
                                                                                      move["number"]]
    lights = [json.loads(p) for (p,) in stored("select payload from events where kind = 'matter_light' order by id")]
    assert [(e["light"], e["numbers"], e["day"]) for e in lights] == [
        ("red", [fund["number"]], "2026-11-27"), ("yellow", [move["number"]], "2026-12-01"),
        ("red", [move["number"]], "2026-12-03")]


def test_a_turn_is_told_once_by_webhook_and_mail_even_across_a_kill_9(supervised_hall, receivers):
    webhook, mail = receivers
    server = supervised_hall
    desk = server.staff("0301")
    fund = desk.post(MATTERS, {"matter_code": FUND_WITHDRAWAL}).json()
    move = desk.post(MATTERS, {"matter_code": HOUSEHOLD_MOVE}).json()
    webhook.status = 503   # the webhook's side is down when the fund case turns red
    server.clock.now = at("2026-11-27")
    until(lambda: webhook.received, seconds=30, what="the webhook to be tried")
    until(lambda: len(mail.messages) == 1, seconds=30, what="the mail of the red light")
    until(lambda: server.rows("select id from matter_notices where channel = 'mail' and sent_at is not null"),
          seconds=30, what="the mail marked sent")
    server.kill()          # the webhook's notice is owed, claimed, unsent
    webhook.status = 200
    server.start()
    server.clock.now = at("2026-11-27", 11)   # past its retry
    [(headers, body)] = until(webhook.taken, seconds=30, what="the webhook's notice after the restart")
    notice = json.loads(body)
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hall-Signature"] == expected and headers["X-Hall-Notice"] == str(notice["id"])
    assert (notice["kind"], notice["light"], notice["case"]["number"], notice["case"]["due"]) == (
        "light", "red", fund["number"], "2026-11-26")
    assert [(t["role"], t["name"]) for t in notice["tell"]] == [
        ("responsible", "沈洁"), ("department_leader", "蒋平"), ("hall_leader", "中心主任 李华")]
    assert "id_number" not in body.decode() and "applicant" not in body.decode()
    [red] = mail.messages
    assert red["Subject"] == f"【红灯超期】办件 {fund['number']} 住房公积金提取（购房）"
    assert "蒋平" in red.get_content() and red["Message-ID"].startswith(f"<matter-notice-chengguan-")
    # The next turn: yellow for the move, told once more on each channel, and no more.
    server.clock.now = at("2026-12-01")
    until(lambda: len(webhook.taken()) == 2 and len(mail.messages) == 2, seconds=30, what="the yellow notices")
    yellow = json.loads(webhook.taken()[1][1])
    assert (yellow["light"], yellow["case"]["number"]) == ("yellow", move["number"])
    assert [t["role"] for t in yellow["tell"]] == ["responsible", "department_leader"]
    assert mail.messages[1]["Subject"].startswith("【黄灯预警】")
    marked = "select light, channel, attempts from matter_notices where sent_at is not null order by id"
    until(lambda: len(server.rows(marked)) == 4, seconds=30, what="every notice marked sent")
    assert server.rows(marked) == [("red", "webhook", 2), ("red", "mail", 1), ("yellow", "webhook", 1),
                                   ("yellow", "mail", 1)]
    assert server.rows("select count(*) from matter_notices") == [(4,)]


def test_a_supervision_file_that_cannot_be_used_stops_the_server(tmp_path):
    from tests.hall.test_main import hall as run_hall

    shutil.copy(SAMPLE_HALL, tmp_path / "hall.toml")
    (tmp_path / "supervision.toml").write_text(
        'yellow_days = 40\n[webhook]\nurl = "ftp://x"\nsecret_file = "/nonexistent"\n', encoding="utf-8")
    result = run_hall("serve", "--hall", str(tmp_path / "hall.toml"), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "line 1, yellow_days: 40 is not allowed" in result.stderr and "webhook.url" in result.stderr
    assert Path(tmp_path / "data" / "hall.db").exists() is False
