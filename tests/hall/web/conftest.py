"""The server's pages in a real browser: Debian's Chromium driven by Playwright's Python
package, one browser for the whole run (tests/browser.py); each test gets fresh browser
contexts (their own cookies) at each page's target size. One server per module
(tests.support.hall_fixtures), on SQLite here: the API tests cover PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from hall.schemas import Role
from tests.browser import KIOSK_AUDIO, launch  # noqa: F401 (used by tests and bench/call_to_display.py)
from tests.conftest import ROOT
from tests.support.api_clients import PASSWORD, add_staff
from tests.support.hall_fixtures import (add_device, clock, db_url, kiosk, live, login, module_clock,  # noqa: F401
                                         module_server, module_settings, server_settings, stored)
from tests.hall.api.conftest import serve  # noqa: F401 (a fixture)

SIZES = {"console": (1366, 768), "display": (1920, 1080), "phone": (360, 740)}
SCREENSHOTS = ROOT / "artifacts" / "pages"   # kept after the run, git-ignored
LANGUAGES = {"zh_CN": "zh-CN", "zh_TW": "zh-TW", "en": "en-GB"}


@pytest.fixture(scope="module")
def module_database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('hall') / 'hall.db'}"


@pytest.fixture
def open_page(browser):
    """open_page(kind, url, language="zh_CN") -> a page at the kind's target size, in a
    context of its own whose browser asks for that language."""
    contexts: list[BrowserContext] = []

    def open_(kind: str, url: str, language: str = "zh_CN") -> Page:
        width, height = SIZES[kind]
        context = browser.new_context(viewport={"width": width, "height": height}, locale=LANGUAGES[language])
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page
    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def staff(live):
    """staff(job_no, counters, role) adds an account as `python -m hall add-staff` does."""
    def add(job_no: str, counters=("3",), role: Role = Role.STAFF) -> str:
        add_staff(live.hall.engine, job_no, role, counters)
        return job_no
    return add


def log_in(page: Page, job_no: str, *, then: str) -> None:
    """Logs in through the console's login form and waits for the page it leads to."""
    page.fill("input[name=job_no]", job_no)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then}")


# The console takes keys: the pause button is off only while the page is not yet live or a
# write is on its way. The page shows what a write did from the live feed before the write's
# own answer is read, and a key pressed between is ignored.
TAKES_KEYS = "() => !document.querySelector('button.op[data-op=pause]').disabled"
SERVING_IS = ("(n) => document.querySelector('#serving-number').textContent === n && "
              "!document.querySelector('button.op[data-op=pause]').disabled")


def console_ready(page: Page) -> None:
    """The console has its queue, its help calls and alarms, and its stream: it takes keys.
    The pause button is off only while the page is not yet live (or a write is on its way)."""
    page.wait_for_function("() => document.querySelector('#waiting-count').textContent !== '' && "
                           "document.querySelector('#connection').hidden && "
                           "!document.querySelector('button.op[data-op=pause]').disabled")


@pytest.fixture
def console(live, staff, open_page) -> Page:
    """Counter 3's console, its staff member logged in and the page ready."""
    staff("0301", counters=("3",))
    page = open_page("console", f"{live.url}/console")
    log_in(page, "0301", then="/console/3")
    console_ready(page)
    return page


def display_ready(page: Page) -> None:
    page.wait_for_function("() => document.querySelectorAll('#counters li').length > 0 && "
                           "document.querySelector('#offline').hidden")


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """The viewport, or with `full_page` the page's whole length at the viewport's width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Every element that holds text directly must hold all of it: its own box does not overflow,
# and no ancestor clips it (an ancestor that scrolls vertically may hide rows below, which
# are reached by scrolling). The page itself never scrolls sideways, and the fixed-size pages
# (console, display) not at all.
OVERFLOW_CHECK = """(fixed) => {
  const out = [];
  const root = document.documentElement;
  const W = root.clientWidth, H = root.clientHeight;
  if (root.scrollWidth > W + 1) out.push(`page is ${root.scrollWidth}px wide for ${W}px`);
  if (fixed && root.scrollHeight > H + 1) out.push(`page is ${root.scrollHeight}px high for ${H}px`);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                       (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "");
  for (const el of document.body.querySelectorAll("*")) {
    const texts = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!texts.length || !shown(el) || ["SCRIPT", "STYLE"].includes(el.tagName)) continue;
    if (el.closest("[data-marquee].moving")) continue;   // a moving line shows its text a part at a time
    const style = getComputedStyle(el);
    if (style.display !== "inline" && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      out.push(`${name(el)} "${el.textContent.trim().slice(0, 40)}" overflows its box ` +
               `(${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight})`);
    }
    for (const node of texts) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width === 0) continue;
        if (r.left < -1 || r.right > W + 1) out.push(`${name(el)} "${node.textContent.trim().slice(0, 40)}" leaves the page`);
        for (let a = el; a && a !== document.body; a = a.parentElement) {
          const s = getComputedStyle(a);
          const box = a.getBoundingClientRect();
          if (s.overflowX !== "visible" && (r.left < box.left - 1 || r.right > box.right + 1)) {
            out.push(`${name(el)} "${node.textContent.trim().slice(0, 40)}" is cut by ${name(a)} sideways`); break;
          }
          if ((s.overflowY === "hidden" || s.overflowY === "clip") && (r.top < box.top - 1 || r.bottom > box.bottom + 1)) {
            out.push(`${name(el)} "${node.textContent.trim().slice(0, 40)}" is cut by ${name(a)}`); break;
          }
        }
      }
    }
  }
  return [...new Set(out)];
}"""


def overflowing(page: Page, *, fixed: bool) -> list[str]:
    return page.evaluate(OVERFLOW_CHECK, fixed)
