"""The export of a period's ratings for the provincial platform, over HTTP on both databases:
the CSV (UTF-8 with BOM) and XLSX rows read back and compared with the database read behind
the server's back; the levels and times the page draws; what a supervisor may ask."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from hall.models import ServedTicket
from hall.ratings import callbacks, cases, exports, records
from hall.ratings.terms import CallOutcome, CaseStep, Channel
from hall.schemas import Role
from tests.conftest import ROOT, SHANGHAI
from tests.hall.ratings.month import serve

DAY = date(2026, 11, 25)
TRICKY = '=HYPERLINK("http://x")，"引号", 逗号'


@pytest.fixture
def rated(live, clock):
    """Four transactions of today: rated 5 at counter 1; rated 2 with two reasons and a
    comment a spreadsheet would run; not rated at counter 3; rated late on the phone page."""
    engine = live.hall.engine
    serve(engine, clock, day=DAY, at=(9, 0), counter="1", service="social_security", job_no="0101", wait=3,
          service_minutes=4, level=5)
    serve(engine, clock, day=DAY, at=(9, 30), counter="3", service="household", job_no="0301", wait=6,
          service_minutes=9, level=2, reasons=("slow", "other"), comment=TRICKY)
    serve(engine, clock, day=DAY, at=(10, 30), counter="3", service="household", job_no="0301", wait=1,
          service_minutes=2, level=None)
    late = serve(engine, clock, day=DAY, at=(11, 0), counter="3", service="household", job_no="0301", wait=2,
                 service_minutes=3, level=None)
    clock.now += timedelta(minutes=30)
    with engine.transaction() as session:
        records.end_prompts(session, spec=engine.spec, now=clock())
        records.rate(session, spec=engine.spec, ticket_id=late.ticket_id, level=4, reasons=[], comment="",
                     channel=Channel.PHONE_PAGE, identified=False, now=clock())


def stored(db_url: str) -> list[dict]:
    """The ratings as the database holds them, with their tickets' numbers and days."""
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "select r.*, t.number, s.day as served_day from ratings r join tickets t on t.id = r.ticket_id "
            "join served_tickets s on s.ticket_id = r.ticket_id order by r.id")).mappings().all()
    engine.dispose()
    return [dict(r) for r in rows]


def expected(row: dict) -> list:
    reasons = {"slow": "办事效率低、等候时间长", "other": "其他", "": ""}
    day = row["served_day"] if isinstance(row["served_day"], date) else date.fromisoformat(row["served_day"])
    rated_at = row["rated_at"] if not isinstance(row["rated_at"], str) else None
    return [f"chengguan-{day:%Y%m%d}-{row['number']}", row["service"], {"social_security": "社会保险",
            "household": "户籍办理"}.get(row["service"]), row["department"], row["counter"], row["staff_job_no"],
            row["level"], "；".join(reasons[c] for c in row["reasons"].split(",")), row["comment"],
            {"counter": "3", "phone_page": "2"}[row["channel"]], rated_at, int(row["identified"]),
            int(row["set_aside"])]


def test_the_csv_and_xlsx_rows_are_the_database_rows(live, rated, login, db_url):
    boss = login("9001", role=Role.SUPERVISOR, counters=())
    rows = stored(db_url)
    assert [r["level"] for r in rows] == [5, 2, 4]

    answer = boss.get("/api/v1/ratings/export", params={"start": DAY, "end": DAY})
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="ratings-chengguan-20261125-20261125.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    header, *lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert tuple(header) == exports.FIELDS
    assert len(lines) == len(rows)

    sheet = boss.get("/api/v1/ratings/export", params={"start": DAY, "end": DAY, "format": "xlsx"})
    assert sheet.status_code == 200 and sheet.headers["content-type"] == exports_type()
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    header_x, *cells = [[c.value for c in r] for r in book.active.iter_rows()]
    assert tuple(header_x) == exports.FIELDS
    assert [c.data_type for c in book.active[3]][8] == "s"   # the comment is text, not a formula

    for row, line, values in zip(rows, lines, cells):
        want = expected(row)
        time_shown = values[10]
        assert line[10] == time_shown and len(time_shown) == 19 and time_shown.startswith("2026-11-25 ")
        want[10] = time_shown
        assert values == [v if v != "" else None for v in want], row
        as_text = [str(v) for v in want]
        if row["comment"] == TRICKY:   # the CSV keeps a formula inert with an apostrophe
            as_text[8] = "'" + TRICKY
        assert line == as_text, row
    assert [v[6] for v in cells] == [5, 2, 4] and cells[1][7] == "办事效率低、等候时间长；其他"


def exports_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_levels_and_times_of_a_day(live, rated, login):
    boss = login("9001", role=Role.SUPERVISOR, counters=())
    levels = boss.get("/api/v1/ratings/levels", params={"start": DAY, "end": DAY}).json()
    assert levels == {"counts": {"5": 1, "4": 1, "3": 0, "2": 1, "1": 0}, "not_rated": 1, "awaiting": 0,
                      "set_aside": 0}
    times = boss.get("/api/v1/ratings/durations", params={"start": DAY, "end": DAY}).json()
    assert times["waits"] == [3, 1, 0, 0, 0, 0, 0, 0] and times["services"] == [0, 3, 1, 0, 0, 0, 0]


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-11-26", "end": "2026-11-25"}, "start"), ({"start": "2025-11-24", "end": "2026-11-25"}, "end"),
    ({"format": "pdf"}, None), ({"start": "2026-02-30"}, None)])
