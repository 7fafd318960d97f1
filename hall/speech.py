"""How a hall speaks: ticket numbers and calls as text to say, and that text as audio.

The ticket kiosk says the citizen's number; the hall display says the calls
(请A001号到3号窗口办理). Both say them with these functions, so a number sounds the same at
the entrance and in the waiting room.

A number is said digit by digit: espeak-ng reads "A123号" as "A一百二十三号", which is not
how a hall calls it, and a citizen waiting for A123 must hear the digits printed on the slip.
Its letter is said as halls announce it, by its English name: the Mandarin voice reads a bare
Latin letter by its pinyin sound (G as "zhì", C as "sei"), so in Chinese the letter is given
as the characters that sound its English name (C: 西, G: 吉).

What is written for the eye is said as a person says it: a date as 二零二四年1月1日 or
"1 January 2024" (not "二千二十四 零一 零一"), a time as 11点 or "11 o'clock" (not "十一
零零"), and the counters that may call a ticket as "1号、2号或8号窗口" or "counter 1, 2 or 8".
Audio comes from espeak-ng, offline: its Mandarin voice that reads characters as Mandarin is
`cmn-latn-pinyin` (`cmn` and `zh` read many as English-spelled pinyin); Traditional
characters are read by the same voice. Text goes to espeak-ng on stdin, never as an argument.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from datetime import date

from hall.errors import HallError

VOICES = {"zh_CN": "cmn-latn-pinyin", "zh_TW": "cmn-latn-pinyin", "en": "en"}
ESPEAK = "espeak-ng"
_CHINESE_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
# The English names of the letters, as Mandarin characters the voice reads close to them.
_LETTER_NAMES = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    "诶", "比", "西", "迪", "伊", "艾弗", "吉", "艾尺", "艾", "杰", "开", "艾勒", "艾姆", "恩", "欧", "批",
    "丘", "阿尔", "艾斯", "提", "优", "维", "达布溜", "艾克斯", "歪", "贼德")))
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WORDS = {  # (counter, "or", hour, minute) as a person says them
    "zh_CN": ("号", "或", "点", "分"),
    "zh_TW": ("號", "或", "點", "分"),
}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CLOCK_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{3,7}(?![A-Za-z0-9])")


class SpeechUnavailable(HallError):
    """espeak-ng is missing or failed: the words cannot be said."""


def spoken_number(number: str, language: str) -> str:
    """A ticket number as it is said: A001 → "诶零零一号" (zh_CN: A by its English name),
    "诶零零一號" (zh_TW), "A, 0, 0, 1" (en, where the pauses keep "A" from being read as the
    article)."""
    if language == "en":
        return ", ".join(number)
    suffix = "號" if language == "zh_TW" else "号"
    return "".join(_LETTER_NAMES.get(c, c) for c in number).translate(_CHINESE_DIGITS) + suffix


def spoken_date(day: date, language: str) -> str:
    """2024-01-01 → 二零二四年1月1日 (the year digit by digit, as it is said) or "1 January 2024"."""
    if language == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{str(day.year).translate(_CHINESE_DIGITS)}年{day.month}月{day.day}日"


def spoken_time(hour: int, minute: int, language: str) -> str:
    """11:00 → 11点, 13:30 → 13点30分, 13:05 → 13点05分; "11 o'clock", "13:30", "13 oh 5"."""
    if language == "en":
        if minute == 0:
            return f"{hour} o'clock"
        return f"{hour}:{minute}" if minute >= 10 else f"{hour} oh {minute}"
    _, _, at, minutes = _WORDS[language]
    return f"{hour}{at}" if minute == 0 else f"{hour}{at}{minute:02d}{minutes}"


def spoken_counters(ids: Sequence[str], language: str) -> str:
    """The counters that may call a ticket: 1号、2号或8号窗口 / "counter 1, 2 or 8"."""
    ids = list(ids)
    if language == "en":
        listed = ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} or {ids[-1]}"
        return f"counter {listed}"
    counter, either, _, _ = _WORDS[language]
    named = [f"{i}{counter}" for i in ids]
    listed = named[0] if len(named) == 1 else f"{'、'.join(named[:-1])}{either}{named[-1]}"
    return f"{listed}窗口"


def spoken_text(text: str, language: str) -> str:
    """A sentence written for the screen, as it is said: its dates, times and ticket numbers
    in their spoken forms (您今天 09:00 已取过…号码 C001 → 您今天 9点 已取过…号码 西零零一号)."""
    def day(match: re.Match) -> str:
        return spoken_date(date(*(int(g) for g in match.groups())), language)

    text = _ISO_DATE.sub(day, text)
    text = _CHINESE_DATE.sub(day, text)
    text = _CLOCK_TIME.sub(lambda m: spoken_time(int(m[1]), int(m[2]), language), text)
    return _TICKET_NUMBER.sub(lambda m: spoken_number(m[0], language), text)


def spoken_call(number: str, counter: str, language: str, *, number_twice: bool = False) -> str:
    """A call as it is said: 请诶零零一号到3号窗口办理 for A001 at counter 3; with the number
    twice, 请诶零零一号，诶零零一号到3号窗口办理."""
    said = spoken_number(number, language)
    if number_twice:
        said = f"{said}, {said}" if language == "en" else f"{said}，{said}"
    if language == "en":
        return f"Number {said}, please go to counter {counter}."
    if language == "zh_TW":
        return f"請{said}到{counter}號窗口辦理"
    return f"请{said}到{counter}号窗口办理"


def espeak_command(language: str, *, executable: str = ESPEAK) -> list[str]:
    """The espeak-ng command that reads text from stdin and writes WAV to stdout."""
    try:
        voice = VOICES[language]
    except KeyError:
        raise ValueError(f"no voice for language {language!r}; known: {', '.join(VOICES)}") from None
    return [executable, "-v", voice, "--stdout"]


def synthesize(text: str, language: str, *, timeout: float = 30.0) -> bytes:
    """WAV bytes of `text` said in `language`. Raises SpeechUnavailable."""
    try:
        done = subprocess.run(espeak_command(language), input=text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechUnavailable(f"{ESPEAK} could not run: {exc}") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
        raise SpeechUnavailable(f"{ESPEAK} failed ({done.returncode}): {done.stderr.decode(errors='replace')[:300]}")
    return _sized_wav(done.stdout)


def _sized_wav(data: bytes) -> bytes:
    """espeak-ng streams its WAV with placeholder sizes (0x7ffff000); a file served to a
    browser or a player that trusts the header needs the real ones."""
    at = data.find(b"data", 12)
    if at < 0:
        raise SpeechUnavailable(f"{ESPEAK} wrote no audio data")
    out = bytearray(data)
    out[4:8] = (len(data) - 8).to_bytes(4, "little")
    out[at + 4:at + 8] = (len(data) - at - 8).to_bytes(4, "little")
    return bytes(out)
