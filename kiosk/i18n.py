"""The translation layer: every string a citizen sees or reads on paper comes from here.

Catalogues are TOML files in kiosk/locales, one per language, so that a translator edits
text, not code. zh_CN is the reference: a key missing elsewhere falls back to it.
"""
from __future__ import annotations

import functools
import tomllib
from datetime import date, datetime
from pathlib import Path

from hall.spec import LANGUAGES  # the languages a hall names its services in

DEFAULT_LANGUAGE = "zh_CN"
_LOCALES = Path(__file__).resolve().parent / "locales"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    with open(_LOCALES / f"{language}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


class Translator:
    """Text in one language; `t("ticket.title")`, with `{name}` fields filled from keywords."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language
        self._texts = catalogue(language)
        self._fallback = catalogue(DEFAULT_LANGUAGE)

    def t(self, key: str, **fields: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key)
        if text is None:
            raise KeyError(f"no text for {key!r}")
        return text.format(**fields) if fields else text

    def count(self, key: str, n: int, **fields: object) -> str:
        """A text about `n` people or things, in the form the language writes for that
        number: `key.zero`, `key.one` or `key.other` ("No one", "1 person", "6 people")."""
        form = "zero" if n == 0 else "one" if n == 1 else "other"
        return self.t(f"{key}.{form}", n=n, **fields)

    def people(self, n: int) -> str:
        return self.count("format.people", n)

    def wait(self, minutes: int) -> str:
        return self.t("format.no_wait") if minutes <= 0 else self.t("format.minutes", n=minutes)

    def counters(self, ids: tuple[str, ...] | list[str]) -> str:
        return self.t("format.counter_list", ids=self.t("format.counter_join").join(ids))

    def date(self, day: date) -> str:
        return self.t("format.date", y=day.year, m=f"{day.month:02d}", d=f"{day.day:02d}")

    def datetime(self, when: datetime) -> str:
        return self.t("format.datetime", y=when.year, m=f"{when.month:02d}", d=f"{when.day:02d}",
                      H=f"{when.hour:02d}", M=f"{when.minute:02d}")