def test_a_bad_period_or_format_is_a_4xx_with_its_reason(live, login, params, field):
    boss = login("9001", role=Role.SUPERVISOR, counters=())
    for path in ("/api/v1/ratings/export", "/api/v1/ratings/levels", "/api/v1/ratings/durations"):
        if "format" in params and path != "/api/v1/ratings/export":
            continue
        answer = boss.get(path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["error"] == "invalid" and (field is None or field in answer.text), answer.text


def documented_fields() -> list[str]:
    """The field names of docs/ratings.md's export table, in its order."""
    text_ = (ROOT / "docs" / "ratings.md").read_text(encoding="utf-8")
    section = text_.split("## Export for the provincial platform")[1].split("\n## ")[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


# 评价渠道 (pf) as docs/ratings.md gives it: 3 the counter's screen or keypad, 4 a kiosk, 2 the
# ticket's phone page, 6 the call-back.
DOCUMENTED_PF = {"counter": "3", "keypad": "3", "kiosk": "4", "phone_page": "2", "callback": "6"}


@pytest.fixture
def every_channel(live, clock):
    """A rating in each channel, one by nobody named (completed before ratings were kept) and
    one bad one whose appeal was upheld."""
    engine = live.hall.engine
    spec = engine.spec
    counter = serve(engine, clock, day=DAY, at=(9, 0), counter="1", service="social_security", job_no="0101",
                    wait=3, service_minutes=4, level=2, reasons=("attitude",), comment="@窗口")
    keyed = serve(engine, clock, day=DAY, at=(9, 20), counter="3", service="household", job_no="0301", wait=1,
                  service_minutes=2, level=None)
    with engine.transaction() as session:
        records.rate(session, spec=spec, ticket_id=keyed.ticket_id, level=5, reasons=[], comment="", identified=True,
                     channel=Channel.KEYPAD, now=clock(), counters=("3",))
    late = [serve(engine, clock, day=DAY, at=(10, 0 + 10 * i), counter="4", service="real_estate", job_no="0401",
                  wait=1, service_minutes=2, level=None) for i in range(3)]
    unnamed = engine.issue_ticket("household")
    engine.call_next("3")
    engine.complete("3")
    clock.now += timedelta(minutes=30)
    with engine.transaction() as session:
        records.end_prompts(session, spec=spec, now=clock())
        for done, channel in zip(late, (Channel.KIOSK, Channel.PHONE_PAGE)):
            records.rate(session, spec=spec, ticket_id=done.ticket_id, level=3, reasons=[], comment="",
                         identified=False, channel=channel, now=clock())
        records.rate(session, spec=spec, ticket_id=unnamed.id, level=4, reasons=[], comment="", identified=False,
                     channel=Channel.KIOSK, now=clock())
        called = session.get(ServedTicket, late[2].ticket_id)
        called.callback_due = True   # chosen for a call-back, whatever the share
        callbacks.record_call(session, spec=spec, ticket_id=late[2].ticket_id, outcome=CallOutcome.ANSWERED,
                              job_no="9001", now=clock(), level=1, reasons=["other"], comment="=1+1")
        [case] = [c for c in cases.cases(session, spec=spec, now=clock()) if c.case.ticket_id == counter.ticket_id]
        for step in (CaseStep.APPEAL, CaseStep.REVIEW, CaseStep.UPHOLD):
            cases.take_step(session, spec=spec, case_id=case.case.id, step=step, note="复核", job_no="9001",
                            now=clock())


def test_every_field_has_its_documented_name_and_the_databases_value(live, every_channel, login, db_url, spec):
    rows = stored(db_url)
    assert {r["channel"] for r in rows} == set(DOCUMENTED_PF) and len(rows) == 6
    names = {s.code: s.name.zh_CN for s in spec.services}
    reasons = {r.code: r.name.zh_CN for r in spec.ratings.reasons}
    want = []
    for row in rows:
        day = row["served_day"] if isinstance(row["served_day"], date) else date.fromisoformat(row["served_day"])
        rated_at = row["rated_at"] if isinstance(row["rated_at"], datetime) else datetime.fromisoformat(row["rated_at"])
        want.append({
            "projectNo": f"chengguan-{day:%Y%m%d}-{row['number']}", "taskCode": row["service"],
            "taskName": names[row["service"]], "deptName": row["department"], "windowNo": row["counter"],
            "handleUserCode": row["staff_job_no"] or "", "alternate": row["level"],
            "appraisald": "；".join(reasons[c] for c in row["reasons"].split(",") if c),
            "writingEvaluation": row["comment"], "pf": DOCUMENTED_PF[row["channel"]],
            "assessTime": f"{rated_at.replace(tzinfo=timezone.utc).astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}",
            "isRealName": int(row["identified"]), "appealUpheld": int(row["set_aside"])})
    assert [w["handleUserCode"] for w in want].count("") == 1 and sum(w["appealUpheld"] for w in want) == 1

    boss = login("9001", role=Role.SUPERVISOR, counters=())
    text_ = boss.get("/api/v1/ratings/export", params={"start": DAY, "end": DAY}).content.decode("utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(text_)))
    assert header == documented_fields() == list(exports.FIELDS)
    inert = {"@窗口": "'@窗口", "=1+1": "'=1+1"}
    assert [dict(zip(header, line)) for line in lines] == [
        {k: inert.get(v, v) if k == "writingEvaluation" else str(v) for k, v in w.items()} for w in want]

    sheet = boss.get("/api/v1/ratings/export", params={"start": DAY, "end": DAY, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    header_x, *cells = [[c.value for c in r] for r in book.active.iter_rows()]
    assert header_x == documented_fields()
    assert [dict(zip(header_x, values)) for values in cells] == [
        {k: None if v == "" else v for k, v in w.items()} for w in want]
