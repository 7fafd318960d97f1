"""Spoken calls: the server makes each call's audio (hall.speech, espeak-ng) and keeps it;
the display plays the calls in order, each once after the chime and never two at once, a
recall again; it never falls far behind."""
from __future__ import annotations

import io
import time
import wave
from datetime import timedelta

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
    log = [e for e in display.evaluate("window.hallAnnouncements.log") if e["event"] in ("start", "end")]
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


def test_each_call_follows_the_chime_and_speech_never_falls_far_behind(live, kiosk, login, open_page, clock):
    """A recall of a number still waiting to be said replaces its earlier call; a call older
    than the hall's limit (speech_within_seconds, 60 here) when its turn comes is not said."""
    for service in ("social_security", "household", "real_estate", "taxation"):
        kiosk.post("/api/v1/tickets", {"service": service})
    display = open_page("display", f"{live.url}/display")
    display_ready(display)
    at = {c: login(f"0{c}01", counters=(c,)) for c in ("1", "3", "4", "7")}
    at["1"].post("/api/v1/counters/1/call-next")                 # said at once
    at["3"].post("/api/v1/counters/3/call-next")                 # waits its turn...
    at["3"].post("/api/v1/counters/3/recall")                    # ...and is replaced by its recall
    clock.now -= timedelta(minutes=5)
    at["4"].post("/api/v1/counters/4/call-next")                 # made 5 minutes ago: too old to say
    clock.now += timedelta(minutes=5)
    at["7"].post("/api/v1/counters/7/call-next")
    display.wait_for_function("() => window.hallAnnouncements.played.size === 5")
    calls = sorted(display.evaluate("[...window.hallAnnouncements.played]"))
    display.wait_for_function("(n) => window.hallAnnouncements.log.filter(e => e.event === 'end').length === n",
                              arg=3, timeout=60000)
    log = [(e["event"], e["id"]) for e in display.evaluate("window.hallAnnouncements.log")]
    said = [i for event, i in log if event == "end"]
    assert said == [calls[0], calls[2], calls[4]]
    assert ("replaced", calls[1]) in log and ("dropped", calls[3]) in log
    for call in said:
        chime, start = log.index(("chime", call)), log.index(("start", call))
        assert chime < start < log.index(("end", call))
    assert display.text_content("[data-counter='4'] .counter-number") == "D001"   # still on screen
