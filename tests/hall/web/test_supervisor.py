"""The supervisor's page in Chromium on a month of ratings: its figures and charts against
counts made by hand from the ratings given, its layout at 1366×768 and at 200 % zoom in each
language, nothing fetched from elsewhere, and the follow-up of cases and call-backs done on
the page, checked in the database."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from hall import accounts
from hall.models import Rating, RatingCase
from hall.ratings import callbacks, cases, records
from hall.ratings.figures import SERVICE_EDGES, WAIT_EDGES
from hall.ratings.terms import CaseStep
from hall.schemas import Role
from tests.conftest import SHANGHAI
from tests.support.api_clients import PASSWORD
from tests.hall.ratings.month import DESKS, month, serve
from tests.hall.web.conftest import LANGUAGES, SCREENSHOTS, log_in, overflowing

NAMES = {"0101": "张伟", "0301": "李娜", "0401": "刘洋", "0601": "陈静", "0701": "杨帆",
         "0801": "赵磊", "9001": "周主任"}
DAYS = [date(2026, 11, d) for d in range(2, 26) if date(2026, 11, d).weekday() < 5]
TODAY = date(2026, 11, 25)
CSP_WATCH = ("window.violations = []; document.addEventListener('securitypolicyviolation', "
             "(e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture
def hall_month(live, clock):
    """November 2026 until Wednesday the 25th: two citizens a day at each of six desks; the
    bad ratings of the first two weeks followed up and closed but two, one appeal upheld; two
    citizens of today left a number for the call-back."""
    engine = live.hall.engine
    with engine.transaction() as session:
        for job_no, name in NAMES.items():
            role = Role.SUPERVISOR if job_no == "9001" else Role.STAFF
            counters = [] if role is Role.SUPERVISOR else [c for c, _, j in DESKS if j == job_no]
            accounts.add_staff(session, hall_id=engine.spec.hall.id, spec=engine.spec, job_no=job_no, name=name,
                               role=role, counters=counters, password=PASSWORD, now=datetime.now(SHANGHAI))
    done = month(engine, clock, days=DAYS)
    clock.now = datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
    phones = minute = 0
    while phones < 2:   # today's citizens chosen for a call-back who did not rate leave a number
        minute += 5
        last = serve(engine, clock, day=TODAY, at=(16, minute), counter="7", service="taxation", job_no="0701",
                     wait=3, service_minutes=4, level=None)
        done.append(last)
        with engine.transaction() as session:
            records.end_prompts(session, spec=engine.spec, now=clock() + timedelta(minutes=2))
            if records.status(session, spec=engine.spec, ticket_id=last.ticket_id).callback_offered:
                callbacks.leave_phone(session, spec=engine.spec, ticket_id=last.ticket_id, phone=f"1380013800{phones}",
                                      now=clock())
                phones += 1
    clock.now = datetime(2026, 11, 25, 16, 40, tzinfo=SHANGHAI)
    set_aside = None
    with engine.transaction() as session:
        found = cases.cases(session, spec=engine.spec, now=clock(), limit=1000)
        early = [c for c in found if c.day < date(2026, 11, 16)]
        for n, record in enumerate(early[2:]):
            steps = ((CaseStep.APPEAL, CaseStep.REVIEW, CaseStep.UPHOLD) if n == 0 else
                     (CaseStep.VERIFY, CaseStep.RECTIFY, CaseStep.CALLBACK, CaseStep.CLOSE))
            for step in steps:
                cases.take_step(session, spec=engine.spec, case_id=record.case.id, step=step, note="已处理",
                                job_no="9001", now=clock())
            if n == 0:
                set_aside = record.rating.ticket_id
    return {"done": done, "set_aside": set_aside, "overdue": [c.case.id for c in early[:2]]}


def by_hand(done, set_aside, key) -> dict[str, tuple]:
    """(transactions, rated, satisfied, bad, not rated) per group, from the ratings given."""
    out: dict[str, list[int]] = {}
    for d in done:
        row = out.setdefault(key(d), [0, 0, 0, 0, 0])
        row[0] += 1
        if d.ticket_id == set_aside:
            continue
        if d.level is None:
            row[4] += 1
        else:
            row[1] += 1
            row[2] += d.level >= 3
            row[3] += d.level <= 2
    return {k: tuple(v) for k, v in out.items()}


def percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def buckets(values, edges) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[sum(v >= e for e in edges)] += 1
    return counts


def supervisor_page(browser, url: str, *, language="zh_CN", size=(1366, 768), scale=1):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=scale,
                                  locale=LANGUAGES[language])
    context.add_init_script(CSP_WATCH)
    elsewhere = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                  else (elsewhere.append(route.request.url), route.abort()))
    page = context.new_page()
    page.goto(f"{url}/supervisor")
    log_in(page, "9001", then="/supervisor")
    page.wait_for_function("() => document.body.dataset.loaded && document.querySelectorAll('#figure-rows tr').length")
    return context, page, elsewhere


def chart_values(page, chart: str) -> list:
    return page.evaluate("(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().series"
                         ".map((s) => s.data.map((d) => (d !== null && typeof d === 'object') ? d.value : d))", chart)


def test_the_page_is_for_supervisors_only(live, login):
    answer = requests.get(f"{live.url}/supervisor", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/console?next=/supervisor"
    clerk = login("0301", counters=("3",))
    refused = clerk.get("/supervisor", headers={"Accept-Language": "en"})
    assert refused.status_code == 403 and "for supervisors" in refused.text
    for code in ("/api/v1/ratings/levels", "/api/v1/ratings/durations", "/api/v1/ratings/export"):
        assert clerk.get(code).status_code == 403, code
    assert login("9001", role=Role.SUPERVISOR, counters=()).get("/supervisor").status_code == 200
    assert login("9002", role=Role.ADMIN, counters=()).get("/supervisor").status_code == 200


def test_the_figures_and_charts_are_the_ratings_counted_by_hand(live, hall_month, browser):
    done, set_aside = hall_month["done"], hall_month["set_aside"]
    context, page, elsewhere = supervisor_page(browser, live.url)
    try:
        # This month (1 to 25 November), per staff member, the weakest first.
        assert (page.input_value("#from"), page.input_value("#to")) == ("2026-11-01", "2026-11-25")
        expected = by_hand(done, set_aside, lambda d: d.job_no)
        rows = page.eval_on_selector_all("#figure-rows tr", "(rows) => rows.map((r) => [r.dataset.key, "
                                         "...[...r.cells].map((c) => c.textContent)])")
        assert {r[0] for r in rows} == set(expected)
        for key, name, transactions, rated, satisfaction, bad, not_rated, flag in rows:
            n, r, satisfied, b, nr = expected[key]
            assert name == f"{NAMES[key]}（{key}）"
            assert (transactions, rated, satisfaction, bad, not_rated) == (
                str(n), str(r), percent(satisfied, r), percent(b, r), percent(nr, n)), key
            assert (flag == "低于80%") == (satisfied * 100 < 80 * r), key
        assert "低于80%" in [r[-1] for r in rows if r[0] == "0301"]   # counter 3's clerk rates poorly
        totals = [sum(v[i] for v in expected.values()) for i in range(5)]
        assert page.text_content("#sum-transactions") == str(totals[0])
        assert page.text_content("#sum-satisfaction") == percent(totals[2], totals[1])

        levels = Counter(d.level for d in done if d.ticket_id != set_aside)
        assert chart_values(page, "chart-levels") == [[levels[5], levels[4], levels[3], levels[2], levels[1],
                                                        levels[None]]]
        assert chart_values(page, "chart-waits") == [buckets([d.wait_minutes for d in done], WAIT_EDGES)]
        assert chart_values(page, "chart-services") == [buckets([d.service_minutes for d in done], SERVICE_EDGES)]
        per_day = by_hand(done, set_aside, lambda d: d.day.isoformat())
        satisfaction, bad = chart_values(page, "chart-days")
        assert satisfaction == [round(v[2] / v[1] * 100, 1) for _, v in sorted(per_day.items())]
        assert bad == [round(v[3] / v[1] * 100, 1) for _, v in sorted(per_day.items())]

        # Today, per counter; then this week, per department.
        page.click("[data-quick=today]")
        page.select_option("#by", "counter")
        page.wait_for_function("() => document.body.dataset.loaded === 'counter 2026-11-25 2026-11-25'")
        today = by_hand([d for d in done if d.day == TODAY], set_aside, lambda d: d.counter)
        shown = page.eval_on_selector_all("#figure-rows tr", "(rows) => rows.map((r) => [r.dataset.key, "
                                          "r.cells[1].textContent, r.cells[3].textContent])")
        assert {k: (n, s) for k, n, s in shown} == {k: (str(v[0]), percent(v[2], v[1])) for k, v in today.items()}
        page.click("[data-quick=week]")
        page.select_option("#by", "department")
        page.wait_for_function("() => document.body.dataset.loaded === 'department 2026-11-23 2026-11-25'")
        departments = {s.code: s.department for s in live.hall.spec.services}
        week = by_hand([d for d in done if d.day >= date(2026, 11, 23)], set_aside,
                       lambda d: departments[d.service])
        shown = page.eval_on_selector_all("#figure-rows tr", "(rows) => rows.map((r) => [r.dataset.key, "
                                          "r.cells[1].textContent])")
        assert dict(shown) == {k: str(v[0]) for k, v in week.items()}
        assert page.get_attribute("#export-xlsx", "href") == \
            "/api/v1/ratings/export?format=xlsx&start=2026-11-23&end=2026-11-25"
        assert page.evaluate("window.violations") == [] and elsewhere == []
    finally:
        context.close()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_page_holds_its_text_at_its_size_and_at_200_percent(language, live, hall_month, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for name, size, scale in (("1366x768", (1366, 768), 1), ("zoom200", (683, 384), 2)):
        context, page, elsewhere = supervisor_page(browser, live.url, language=language, size=size, scale=scale)
        try:
            problems[f"figures {name}"] = overflowing(page, fixed=False)
            page.screenshot(path=str(SCREENSHOTS / f"supervisor-{language}-{name}.png"), full_page=True)
            page.click("#tab-cases")
            page.wait_for_selector("#case-rows tr.overdue")
            page.click("#case-rows tr.overdue button")
            page.wait_for_selector("#case-history li")
            problems[f"cases {name}"] = overflowing(page, fixed=False)
            page.screenshot(path=str(SCREENSHOTS / f"supervisor-cases-{language}-{name}.png"), full_page=True)
            page.click("#tab-callbacks")
            page.click("#callback-rows tr button")
            problems[f"callbacks {name}"] = overflowing(page, fixed=False)
            page.screenshot(path=str(SCREENSHOTS / f"supervisor-callbacks-{language}-{name}.png"), full_page=True)
            assert page.evaluate("window.violations") == [] and elsewhere == []
        finally:
            context.close()
    assert {where: found for where, found in problems.items() if found} == {}


def test_a_case_is_followed_up_and_an_appeal_upheld_on_the_page(live, hall_month, browser, db_url):
    engine = live.hall.engine
    context, page, _ = supervisor_page(browser, live.url)
    try:
        page.click("#tab-cases")
        first, second = hall_month["overdue"]
        row = page.locator(f"#case-rows tr[data-case='{first}']")
        assert "overdue" in row.get_attribute("class")
        assert row.evaluate("(r) => getComputedStyle(r.cells[0]).color") == "rgb(140, 29, 24)"  # the house's red
        row.locator("button").click()
        for step, state in (("verify", "已核实"), ("rectify", "已整改"), ("callback", "已回访"), ("close", "已办结")):
            page.click(f"[data-step={step}]")   # without a note: refused on the page, nothing sent
            page.wait_for_selector("#problem:not([hidden])")
            page.fill("#step-note", f"{step}：已与工作人员谈话")
            page.click(f"[data-step={step}]")
            page.wait_for_function("(s) => document.querySelector('#case-facts').textContent.includes(s)", arg=state)
        assert page.is_visible("#case-finished")
        page.select_option("#case-filter", "all")
        page.locator(f"#case-rows tr[data-case='{second}'] button").click()
        for step in ("appeal", "review", "uphold"):
            page.fill("#step-note", "监控显示当事人未到窗口")
            page.click(f"[data-step={step}]")
            page.wait_for_selector(f"#case-history li:nth-child({['appeal', 'review', 'uphold'].index(step) + 2})")
        with engine.reading() as session:
            one, two = (session.get(RatingCase, i) for i in (first, second))
            assert (one.state, two.state) == ("closed", "upheld")
            assert session.get(Rating, two.rating_id).set_aside
            history = cases.history(session, spec=engine.spec, case=one)
        assert [(h.step, h.note, h.by) for h in history[1:]] == [
            (s, f"{s}：已与工作人员谈话", "9001") for s in ("verify", "rectify", "callback", "close")]
    finally:
        context.close()


def test_a_call_back_is_recorded_as_the_rating_on_the_page(live, hall_month, browser):
    engine = live.hall.engine
    context, page, _ = supervisor_page(browser, live.url)
    try:
        page.click("#tab-callbacks")
        page.wait_for_selector("#callback-rows tr")
        rows = page.locator("#callback-rows tr")
        assert rows.count() == 2
        ticket = int(rows.first.get_attribute("data-ticket"))
        assert rows.first.locator(".phone").text_content() == "13800138000"
        rows.first.locator("button").click()
        page.check("input[name=level][value='2']")
        page.check("input[name=reason][value=slow]")
        page.fill("#call-comment", "等了很久")
        page.click("#call-form button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('#callback-rows tr').length === 1")
        page.locator("#callback-rows tr button").click()
        page.check("input[name=outcome][value=no_answer]")
        assert page.is_hidden("#call-levels")
        page.click("#call-form button[type=submit]")
        page.wait_for_selector("#no-callbacks:not([hidden])")
        with engine.reading() as session:
            rating = session.scalar(select(Rating).where(Rating.ticket_id == ticket))
            assert (rating.level, rating.channel, rating.reasons, rating.comment) == (2, "callback", "slow", "等了很久")
            assert callbacks.due_calls(session, spec=engine.spec) == []
    finally:
        context.close()
