"""Spoken calls: the server makes each call's audio (hall.speech, espeak-ng) and keeps it;
the display plays the calls in order, each once and never two at once, a recall again."""
from __future__ import annotations

import io
import time
import wave

import pytest
import requests

from tests.hall.web.conftest import display_ready

pytest.importorskip("hall.speech", reason="the spoken text and synthesis come with hall.speech")


def seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def test_calls_are_played_in_order_once_each_and_a_recall_again(live, kiosk, login, open_page):
    display = open_page("display", f"{live.url}/display")
    display_ready(display)
    for service in ("household", "social_security"):
        kiosk.post("/api/v1/tickets", {"service": service})
    at_3, at_1 = login("0301", counters=("3",)), login("0101", counters=("1",))
    at_3.post("/api/v1/counters/3/call-next")
    at_1.post("/api/v1/counters/1/call-next")
    at_3.post("/api/v1/counters/3/recall")
    display.wait_for_function("() => window.hallAnnouncements.played.size === 3")
    calls = sorted(display.evaluate("[...window.hallAnnouncements.played]"))
    assert display.eval_on_selector_all("#recent li", "rows => rows.map(r => Number(r.dataset.event))") == [calls[1], calls[2]]
    display.wait_for_function("(n) => window.hallAnnouncements.log.filter(e => e.event === 'end').length === n",
                              arg=3, timeout=30000)
    log = display.evaluate("window.hallAnnouncements.log")
    assert [e["id"] for e in log] == [calls[0], calls[0], calls[1], calls[1], calls[2], calls[2]]
    assert [e["event"] for e in log] == ["start", "end"] * 3
    assert all(a["at"] <= b["at"] for a, b in zip(log, log[1:]))   # one ends before the next starts
    assert display.get_attribute("#announcer", "src").endswith(f"/api/v1/display/calls/{calls[2]}/audio")


def test_the_spoken_call_lasts_as_a_sentence_does_and_is_made_once(live, kiosk, login):
    kiosk.post("/api/v1/tickets", {"service": "household"})
    login("0301", counters=("3",)).post("/api/v1/counters/3/call-next")
    board = requests.get(f"{live.url}/api/v1/display", timeout=10).json()
    url = f"{live.url}/api/v1/display/calls/{board['calls'][0]['event_id']}/audio"
    started = time.monotonic()
    first = requests.get(url, timeout=30)
    made = time.monotonic() - started
    started = time.monotonic()
    again = requests.get(url, timeout=30)
    kept = time.monotonic() - started
    assert first.headers["content-type"] == "audio/wav"
    assert 2.0 < seconds(first.content) < 7.0       # 请C001号到3号窗口办理, read digit by digit
    assert again.content == first.content and kept < made
    assert len(list((live.hall.settings.data_dir / "announcements").glob("*.wav"))) == 1
