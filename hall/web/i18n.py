"""The pages' translation layer: catalogues in hall/web/locales (zh_CN the reference, a key
missing elsewhere falls back to it) and the choice of language for a request: `?lang=`
first (a hall display has no language settings of its own), then the browser's
Accept-Language, then Simplified Chinese."""
from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from hall.spec import LANGUAGES

DEFAULT_LANGUAGE = "zh_CN"
HTML_LANG = {"zh_CN": "zh-Hans", "zh_TW": "zh-Hant", "en": "en"}
_LOCALES = Path(__file__).resolve().parent / "locales"
_TRADITIONAL = re.compile(r"^zh-(tw|hk|mo|hant)\b")


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """section.key -> text."""
    with open(_LOCALES / f"{language}.toml", "rb") as f:
        return {f"{section}.{key}": text for section, table in tomllib.load(f).items() for key, text in table.items()}


def negotiate(accept_language: str | None, asked: str | None = None) -> str:
    if asked in LANGUAGES:
        return asked
    ranked = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().lower().partition(";")
        quality = 1.0
        if (q := params.strip()).startswith("q="):
            try:
                quality = float(q[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        if _TRADITIONAL.match(tag):
            return "zh_TW"
        if tag == "zh" or tag.startswith("zh-"):
            return "zh_CN"
        if tag == "en" or tag.startswith("en-"):
            return "en"
    return DEFAULT_LANGUAGE


class Texts:
    def __init__(self, language: str):
        self.language = language
        self.html_lang = HTML_LANG[language]
        self._texts = catalogue(language)
        self._fallback = catalogue(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **fields: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key)
        if text is None:
            raise KeyError(f"no text for {key!r}")
        return text.format(**fields) if fields else text

    def section(self, *sections: str) -> dict[str, str]:
        """The texts of these sections, for a page's script (which fills in {fields} itself)."""
        keys = {k for k in self._fallback if k.split(".", 1)[0] in sections}
        return {k: self(k) for k in sorted(keys)}
