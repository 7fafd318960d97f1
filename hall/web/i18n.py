"""The pages' translation layer: catalogues in hall/web/locales (zh_CN the reference, a key
missing elsewhere falls back to it) and the choice of language for a request: `?lang=`
first (a hall display has no language settings of its own; the pages' language links use
it), then the choice kept from an earlier `?lang=` (so that it survives a login), then the
browser's Accept-Language, then Simplified Chinese."""
from __future__ import annotations

import re
from pathlib import Path

from hall.i18n import DEFAULT_LANGUAGE, Catalogue, load_catalogue
from hall.spec import LANGUAGES

HTML_LANG = {"zh_CN": "zh-Hans", "zh_TW": "zh-Hant", "en": "en"}
# Each language named in itself, as a reader of that language looks for it.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}
LOCALES = Path(__file__).resolve().parent / "locales"
_TRADITIONAL = re.compile(r"^zh-(tw|hk|mo|hant)\b")


def catalogue(language: str) -> dict[str, str]:
    return load_catalogue(LOCALES, language)


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


class Texts(Catalogue):
    """The pages' texts; templates call the instance itself: `t("console.title")`."""

    folder = LOCALES

    def __init__(self, language: str):
        super().__init__(language)
        self.html_lang = HTML_LANG[language]

    def __call__(self, key: str, **fields: object) -> str:
        return self.t(key, **fields)

    def section(self, *sections: str) -> dict[str, str]:
        """The texts of these sections, for a page's script (which fills in {fields} itself)."""
        keys = {k for k in self._fallback if k.split(".", 1)[0] in sections}
        return {k: self.t(k) for k in sorted(keys)}
