"""The three catalogues say the same things: same keys, same fields to fill."""
from __future__ import annotations

import string
from datetime import datetime

import pytest

from hall.spec import LANGUAGES
from kiosk.i18n import Translator, catalogue
from tests.conftest import OPEN_MORNING


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "zh_CN"])
def test_every_language_has_every_key_with_the_same_fields(language):
    reference, other = catalogue("zh_CN"), catalogue(language)
    assert set(other) == set(reference)
    for key, text in reference.items():
        assert fields(other[key]) == fields(text), key
        assert other[key].strip(), key


def test_text_is_filled_and_formatted_per_language():
    zh, tw, en = Translator("zh_CN"), Translator("zh_TW"), Translator("en")
    assert zh.counters(("1", "2")) == "1、2号窗口"
    assert tw.counters(("1", "2")) == "1、2號窗口"
    assert en.counters(("1", "2")) == "Counter 1, 2"
    assert zh.wait(15) == "约 15 分钟" and zh.wait(0) == "无需等候"
    assert en.wait(15) == "about 15 min"
    assert zh.datetime(OPEN_MORNING) == "2026年11月25日 09:00"
    assert en.datetime(datetime(2026, 1, 5, 14, 7)) == "2026-01-05 14:07"
    assert zh.t("refusal.break", when="13:30") == "现在是休息时间，13:30 继续取号。"


def test_an_unknown_language_or_key_is_refused():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Translator("fr")
    with pytest.raises(KeyError, match="no text for 'home.nothing'"):
        Translator("en").t("home.nothing")


def test_simplified_and_traditional_differ_where_they_should():
    assert Translator("zh_CN").t("ticket.counters") == "办理窗口"
    assert Translator("zh_TW").t("ticket.counters") == "辦理窗口"
    assert Translator("zh_CN").t("home.choose") != Translator("zh_TW").t("home.choose")


def test_english_counts_read_as_a_person_writes_them():
    en = Translator("en")
    assert [en.people(n) for n in (0, 1, 6)] == ["No one", "1 person", "6 people"]
    assert en.count("services.waiting", 1) == "1 person waiting"
    assert en.count("services.waiting", 8) == "8 people waiting"
    assert f"{en.t('ticket.ahead')}: {en.people(6)}" == "Ahead of you: 6 people"
    assert Translator("zh_CN").people(6) == "6 人"
    assert Translator("zh_CN").count("services.waiting", 8) == "等候 8 人"
