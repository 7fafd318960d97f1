"""How numbers and calls are said, checked with the real espeak-ng's phonemes and audio."""
from __future__ import annotations

import io
import subprocess
import wave

import pytest

from hall.speech import espeak_command, spoken_call, spoken_number, synthesize


def phonemes(text: str, language: str) -> str:
    """What espeak-ng will say, as its phoneme mnemonics (-x), through the same voice."""
    command = espeak_command(language)
    command.remove("--stdout")
    done = subprocess.run([*command, "-q", "-x"], input=text.encode(), capture_output=True, check=True)
    return done.stdout.decode()


def test_numbers_are_said_digit_by_digit():
    assert spoken_number("A001", "zh_CN") == "A零零一号"
    assert spoken_number("A001", "zh_TW") == "A零零一號"
    assert spoken_number("B120", "en") == "B, 1, 2, 0"


def test_a_call_is_said_as_the_hall_calls_it():
    assert spoken_call("A001", "3", "zh_CN") == "请A零零一号到3号窗口办理"
    assert spoken_call("A001", "3", "zh_TW") == "請A零零一號到3號窗口辦理"
    assert spoken_call("A001", "3", "en") == "Number A, 0, 0, 1, please go to counter 3."


def test_espeak_says_the_digits_not_a_hundred_and_twenty():
    ours = phonemes(spoken_number("A123", "zh_CN"), "zh_CN")
    plain = phonemes("A123号", "zh_CN")
    assert "pai" in plain  # 一百二十三: what espeak-ng says without our help
    assert "pai" not in ours and ours.count("_|") == 5  # A, 一, 二, 三, 号


def test_synthesis_makes_a_wav_of_the_call():
    audio = synthesize(spoken_call("A001", "3", "zh_CN"), "zh_CN")
    with wave.open(io.BytesIO(audio)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 2 < seconds < 10


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="no voice for language 'fr'"):
        espeak_command("fr")
