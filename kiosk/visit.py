"""One citizen's time at a terminal, as every flow keeps it: the language, the type size and
voice guidance they chose, the touches that keep the visit going, and the speaker that voice
needs.

A flow (the ticket kiosk's, the counter terminal's) holds one `Visit` for its whole life and
drives it: `touched()` at every touch and on every new screen; on its clock's tick,
`expired()` (with a shorter limit where it likes, such as a ticket on screen) says whether the
citizen has gone, and `reset()` then ends the visit, so the next citizen starts in the
terminal's defaults; `set_language`, `toggle_large_type` and `toggle_voice` are what the
citizen's buttons do; `speaker_changed` follows the speaker, and `voice_lost` says when voice
was asked for and cannot be had. `number` tells one visit from the next: an answer that comes
back for an ended visit (a call for staff, a look-up) is known by it and dropped. The flow
keeps what its visits are for (a ticket, a rating) itself, and wipes it when it resets.

The visit knows nothing of states, screens or the hall: it runs on the flow's thread and
reads only its monotonic clock, so that a clock set back by NTP never ends a visit early.
Its buttons are the same on every terminal: `VisitEvent` names them in every flow's table, and
`VisitButtons` gives a flow the calls its screens make for them, while each table says what
they do there (the counter terminal says its rating prompt again in the new language).
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from hall.spec import LANGUAGES

if TYPE_CHECKING:
    from kiosk.machine import Machine


class VisitEvent(enum.Enum):
    LANGUAGE = "language"      # data: the language
    LARGE_TYPE = "large_type"
    VOICE = "voice"


class Visit:
    """The visit under way at a terminal and the defaults each new one starts from.

    `idle_seconds` without a touch end a visit; `clock` is monotonic (seconds)."""

    def __init__(self, *, language: str = "zh_CN", large_type: bool = False, voice: bool = False,
                 idle_seconds: float = 60, languages: Collection[str] = LANGUAGES,
                 clock: Callable[[], float] = time.monotonic):
        if language not in languages:
            raise ValueError(f"unknown language {language!r}; known: {', '.join(languages)}")
        self.languages = tuple(languages)
        self.default_language = language
        self.default_large_type = large_type
        self.default_voice = voice
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.number = 0
        # The speaker outlives visits: it is the terminal's, and None until it has been tried.
        self.speaker_working: bool | None = None
        self.language, self.large_type, self.voice = language, large_type, voice
        self.last_touch = clock()

    def reset(self) -> None:
        """Ends the visit: the next one starts in the defaults, touched now."""
        self.number += 1
        self.language, self.large_type, self.voice = self.default_language, self.default_large_type, self.default_voice
        self.touched()

    def touched(self) -> None:
        self.last_touch = self.clock()

    def expired(self, limit: float | None = None) -> bool:
        """Whether `limit` seconds (the visit's idle_seconds unless given) have passed
        without a touch."""
        return self.clock() - self.last_touch >= (self.idle_seconds if limit is None else limit)

    def in_defaults(self) -> bool:
        """Whether language, type size and voice are the terminal's own: a flow at rest with
        such a visit has nothing on screen to forget."""
        return ((self.language, self.large_type, self.voice)
                == (self.default_language, self.default_large_type, self.default_voice))

    def knows(self, language: str) -> bool:
        return language in self.languages

    def set_language(self, language: str) -> None:
        """Raises ValueError for a language the terminal has no texts in (see `knows`)."""
        if not self.knows(language):
            raise ValueError(f"unknown language {language!r}; known: {', '.join(self.languages)}")
        self.language = language
        self.touched()

    def toggle_large_type(self) -> None:
        self.large_type = not self.large_type
        self.touched()

    def toggle_voice(self) -> None:
        """On and off; while the speaker fails, a tap keeps voice on, and the voice guide
        tries the speaker again at the prompt it then says."""
        if not self.voice_lost:
            self.voice = not self.voice
        self.touched()

    @property
    def voice_lost(self) -> bool:
        """Whether the visit asked for voice and the speaker cannot give it."""
        return self.voice and self.speaker_working is False

    def speaker_changed(self, working: bool | None) -> None:
        """Takes the speaker's state as the voice guide last saw it (the flow follows it on
        its ticks, and tells the hall)."""
        self.speaker_working = working


class VisitButtons:
    """The visit's buttons as a flow's screens call them, fired on the flow's machine."""

    machine: Machine
    visit: Visit

    def touched(self) -> None:
        self.visit.touched()

    def set_language(self, language: str) -> None:
        self.machine.fire(VisitEvent.LANGUAGE, language)

    def toggle_large_type(self) -> None:
        self.machine.fire(VisitEvent.LARGE_TYPE)

    def toggle_voice(self) -> None:
        self.machine.fire(VisitEvent.VOICE)
