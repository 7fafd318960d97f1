"""Printer profiles: the two common roll widths, and mistakes caught at start-up."""
from __future__ import annotations

import pytest

from devices.errors import UnknownPrinterProfile
from devices.printer_profiles import PROFILES, PrinterProfile, get_profile


def test_common_widths():
    assert (get_profile("80mm").columns, get_profile("80mm").dots_per_line) == (48, 576)
    assert (get_profile("58mm").columns, get_profile("58mm").dots_per_line) == (32, 384)
    assert all(p.encoding == "gb18030" and p.chinese_mode for p in PROFILES.values())


def test_unknown_profile_lists_the_known_names():
    with pytest.raises(UnknownPrinterProfile, match="unknown printer profile '76mm'; known profiles: '58mm', '80mm'"):
        get_profile("76mm")


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"cut": "half"}, "cut must be"),
        ({"qr_module_size": 0}, "qr_module_size"),
        ({"number_size": 0x88}, "number_size"),
        ({"columns": 8}, "columns"),
    ],
)
def test_bad_profiles_are_refused(changes, words):
    fields = dict(name="test", columns=48, dots_per_line=576) | changes
    with pytest.raises(ValueError, match=words):
        PrinterProfile(**fields)
