"""How numbers and calls are said, checked with the real espeak-ng's phonemes and audio."""
from __future__ import annotations

import io
import subprocess
import wave

import pytest

from datetime import date

from hall.speech import (espeak_command, spoken_call, spoken_counters, spoken_date, spoken_number, spoken_text,
                         spoken_time, synthesize)


def phonemes(text: str, language: str) -> str:
    """What espeak-ng will say, as its phoneme mnemonics (-x), through the same voice."""
    command = espeak_command(language)
    command.remove("--stdout")
    done = subprocess.run([*command, "-q", "-x"], input=text.encode(), capture_output=True, check=True)
    return done.stdout.decode()


def test_numbers_are_said_digit_by_digit():
    assert spoken_number("A001", "zh_CN") == "诶零零一号"
    assert spoken_number("A001", "zh_TW") == "诶零零一號"
    assert spoken_number("B120", "en") == "B, 1, 2, 0"


def test_a_call_is_said_as_the_hall_calls_it():
    assert spoken_call("A001", "3", "zh_CN") == "请诶零零一号到3号窗口办理"
    assert spoken_call("A001", "3", "zh_TW") == "請诶零零一號到3號窗口辦理"
    assert spoken_call("A001", "3", "en") == "Number A, 0, 0, 1, please go to counter 3."
    assert spoken_call("A001", "3", "zh_CN", number_twice=True) == "请诶零零一号，诶零零一号到3号窗口办理"
    assert spoken_call("A001", "3", "en", number_twice=True) == "Number A, 0, 0, 1, A, 0, 0, 1, please go to counter 3."


def test_espeak_says_the_digits_not_a_hundred_and_twenty():
    ours = phonemes(spoken_number("A123", "zh_CN"), "zh_CN")
    plain = phonemes("A123号", "zh_CN")
    assert "pai" in plain  # 一百二十三: what espeak-ng says without our help
    assert "pai" not in ours and ours.count("_|") == 5  # A, 一, 二, 三, 号


@pytest.mark.parametrize("language", ["zh_CN", "zh_TW"])
def test_letters_are_said_by_their_english_names_as_halls_call_them(language):
    """Bare, the Mandarin voice reads G as "zhì" and C as "sei"."""
    assert "ts.'i51" in phonemes("G001号", language) and "s'ei55" in phonemes("C001号", language)
    g, c = phonemes(spoken_number("G001", language), language), phonemes(spoken_number("C001", language), language)
    assert g.startswith("tS;'i35_|") and c.startswith("S;'i55_|")  # 吉 (jí), 西 (xī): "gee", "see"
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":  # no letter is left to the voice's pinyin reading
        said = spoken_number(f"{letter}001", language)
        assert not any("A" <= ch <= "Z" for ch in said), said
    assert "tS;'i35_|" in phonemes(spoken_call("G012", "3", language), language)  # the display's calls too


def test_dates_are_said_as_dates():
    assert spoken_date(date(2024, 1, 1), "zh_CN") == spoken_date(date(2024, 1, 1), "zh_TW") == "二零二四年1月1日"
    assert spoken_date(date(2024, 1, 1), "en") == "1 January 2024"
    plain = phonemes("2024-01-01", "zh_CN")
    assert "tS;h'iE55n" in plain  # 千: "二千二十四 零一 零一"
    ours = phonemes(spoken_text("您的身份证已于 2024-01-01 过期", "zh_CN"), "zh_CN")
    assert "tS;h'iE55n" not in ours and "l'i35N" in ours and ours.count("'yE51") == 1  # 二零二四年一月一日
    assert spoken_text("下次办理时间为 2026年11月26日 08:30。", "zh_CN") == "下次办理时间为 二零二六年11月26日 8点30分。"
    assert spoken_text("Next opening: 2026-11-26 08:30.", "en") == "Next opening: 26 November 2026 8:30."
    assert "d'aS" in phonemes("2024-01-01", "en") and "d'aS" not in phonemes(spoken_date(date(2024, 1, 1), "en"), "en")


def test_times_are_said_as_a_clock_is_read():
    assert phonemes("11:00", "zh_CN").count("i35N_|") == 2  # 十一 零零
    assert spoken_time(11, 0, "zh_CN") == "11点" and spoken_time(11, 0, "zh_TW") == "11點"
    assert spoken_time(13, 30, "zh_CN") == "13点30分" and spoken_time(13, 5, "zh_TW") == "13點05分"
    assert spoken_time(11, 0, "en") == "11 o'clock" and spoken_time(13, 5, "en") == "13 oh 5"
    assert "l'i35N" not in phonemes(spoken_text("请在 11:00 以后扫码签到。", "zh_CN"), "zh_CN")
    assert "z'i@roU" in phonemes("11:00", "en") and "z'i@roU" not in phonemes(spoken_time(11, 0, "en"), "en")
    assert spoken_text("您今天 09:00 已取过户籍办理的号码 C001", "zh_CN") == "您今天 9点 已取过户籍办理的号码 西零零一号"


def test_a_list_of_counters_is_said_as_a_person_says_it():
    assert spoken_counters(["1", "2"], "en") == "counter 1 or 2"
    assert spoken_counters(["1", "2", "8"], "en") == "counter 1, 2 or 8"
    assert spoken_counters(["3"], "en") == "counter 3"
    assert spoken_counters(["1", "2", "8"], "zh_CN") == "1号、2号或8号窗口"
    assert spoken_counters(["1", "2", "8"], "zh_TW") == "1號、2號或8號窗口"
    assert " O@ " in phonemes(spoken_counters(["1", "2"], "en"), "en")  # "or", not "counter one, two"


def test_synthesis_makes_a_wav_of_the_call():
    audio = synthesize(spoken_call("A001", "3", "zh_CN"), "zh_CN")
    with wave.open(io.BytesIO(audio)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 2 < seconds < 10


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="no voice for language 'fr'"):
        espeak_command("fr")


def test_a_four_digit_number_is_said_digit_by_digit():
    assert spoken_call("A1000", "3", "zh_CN") == "请诶一零零零号到3号窗口办理"
    assert spoken_call("G0012", "12", "zh_TW") == "請吉零零一二號到12號窗口辦理"
    assert spoken_call("A1000", "3", "en") == "Number A, 1, 0, 0, 0, please go to counter 3."
    assert spoken_text("您的号码 C1203", "zh_CN") == "您的号码 西一二零三号"
