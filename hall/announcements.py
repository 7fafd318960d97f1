"""The hall display's announcements: each call spoken as a WAV made on the server (the
browser has no Chinese voice) and kept on disk, or a chime for halls that want no speech.

The spoken text and its synthesis are hall.speech's; this module keeps what it made, one
file per distinct text, so that a recall, a second display or a restart costs a file read.
Two requests for the same new call make it once.
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import threading
import wave
from functools import cached_property
from pathlib import Path

LANGUAGE = "zh_CN"      # the hall's spoken language; the display's captions follow each page's
CHIME_RATE = 22050
CHIME_NOTES = ((659.25, 0.45), (523.25, 0.7))   # E5 then C5: the "ding-dong" of a hall


class Announcer:
    def __init__(self, folder: Path, *, language: str = LANGUAGE):
        self.folder = Path(folder)
        self.language = language
        self._guard = threading.Lock()
        self._making: dict[str, threading.Lock] = {}

    def call(self, number: str, counter: str, *, number_twice: bool = False) -> Path:
        """The WAV file of 请{number}号到{counter}号窗口办理, made now if not made before.
        Raises hall.speech.SpeechUnavailable when espeak-ng cannot say it."""
        from hall import speech  # a hall that chose the chime never needs it

        text = speech.spoken_call(number, counter, self.language, number_twice=number_twice)
        path = self.folder / f"{hashlib.sha256(f'{self.language}|{text}'.encode()).hexdigest()[:32]}.wav"
        if path.exists():
            return path
        with self._guard:
            lock = self._making.setdefault(path.name, threading.Lock())
        with lock:
            if not path.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                audio = speech.synthesize(text, self.language)
                # Written whole then renamed: a reader never gets half a file, even after a crash.
                with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".part", delete=False) as part:
                    part.write(audio)
                os.replace(part.name, path)
        with self._guard:
            self._making.pop(path.name, None)
        return path

    @cached_property
    def _chime(self) -> bytes:
        frames = bytearray()
        for frequency, seconds in CHIME_NOTES:
            count = int(CHIME_RATE * seconds)
            for i in range(count):
                decay = math.exp(-4.0 * i / count)
                sample = int(12000 * decay * math.sin(2 * math.pi * frequency * i / CHIME_RATE))
                frames += sample.to_bytes(2, "little", signed=True)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(CHIME_RATE)
            w.writeframes(bytes(frames))
        return out.getvalue()

    def chime(self) -> bytes:
        """A two-note chime (WAV): before each spoken call, and alone for halls that chose no speech."""
        return self._chime
