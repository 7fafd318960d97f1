"""The translation layer: every string a citizen sees or reads on paper comes from here.

Catalogues are TOML files in kiosk/locales, one per language, so that a translator edits
text, not code. zh_CN is the reference: a key missing elsewhere falls back to it.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hall.i18n import Catalogue, load_catalogue

LOCALES = Path(__file__).resolve().parent / "locales"


def catalogue(language: str) -> dict[str, str]:
    return load_catalogue(LOCALES, language)


class Translator(Catalogue):
    """The kiosk's texts, with the forms its screens and tickets share."""

    folder = LOCALES

    def count(self, key: str, n: int, **fields: object) -> str:
        """A text about `n` people or things, in the form the language writes for that
        number: `key.zero`, `key.one` or `key.other` ("No one", "1 person", "6 people")."""
        form = "zero" if n == 0 else "one" if n == 1 else "other"
        return self.t(f"{key}.{form}", n=n, **fields)

    def people(self, n: int) -> str:
        return self.count("format.people", n)

    def wait(self, minutes: int, *, paused: bool = False) -> str:
        """The hall's estimate; `paused` when every counter that would call is paused."""
        if paused:
            return self.t("format.paused")
        return self.t("format.no_wait") if minutes <= 0 else self.t("format.minutes", n=minutes)

    def counters(self, ids: tuple[str, ...] | list[str]) -> str:
        return self.t("format.counter_list", ids=self.t("format.counter_join").join(ids))

    def date(self, day: date) -> str:
        return self.t("format.date", y=day.year, m=f"{day.month:02d}", d=f"{day.day:02d}")

    def datetime(self, when: datetime) -> str:
        return self.t("format.datetime", y=when.year, m=f"{when.month:02d}", d=f"{when.day:02d}",
                      H=f"{when.hour:02d}", M=f"{when.minute:02d}")
