"""Text catalogues: one TOML file per language in a folder, zh_CN the reference, a key
missing in another language falling back to it.

The kiosk (kiosk/locales) and the server's pages (hall/web/locales) keep their own texts,
because a citizen at a touchscreen and a clerk at a browser are told different things, but
they load and look them up by these same rules, so that a catalogue test holds for both.
"""
from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from hall.spec import LANGUAGES

DEFAULT_LANGUAGE = "zh_CN"


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
def load_catalogue(folder: Path, language: str) -> dict[str, str]:
    """section.key -> text, for one language of the catalogues in `folder`."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    with open(folder / f"{language}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


class Catalogue:
    """Text in one language; `t("ticket.title")`, with `{name}` fields filled from keywords.
    Each subclass names its `folder`."""

    folder: Path

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language
        self._texts = load_catalogue(self.folder, language)
        self._fallback = load_catalogue(self.folder, DEFAULT_LANGUAGE)

    def t(self, key: str, **fields: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key)
        if text is None:
            raise KeyError(f"no text for {key!r}")
        return text.format(**fields) if fields else text
