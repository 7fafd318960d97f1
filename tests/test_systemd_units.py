"""The shipped systemd units keep their sandbox: systemd's own scoring of a unit file
(`systemd-analyze security --offline=yes`), which needs no running systemd. Its bands:
PERFECT 0, SAFE below 1, OK below 5, MEDIUM, EXPOSED, UNSAFE, DANGEROUS."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

GOOD_BANDS = {"PERFECT", "SAFE", "OK"}


@pytest.mark.parametrize("unit", ["hall-server.service", "hall-kiosk.service", "hall-keypad-bridge.service"])
def test_a_shipped_unit_scores_in_systemds_good_bands(unit):
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze not found: install systemd (bash scripts/setup.sh --test)"
    result = subprocess.run([tool, "security", "--offline=yes", str(ROOT / "config" / unit)],
                            capture_output=True, text=True, timeout=120)
    summary = re.search(rf"Overall exposure level for {re.escape(unit)}: ([\d.]+) (\w+)", result.stdout)
    assert summary, result.stdout + result.stderr
    assert summary[2] in GOOD_BANDS, result.stdout
    if unit == "hall-server.service":  # a public-facing service: the sandbox the docs show
        assert float(summary[1]) <= 1.5, result.stdout
