"""One real browser for the whole run, shared by every test package that drives web pages
(the server's pages, and the staff console beside a kiosk's screens): Debian's Chromium
(/usr/bin/chromium, never a browser Playwright downloads) driven by Playwright's Python
package. Playwright's sync API runs one instance per thread, so these fixtures are defined
once, as a plugin of the root conftest, never again in a package's conftest."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
# platform.md: without the networking flags Chromium keeps trying to reach Google's hosts.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--log-level=3"]
# The hall display's browser is started with this flag (docs/pages.md), so that calls are
# heard without anyone clicking first.
KIOSK_AUDIO = "--autoplay-policy=no-user-gesture-required"


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright  # loaded by the tests that open a page
    with sync_playwright() as p:
        yield p


def launch(playwright, *extra: str) -> Browser:
    """Playwright gives each launch a fresh, empty profile (--user-data-dir) of its own."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + list(extra))


@pytest.fixture(scope="session")
def browser(playwright) -> Browser:
    browser = launch(playwright, KIOSK_AUDIO)
    yield browser
    browser.close()
