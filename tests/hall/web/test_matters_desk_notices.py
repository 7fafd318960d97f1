"""The console's desk for cases in Chromium, in a hall that tells citizens of their cases: the
phone number left when a case is opened, shown masked; each notice owed to the citizen shown
pending, then sent once the server has told the webhook and the mail the test started; a
completed case's notices among the cases closed today. No accessibility violation."""
from __future__ import annotations

import pytest

from hall.settings import ServerSettings
from tests.hall.matters.receivers import MailReceiver, WebhookReceiver, supervised_hall_file
from tests.hall.web.conftest import log_in, screenshot
from tests.support.accessibility import violations

MOVE = "140830-GA-0302"
PHONE = "13812345678"


@pytest.fixture(scope="module")
def receivers():
    webhook, mail = WebhookReceiver(), MailReceiver()
    yield webhook, mail
    webhook.stop()
    mail.stop()


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory, module_database, receivers) -> ServerSettings:
    """The module's server: the sample hall, telling the receivers of lights and citizens alike."""
    hall_file = supervised_hall_file(tmp_path_factory.mktemp("config") / "hall", *receivers)
    return ServerSettings(data_dir=tmp_path_factory.mktemp("server"), database=module_database, hall_file=hall_file,
                          offline_after=2)


def notice(page, case: str, told: str):
    return page.wait_for_selector(f"tr[data-case='{case}'] li[data-notice='{told}']")


def test_a_number_left_is_shown_masked_and_each_notice_pending_then_sent(live, staff, open_page, stored, receivers):
    webhook, mail = receivers
    staff("0301", counters=("3",))
    page = open_page("console", f"{live.url}/console")
    log_in(page, "0301", then="/console/3")
    page.goto(f"{live.url}/console/matters")
    page.wait_for_selector("body[data-ready=true]")
    assert page.is_visible("#phone")
    page.select_option("#matter", MOVE)
    page.check("input[name=document][value='0']")
    page.fill("#phone", PHONE)
    page.click("#open-form button[type=submit]")
    page.wait_for_selector("#message a")
    [(number, phone)] = stored("select number, phone from matter_cases")
    assert phone == PHONE and page.input_value("#phone") == ""
    row = page.locator(f"tr[data-case='{number}']")
    assert "138****5678" in row.inner_text()
    row.locator("[data-step=request_documents]").click()
    notice(page, number, "request_documents webhook sent")
    notice(page, number, "request_documents mail sent")
    assert "要求补正 · 短信网关：已发送" in row.inner_text() and "要求补正 · 邮件：已发送" in row.inner_text()
    screenshot(page, "matters-desk-notices", full_page=True)
    assert violations(page) == []
    page.click(f"tr[data-case='{number}'] [data-step=resume]")
    page.click(f"tr[data-case='{number}'] [data-step=complete]")
    closed = page.wait_for_selector(f"#closed tr[data-case='{number}']")
    notice(page, number, "complete webhook sent")
    notice(page, number, "complete mail sent")
    assert "138****5678" not in closed.inner_text()   # closed: the number is gone
    assert PHONE not in page.content()
    screenshot(page, "matters-desk-closed-today", full_page=True)
    assert stored("select phone from matter_cases") == [(None,)]
    assert len([b for _h, b in webhook.taken() if b"citizen" in b]) == 2 and len(mail.messages) == 2
    assert violations(page) == []
