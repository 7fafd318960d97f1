"""Voice guidance through the real espeak-ng, into a stand-in sound card that plays in real
time (tests/kiosk/sound_sink.py), or into sox with no sound card at all."""
from __future__ import annotations

import logging
import sys
import wave
from pathlib import Path

import pytest

from kiosk.ticket_states import State
from kiosk.voice import Speaker, VoiceGuide
from tests.kiosk.conftest import make_flow, take
from tests.support.waiting import until

SINK = Path(__file__).with_name("sound_sink.py")


def said(caplog, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


def drained(speaker: Speaker, caplog, marker: str = "marker") -> None:
    """Until the speaker has taken up everything asked of it so far: a marker said after it
    is taken up in its turn. What a failed attempt drops is asked again, so the marker is
    taken up once the speaker has been through every earlier attempt."""
    until(lambda: said(caplog, f"saying (en): {marker}") or speaker.say(marker, "en", after=True),
          seconds=60, every=0.1, what=f"the speaker taking up {marker!r}")


def log_lines(folder: Path) -> list[list[str]]:
    path = folder / "log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def sound(tmp_path):
    folder = tmp_path / "sound"
    folder.mkdir()
    speaker = Speaker(player=(sys.executable, str(SINK), str(folder)))
    yield folder, speaker
    speaker.close()


def test_the_ticket_is_said_with_its_number_digit_by_digit(hall, tmp_path, sound, caplog):
    folder, speaker = sound
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    flow, *_ = make_flow(hall, tmp_path, voice=True, guide=VoiceGuide(speaker))
    take(flow, "household")
    assert flow.state is State.TICKET
    until(lambda: any("您的号码是西零零一号" in r.getMessage() for r in caplog.records))
    said = next(r.getMessage() for r in caplog.records if "您的号码是" in r.getMessage())
    assert said == ("saying (zh_CN): 您的号码是西零零一号。请到3号窗口办理，前面没有人等候。 "
                    "请取走小票，留意叫号")
    until(lambda: len(log_lines(folder)) >= 1)
    pid = log_lines(folder)[-1][0]
    with wave.open(str(folder / f"{pid}.wav")) as wav:
        assert wav.getframerate() > 8000
    assert int(log_lines(folder)[-1][2]) > 100_000  # seconds of speech, not a click


def test_a_new_screen_cuts_off_what_the_last_one_was_saying(hall, tmp_path, sound):
    folder, speaker = sound
    flow, *_ = make_flow(hall, tmp_path, voice=True, guide=VoiceGuide(speaker))
    take(flow)
    until(lambda: log_lines(folder))
    ticket_pid = log_lines(folder)[-1][0]
    flow.done()  # the home screen says its own prompt instead
    until(lambda: [line for line in log_lines(folder) if line[0] != ticket_pid])
    # Not cut off, the ticket (seconds of speech) would have played to its end before the
    # home screen's prompt began, however quickly or slowly this machine runs.
    assert [ticket_pid, "done"] not in log_lines(folder)


def test_voice_follows_the_switch_and_the_language(hall, tmp_path, sound, caplog):
    folder, speaker = sound
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    flow, *_ = make_flow(hall, tmp_path, guide=VoiceGuide(speaker))
    assert not caplog.records  # voice is off unless the hall or the citizen turns it on
    flow.toggle_voice()
    flow.set_language("en")
    until(lambda: any("saying (en): Welcome. Choose a service: Social insurance" in r.getMessage()
                         for r in caplog.records))
    flow.toggle_voice()
    flow.set_language("zh_TW")
    drained(speaker, caplog)
    assert not any("(zh_TW)" in r.getMessage() for r in caplog.records)


def test_no_sound_device_is_logged_once_and_the_kiosk_goes_on(hall, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    speaker = Speaker(player=("sox", "-q", "-t", "wav", "-", "-t", "alsa", "hall-kiosk-no-such-card"))
    flow, *_ = make_flow(hall, tmp_path, voice=True, guide=VoiceGuide(speaker))
    try:
        flow.toggle_voice()
        flow.toggle_voice()  # on again: the home screen's prompt
        until(lambda: speaker.working is False)
        flow.choose("taxation")
        flow.confirm()
        assert flow.state is State.TICKET
        drained(speaker, caplog)  # every later attempt has failed too, the marker's last
        warnings = [r for r in caplog.records if "no sound device" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    finally:
        speaker.close()


def test_a_card_asked_for_and_its_problems_are_said(hall, tmp_path, sound, caplog):
    from kiosk.card_watch import CardOutcome, Message, ReaderStatus

    _, speaker = sound
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    flow, *_ = make_flow(hall, tmp_path, voice=True, guide=VoiceGuide(speaker))
    flow.choose("housing_fund")
    flow.confirm()
    assert flow.state is State.IDENTIFYING
    until(lambda: said(caplog, "办理住房公积金需要核验身份。请将身份证放在读卡区。已在网上预约的，请扫描预约二维码。"))
    flow.card_placed(CardOutcome(problem=Message("card.lifted")))
    until(lambda: said(caplog, "saying (zh_CN): 身份证没有读完"))
    flow.reader_changed(ReaderStatus(Message("card.reader_unavailable"), "unavailable"))
    flow.set_language("en")
    until(lambda: said(caplog, "saying (en): The card reader is not working now."))


def test_a_speaker_that_fails_is_tried_again_reported_and_told(hall, tmp_path, sound, db):
    """One failure of the player does not silence the kiosk for good: the next prompt tries
    again. Meanwhile the hall knows (its device page) and the voice button says so."""
    import sqlite3

    folder, speaker = sound
    flow, *_ = make_flow(hall, tmp_path, guide=VoiceGuide(speaker))

    def reported() -> list[tuple]:
        with sqlite3.connect(db) as con:
            return con.execute("select kind, status, detail from device_status where device_id = 'k1/speaker'").fetchall()

    (folder / "unplugged").touch()  # the sound card is gone
    flow.toggle_voice()
    until(lambda: speaker.working is False)
    flow.tick()
    assert flow.visit.voice_lost and flow.visit.voice
    assert reported() == [("speaker", "unavailable", "play FAIL formats: can't open output file `default': No such device")]
    flow.toggle_voice()  # a tap while voice cannot be had tries again, voice stays asked for
    assert flow.visit.voice
    (folder / "unplugged").unlink()  # plugged in again
    flow.choose("household")  # the next prompt
    until(lambda: speaker.working is True)
    flow.tick()
    assert not flow.visit.voice_lost
    assert reported() == [("speaker", "ok", "")]


def test_the_confirm_screen_says_what_it_knows_and_the_queue_when_the_hall_tells_it(hall, tmp_path, sound, caplog):
    """The hall answers on the worker's thread: until it does, the confirm screen neither
    says nor shows an empty queue."""
    import queue

    from kiosk.machine import ThreadRunner

    _, speaker = sound
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    posted: queue.Queue = queue.Queue()
    runner = ThreadRunner(posted.put)
    for _ in range(3):
        hall.issue_ticket("social_security")
    flow, *_ = make_flow(hall, tmp_path, voice=True, guide=VoiceGuide(speaker), runner=runner)
    try:
        flow.choose("social_security")  # the first visit: the hall has not told its queues yet
        said = lambda: [r.getMessage() for r in caplog.records if r.getMessage().startswith("saying")]  # noqa: E731
        until(lambda: said())
        assert said()[0] == "saying (zh_CN): 您选择的是社会保险。确认请点击“确认取号”。"
        choice = flow.texts.chosen()
        assert (choice.waiting_text, choice.estimate_text) == ("正在查询…", "正在查询…")
        posted.get(timeout=30)()  # the hall's answer reaches the flow
        assert (flow.texts.chosen().waiting_text, flow.texts.chosen().estimate_text) == ("3 人", "约 8 分钟")
        until(lambda: len(said()) == 2, seconds=30)  # after the first, not cutting it off
        assert said()[1] == "saying (zh_CN): 现在等候 3 人，约 8 分钟。"
    finally:
        runner.close()
