"""How a hall speaks: ticket numbers and calls as text to say, and that text as audio.

The ticket kiosk says the citizen's number; the hall display says the calls
(请A001号到3号窗口办理). Both say them with these functions, so a number sounds the same at
the entrance and in the waiting room.

A number is said digit by digit: espeak-ng reads "A123号" as "A一百二十三号", which is not
how a hall calls it, and a citizen waiting for A123 must hear the digits printed on the slip.
Audio comes from espeak-ng, offline: its Mandarin voice that reads characters as Mandarin is
`cmn-latn-pinyin` (`cmn` and `zh` read many as English-spelled pinyin); Traditional
characters are read by the same voice. Text goes to espeak-ng on stdin, never as an argument.
"""
from __future__ import annotations

import subprocess

from hall.errors import HallError

VOICES = {"zh_CN": "cmn-latn-pinyin", "zh_TW": "cmn-latn-pinyin", "en": "en"}
ESPEAK = "espeak-ng"
_CHINESE_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")


class SpeechUnavailable(HallError):
    """espeak-ng is missing or failed: the words cannot be said."""


def spoken_number(number: str, language: str) -> str:
    """A ticket number as it is said: A001 → "A零零一号" (zh_CN), "A零零一號" (zh_TW),
    "A, 0, 0, 1" (en, where the pauses keep "A" from being read as the article)."""
    if language == "en":
        return ", ".join(number)
    suffix = "號" if language == "zh_TW" else "号"
    return number.translate(_CHINESE_DIGITS) + suffix


def spoken_call(number: str, counter: str, language: str) -> str:
    """A call as it is said: 请A零零一号到3号窗口办理 for A001 at counter 3."""
    said = spoken_number(number, language)
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
