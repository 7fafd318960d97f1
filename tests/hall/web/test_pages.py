"""The pages over plain HTTP: languages, the phone page's refusals, who may open what."""
from __future__ import annotations

import pytest
import requests

from hall.schemas import Role
from hall.web.i18n import catalogue, negotiate
from tests.hall.web.conftest import log_in


@pytest.mark.parametrize("header, asked, language", [
    ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh_CN"), ("zh-TW,zh;q=0.9", None, "zh_TW"), ("zh-HK", None, "zh_TW"),
    ("zh-Hant-TW", None, "zh_TW"), ("en-US,en;q=0.9", None, "en"), ("fr-FR, en;q=0.5, zh;q=0.7", None, "zh_CN"),
    ("", None, "zh_CN"), (None, None, "zh_CN"), ("en;q=abc, zh-TW", None, "zh_TW"), ("en", "zh_TW", "zh_TW"),
    ("en", "xx", "en"),
])
def test_the_language_of_a_request(header, asked, language):
    assert negotiate(header, asked) == language


def test_every_language_has_every_text():
    reference = set(catalogue("zh_CN"))
    for language in ("zh_TW", "en"):
        assert set(catalogue(language)) == reference, language


def test_an_unknown_or_forged_code_gets_a_plain_page(live, kiosk):
    link = kiosk.post("/api/v1/tickets", {"service": "household"}).json()["link"]
    token = link.rsplit("/", 1)[1]
    number, _, mac = token.partition(".")
    altered = mac[:-1] + ("B" if mac[-1] == "A" else "A")
    forged = [f"{int(number) + 1}.{mac}", "garbage", "1.", "." * 300, f"{number}.{altered}", "%00%ff"]
    for bad in forged:
        answer = requests.get(f"{live.url}/t/{bad}", timeout=10)
        assert answer.status_code == 404, bad
        assert "无此号码" in answer.text and "Traceback" not in answer.text
    english = requests.get(f"{live.url}/t/garbage", headers={"Accept-Language": "en"}, timeout=10)
    assert "No such number" in english.text
    page = requests.get(link, headers={"Accept-Language": "zh-TW"}, timeout=10)
    assert page.status_code == 200 and "您的號碼" in page.text and "C001" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_console_and_the_device_page_need_a_login(live, staff, login):
    answer = requests.get(f"{live.url}/console/3", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/console?next=/console/3"
    assert requests.get(f"{live.url}/devices", allow_redirects=False, timeout=10).status_code == 303
    assert requests.get(f"{live.url}/console/99", timeout=10).status_code == 404
    clerk = login("0301", counters=("3",))
    assert clerk.get("/devices").status_code == 403
    assert clerk.get("/console/3").status_code == 200
    supervisor = login("9001", role=Role.SUPERVISOR, counters=())
    assert supervisor.get("/devices").status_code == 200
    assert "/console/7" in supervisor.get("/console").text
    evil = requests.get(f"{live.url}/console?next=//evil.example/", timeout=10,
                        cookies=supervisor.http.cookies, allow_redirects=False)
    assert evil.status_code == 200


@pytest.mark.parametrize("elsewhere", ["//evil.example/", "/%09/evil.example/", "/%0A/evil.example/",
                                       "/%0D%0A/evil.example/", "/%5Cevil.example/"])
def test_a_login_leads_to_no_other_site(live, staff, open_page, elsewhere):
    """A browser drops tabs and line breaks from an address (/<TAB>/evil.example is
    //evil.example) and reads a backslash as a slash."""
    staff("0301", counters=("3",))
    page = open_page("console", f"{live.url}/console?next={elsewhere}")
    left = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live.url)
               else (left.append(route.request.url), route.abort()))
    log_in(page, "0301", then="/console/3")
    assert left == []


def test_every_asset_is_served_here(live):
    page = requests.get(f"{live.url}/display", timeout=10)
    assert "http://" not in page.text.replace(live.url, "") and "https://" not in page.text
    for asset in ("live.js", "display.js", "console.js", "console_ratings.js", "phone.js", "devices.js", "login.js",
                  "base.css", "display.css", "console.css", "phone.css"):
        answer = requests.get(f"{live.url}/static/{asset}", timeout=10)
        assert answer.status_code == 200, asset
        assert "https://" not in answer.text and "http://" not in answer.text, asset
