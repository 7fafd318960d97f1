"""The late rating and the call-back number on the ticket's phone page, and the console's mark
of whether a transaction was rated, in Chromium against a real server: one rating however often
the citizen taps or the answer is lost, refusals explained in the page's words, the number kept
in the database and never shown back whole, the console never showing a level; axe-core finds
nothing on each new state, and each is kept as a screenshot at the phone's size."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hall.settings import ServerSettings
from tests.support.hall_fixtures import phoning_back
from tests.hall.web.conftest import LANGUAGES, console_ready, overflowing, screenshot
from tests.support.accessibility import violations

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
WINDOW_END = datetime.fromisoformat("2026-11-27T00:00:00+08:00")   # the end of the next working day
RATING_IS = "(state) => document.body.dataset.rating === state"


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database) -> ServerSettings:
    """The sample hall phoning back every citizen, so that the page offers the call-back."""
    return phoning_back(tmp_path_factory.mktemp("server"), module_database, 100)


def phone_page(open_page, ticket: dict, language: str = "zh_CN"):
    page = open_page("phone", ticket["link"], language)
    page.wait_for_function("() => document.querySelector('#connection').hidden && document.body.dataset.rating")
    return page


def looked_at(page, name: str) -> None:
    """Nothing axe-core finds, nothing leaving its box; kept as a screenshot of the whole
    page at the phone's width."""
    assert violations(page) == []
    assert overflowing(page, fixed=False) == []
    screenshot(page, f"phone-rating-{name}", full_page=True)


def test_a_bad_rating_needs_a_reason_and_is_taken_once_however_often_sent(live, serve, open_page, stored):
    ticket = serve()
    page = phone_page(open_page, ticket)
    other = phone_page(open_page, ticket)      # the same link open on a second phone
    assert page.text_content("#rating-title") == "服务评价"
    assert page.text_content(".levels legend") == "请您对本次服务进行评价"
    assert page.text_content("#rating-until") == "11-27 00:00前可评价"   # the end of the next working day
    assert page.is_visible("#callback-form")
    looked_at(page, "open")

    page.click("label.level-2")                                      # 不满意
    page.wait_for_selector("#reasons", state="visible")
    page.click("#rating-send")
    page.wait_for_function("() => document.querySelector('#rating-problem').textContent !== ''")
    assert page.text_content("#rating-problem") == "请至少选择一项不满意的原因"
    looked_at(page, "reason-needed")
    page.click("label.reason:has-text('其他')")
    page.click("#rating-send")
    page.wait_for_function("() => document.querySelector('#rating-problem').textContent.includes('其他')")
    page.click("label.reason:has-text('其他')")
    page.click("label.reason:has-text('服务态度差')")
    page.fill("#comment", "窗口无人解释")
    assert stored("select count(*) from ratings") == [(0,)]

    # The rating reaches the server but its answer is lost: the page says nothing was taken
    # for sure and the citizen taps again, twice; the same key makes it one rating.
    sent = []

    def lose_answer(route):
        sent.append(route.request.header_value("Idempotency-Key"))
        route.fetch()
        route.abort()
    page.route("**/api/v1/ratings/by-link/*", lose_answer, times=1)
    page.click("#rating-send")
    page.wait_for_function("() => document.querySelector('#rating-problem').textContent !== ''")
    assert page.text_content("#rating-problem") == "网络不通，尚未提交成功，请稍后再点一次"
    with page.expect_request("**/api/v1/ratings/by-link/*") as again:
        page.dblclick("#rating-send")
    page.wait_for_function(RATING_IS, arg="thanks")
    assert again.value.header_value("Idempotency-Key") == sent[0]
    assert page.text_content("#rating-outcome") == "感谢您的评价！"
    assert page.is_hidden("#callback")                       # the number has no purpose once rated
    assert stored("select ticket_id, level, reasons, comment, channel from ratings") == [
        (ticket["id"], 2, "attitude", "窗口无人解释", "phone_page")]
    looked_at(page, "thanks")

    # The second phone still shows the form: its rating is refused, and says why.
    other.click("label.level-5")
    other.click("#rating-send")
    other.wait_for_function(RATING_IS, arg="refused_already_rated")
    assert other.text_content("#rating-outcome") == "本次办件已经评价过了，每次办件只能评价一次。感谢您的参与！"
    assert other.is_hidden("#rating-form")
    looked_at(other, "already-rated")
    assert stored("select count(*) from ratings") == [(1,)]
    # Opened again, the page knows it was rated; the level is shown nowhere.
    page.reload()
    page.wait_for_function(RATING_IS, arg="rated")
    assert page.text_content("#rating-outcome") == "本次办件已评价，感谢您的参与"
    assert page.is_hidden("#rating-form")


