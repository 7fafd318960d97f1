"""The hall display: it says so within 5 s when its server is gone, dims the numbers it can
no longer vouch for, and comes back by itself; each call is announced once, in order, never
two at once, a recall again; a browser that blocks sound shows 声音未开启，点击开启."""
from __future__ import annotations

import io
import signal
import time
import wave
from datetime import datetime, timezone

import requests

from hall import accounts
from hall.schemas import DeviceKind
from tests.conftest import OPEN_MORNING, SAMPLE_HALL
from tests.support.api_clients import Api
from tests.support.servers import FileClock, ServerProcess
from tests.hall.web.conftest import SIZES, display_ready, launch, overflowing, screenshot
from tests.support.accessibility import violations

WAITING_OF = "(code) => document.querySelector(`[data-service='${code}'] .service-waiting`).textContent"


def test_the_display_says_when_its_server_is_gone_and_recovers(tmp_path, open_page):
    database = f"sqlite:///{tmp_path / 'hall.db'}"
    server = ServerProcess(data_dir=tmp_path / "server", database=database, hall_file=SAMPLE_HALL,
                           clock=FileClock(tmp_path / "clock", OPEN_MORNING)).start()
    try:
        with server_engine(database) as (engine, hall_id):
            with engine.transaction() as session:
                token = accounts.add_device(session, hall_id=hall_id, device_id="kiosk-01", kind=DeviceKind.KIOSK,
                                            now=datetime.now(timezone.utc))
        kiosk = Api(server.url, token)
        kiosk.post("/api/v1/tickets", {"service": "household"})
        display = open_page("display", f"{server.url}/display")
        display_ready(display)
        assert display.evaluate(WAITING_OF, "household") == "1人"

        server.kill(signal.SIGKILL)
        gone = time.monotonic()
        display.wait_for_selector("#offline", state="visible", timeout=5000)
        assert time.monotonic() - gone < 5
        assert display.eval_on_selector("body", "b => b.classList.contains('stale')")

        server.start()
        display.wait_for_selector("#offline", state="hidden", timeout=10000)
        kiosk.post("/api/v1/tickets", {"service": "household"})
        display.wait_for_function(f"() => ({WAITING_OF})('household') === '2人'", timeout=2000)
        assert not display.eval_on_selector("body", "b => b.classList.contains('stale')")
    finally:
        server.kill()


class server_engine:
    """The engine on the server's database, for setting up accounts as an installer would."""

    def __init__(self, url: str):
        from hall.queue import QueueEngine
        from hall.spec import load_hall
        spec = load_hall(SAMPLE_HALL)
        self.engine = QueueEngine(spec, url)
        self.hall_id = spec.hall.id

    def __enter__(self):
        return self.engine, self.hall_id

    def __exit__(self, *exc):
        self.engine.close()


def test_a_browser_that_blocks_sound_shows_the_button(playwright, live):
    browser = launch(playwright, "--autoplay-policy=document-user-activation-required")
    try:
        width, height = SIZES["display"]
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.goto(f"{live.url}/display")
        page.wait_for_selector("#sound-off", state="visible", timeout=5000)
        assert page.text_content("#sound-off") == "声音未开启，点击开启"
        page.click("#sound-off")
        page.wait_for_selector("#sound-off", state="hidden")
    finally:
        browser.close()


def test_the_chime_is_a_short_wav(live):
    answer = requests.get(f"{live.url}/api/v1/display/chime", timeout=10)
    assert answer.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(answer.content)) as w:
        assert 0.8 < w.getnframes() / w.getframerate() < 1.5


def test_the_display_has_the_language_links_and_keeps_the_choice(live, open_page):
    display = open_page("display", f"{live.url}/display")
    display_ready(display)
    assert display.get_attribute("nav.languages a[aria-current]", "hreflang") == "zh-Hans"
    display.click("nav.languages a[hreflang=en]")
    display.wait_for_url("**/display?lang=en")
    display_ready(display)
    assert display.text_content(".latest h2") == "Now calling"
    display.goto(f"{live.url}/display")   # no ?lang= now: the choice is the browser's to keep
    display_ready(display)
    assert display.get_attribute("html", "lang") == "en" and display.text_content(".latest h2") == "Now calling"
    assert violations(display) == []
    assert overflowing(display, fixed=True) == []
    screenshot(display, "display-languages-en")
