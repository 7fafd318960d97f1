"""A keyboard-wedge scanner's burst of keys told apart from a person typing."""
from __future__ import annotations

import pytest

from kiosk.keyboard_scan import ENTER, KeyBurstDetector, Scanned, Typed

CODE = "HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930.AAAQEAYEAUDAOCAJBIFQYDIOB4"


def play(detector: KeyBurstDetector, keys: str, start: float, gap: float) -> tuple[list, float]:
    """Keys pressed ``gap`` apart from ``start``; ENTER in ``keys`` presses Enter."""
    out, at = [], start
    for char in keys:
        out += detector.enter(at) if char == ENTER else detector.key(char, at)
        at += gap
    return out, at


def test_a_scanner_burst_ended_by_enter_is_one_scan():
    out, _ = play(KeyBurstDetector(), CODE + ENTER, 10.0, 0.008)
    assert out == [Scanned(CODE)]


def test_a_person_typing_is_handed_on_as_typed():
    detector = KeyBurstDetector()
    out, at = play(detector, "A001" + ENTER, 10.0, 0.15)
    assert out == [Typed("A"), Typed("0"), Typed("0"), Typed("1"), Typed(ENTER)]


def test_a_held_key_is_released_once_its_deadline_passes():
    detector = KeyBurstDetector(max_gap=0.05)
    assert detector.key("7", 1.0) == [] and detector.deadline == pytest.approx(1.05)
    assert detector.flush(1.04) == []
    assert detector.flush(1.06) == [Typed("7")] and detector.deadline is None


def test_a_short_fast_burst_is_typing():
    out, _ = play(KeyBurstDetector(min_length=4), "ab" + ENTER, 5.0, 0.01)
    assert out == [Typed("ab"), Typed(ENTER)]


def test_typing_then_a_scan_then_typing():
    detector = KeyBurstDetector()
    out, at = play(detector, "1", 0.0, 0.2)
    burst, at = play(detector, "A001" + ENTER, at + 0.3, 0.005)
    after, _ = play(detector, "x", at + 0.5, 0.2)
    assert out == [] and burst == [Typed("1"), Scanned("A001")] and after == []
    assert detector.flush(at + 1.0) == [Typed("x")]


def test_a_burst_broken_by_a_pause_is_typing_up_to_the_pause():
    detector = KeyBurstDetector(max_gap=0.05)
    first, at = play(detector, "HKB1", 0.0, 0.01)
    second, _ = play(detector, "QRST" + ENTER, at + 0.2, 0.01)
    assert first == [] and second == [Typed("HKB1"), Scanned("QRST")]


def test_chinese_characters_from_a_scanner_that_types_them():
    out, _ = play(KeyBurstDetector(), "取号成功" + ENTER, 0.0, 0.004)
    assert out == [Scanned("取号成功")]


def test_settings_are_checked():
    with pytest.raises(ValueError):
        KeyBurstDetector(max_gap=0)
    with pytest.raises(ValueError):
        KeyBurstDetector(min_length=0)
