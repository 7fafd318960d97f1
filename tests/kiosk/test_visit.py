"""The visit as any flow holds it: defaults, touches, the idle limit, the citizen's buttons and
the speaker, on a clock moved by hand."""
from __future__ import annotations

import pytest

from kiosk.visit import Visit
from tests.kiosk.conftest import Ticks


def make(**kwargs) -> tuple[Visit, Ticks]:
    ticks = Ticks()
    return Visit(clock=ticks, **kwargs), ticks


def test_a_visit_ends_after_its_idle_seconds_without_a_touch():
    visit, ticks = make(idle_seconds=60)
    ticks.t += 59
    assert not visit.expired()
    visit.touched()
    ticks.t += 59
    assert not visit.expired()
    ticks.t += 1
    assert visit.expired()


def test_a_flow_may_ask_with_a_shorter_limit():
    visit, ticks = make(idle_seconds=60)
    ticks.t += 20
    assert visit.expired(20) and not visit.expired()


def test_reset_starts_the_next_visit_in_the_defaults_and_touched():
    visit, ticks = make(language="zh_TW", large_type=True, idle_seconds=60)
    assert visit.in_defaults()
    visit.set_language("en")
    visit.toggle_large_type()
    visit.toggle_voice()
    assert (visit.language, visit.large_type, visit.voice) == ("en", False, True) and not visit.in_defaults()
    first = visit.number
    ticks.t += 60
    visit.reset()
    assert (visit.language, visit.large_type, visit.voice) == ("zh_TW", True, False) and visit.in_defaults()
    assert visit.number != first and not visit.expired()


def test_each_button_is_a_touch():
    visit, ticks = make(idle_seconds=60)
    for press in (lambda: visit.set_language("en"), visit.toggle_large_type, visit.toggle_voice):
        ticks.t += 59
        press()
        ticks.t += 59
        assert not visit.expired()


def test_a_language_without_texts_is_refused_and_changes_nothing():
    visit, _ = make()
    assert not visit.knows("fr")
    with pytest.raises(ValueError, match="'fr'"):
        visit.set_language("fr")
    assert visit.language == "zh_CN"
    with pytest.raises(ValueError, match="'fr'"):
        Visit(language="fr")


def test_voice_is_lost_while_the_speaker_fails_and_a_tap_keeps_it_on():
    visit, _ = make(voice=True)
    assert not visit.voice_lost  # not tried yet
    visit.speaker_changed(False)
    assert visit.voice_lost
    visit.toggle_voice()  # a tap asks for voice again, not for silence
    assert visit.voice and visit.voice_lost
    visit.speaker_changed(True)
    assert not visit.voice_lost
    visit.toggle_voice()
    assert not visit.voice and not visit.voice_lost


def test_the_speaker_outlives_the_visit():
    visit, _ = make()
    visit.speaker_changed(False)
    visit.toggle_voice()
    visit.reset()
    assert visit.speaker_working is False and not visit.voice and not visit.voice_lost
