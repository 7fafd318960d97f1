"""The five levels of a rating as a citizen taps them (非常满意 first), in the visit's language:
the counter terminal's prompt and the ticket kiosk's late rating show the same faces."""
from __future__ import annotations

from dataclasses import dataclass

from hall.ratings.terms import BAD_UP_TO, LEVELS
from kiosk.i18n import Translator


@dataclass(frozen=True)
class Face:
    level: int
    label: str
    bad: bool


def faces(tr: Translator) -> list[Face]:
    return [Face(level, tr.t(f"rating.level_{level}"), level <= BAD_UP_TO) for level in sorted(LEVELS, reverse=True)]