def test_after_the_late_rating_time_the_page_says_it_can_no_longer_be_rated(live, clock, serve, open_page, stored):
    ticket = serve()
    page = phone_page(open_page, ticket)
    page.click("label.level-4")
    clock.now = WINDOW_END     # the late-rating time has come
    page.click("#rating-send")
    page.wait_for_function(RATING_IS, arg="refused_window_closed")
    assert page.text_content("#rating-outcome") == "本次办件的评价时间已过，不能再评价了"
    assert stored("select count(*) from ratings") == [(0,)]

    page.reload()                                                       # opened later: said at once
    page.wait_for_function(RATING_IS, arg="refused_window_closed")
    assert page.is_hidden("#rating-form") and page.is_hidden("#callback")
    looked_at(page, "closed")


def test_while_open_the_page_closes_the_rating_by_the_halls_clock(live, clock, serve, open_page):
    ticket = serve()
    clock.now = WINDOW_END - timedelta(seconds=1)
    page = phone_page(open_page, ticket)
    assert page.evaluate("() => document.body.dataset.rating") == "open"
    page.wait_for_function(RATING_IS, arg="refused_window_closed")


def test_a_number_left_for_the_call_back_is_kept_and_never_shown_back_whole(live, serve, open_page, stored):
    ticket = serve()
    page = phone_page(open_page, ticket)
    page.fill("#callback-phone", "12345")
    page.click("#callback-send")
    page.wait_for_function("() => document.querySelector('#callback-problem').textContent !== ''")
    assert page.text_content("#callback-problem") == "请填写11位手机号码，或带区号的固定电话，例如 0571-87654321"
    looked_at(page, "phone-invalid")
    assert stored("select phone from served_tickets") == [(None,)]

    page.fill("#callback-phone", "138 0013 ８０００")                      # grouped, full-width digits
    page.click("#callback-send")
    page.wait_for_selector("#callback-left", state="visible")
    assert page.text_content("#callback-left") == "已留下号码138****8000，回访电话打完后即删除"
    assert stored("select ticket_id, phone from served_tickets") == [(ticket["id"], "13800138000")]
    assert "13800138000" not in page.content() and page.input_value("#callback-phone") == ""
    looked_at(page, "phone-left")
    page.reload()
    page.wait_for_selector("#callback-left", state="visible")
    assert "13800138000" not in page.content()
    assert page.text_content("#callback-left") == "已留下号码138****8000，回访电话打完后即删除"

    # A landline, on another ticket: its area code and the last four digits only.
    landline = serve()
    other = phone_page(open_page, landline)
    other.fill("#callback-phone", "0571-87654321")
    other.click("#callback-send")
    other.wait_for_selector("#callback-left", state="visible")
    assert other.text_content("#callback-left") == "已留下号码057*-****4321，回访电话打完后即删除"
    assert stored(f"select phone from served_tickets where ticket_id = {landline['id']}") == [("0571-87654321",)]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "zh_CN"])
def test_the_rating_in_each_language(language, live, serve, open_page):
    page = phone_page(open_page, serve(), language)
    page.click("label.level-1")
    page.wait_for_selector("#reasons", state="visible")
    page.click("#rating-send")
    page.wait_for_function("() => document.querySelector('#rating-problem').textContent !== ''")
    looked_at(page, f"reason-needed-{language}")


def mark(console, number: str, state: str) -> None:
    console.wait_for_function("([number, state]) => { const m = document.querySelector("
                              "`#rating-marks-list [data-ticket='${number}'] .tag`); return m && m.textContent === state; }",
                              arg=[number, state])


def test_the_console_marks_rated_and_not_rated_never_the_level(live, kiosk, console, open_page):
    first, second = (kiosk.post("/api/v1/tickets", {"service": "household"}).json() for _ in range(2))
    console.wait_for_function("() => document.querySelectorAll('#waiting tr').length === 2")
    assert console.text_content("#rating-marks-none") == "在本页办结的号码会显示在这里"
    console.click("button[data-op=call-next]")
    console.wait_for_function("(n) => document.querySelector('#serving-number').textContent === n", arg=first["number"])
    console.click("button[data-op=complete]")
    mark(console, first["number"], "待评价")
    assert console.is_hidden("#rating-marks-none")

    phone = phone_page(open_page, first)
    phone.click("label.level-1")
    phone.click("label.reason:has-text('业务不熟练')")
    phone.click("#rating-send")
    phone.wait_for_function(RATING_IS, arg="thanks")
    mark(console, first["number"], "已评价")

    console.click("button[data-op=call-next]")
    console.wait_for_function("(n) => document.querySelector('#serving-number').textContent === n", arg=second["number"])
    console.click("button[data-op=complete]")
    mark(console, second["number"], "待评价")
    kiosk.post("/api/v1/tickets", {"service": "household"})
    console.click("button[data-op=call-next]")                 # the next call ends the prompt unanswered
    mark(console, second["number"], "未评价")
    assert console.eval_on_selector_all("#rating-marks-list li", "items => items.map(i => i.textContent)") == [
        f"{second['number']}未评价", f"{first['number']}已评价"]
    assert violations(console) == []
    screenshot(console, "console-rating-marks")

    console.reload()                                           # the marks stay, their states asked again
    console_ready(console)
    mark(console, first["number"], "已评价")
    mark(console, second["number"], "未评价")
    dom = console.content() + console.evaluate("() => document.body.innerText")
    assert [level for level in LEVELS if level in dom] == [] and "level" not in dom
