"""The entry point as a technician uses it: test-print, bad printers, a missing font."""
from __future__ import annotations

import os
import subprocess
import sys

from devices.escpos_parse import parse_escpos
from tests.conftest import ROOT, write_kiosk_config


def run_main(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, **(env or {})})


def test_test_print_goes_through_the_ticket_code_to_the_printer(tmp_path):
    config = write_kiosk_config(tmp_path)
    out = tmp_path / "paper.bin"
    result = run_main("test-print", "--config", str(config), "--printer", f"file://{out}")
    assert result.returncode == 0, result.stderr
    assert "printed a sample ticket" in result.stdout
    paper = parse_escpos(out.read_bytes())
    assert paper.chinese_mode_entered
    assert paper.largest_text() == "A001"
    assert any("城关县政务服务中心" in line for line in paper.lines)
    assert any("测试" in line for line in paper.lines)
    assert paper.qr_payloads and paper.qr_payloads[0].endswith("/A001")
    assert paper.cuts == 1


def test_test_print_in_english_on_the_simulator(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("test-print", "--config", str(config), "--language", "en")
    assert result.returncode == 0, result.stderr
    [job] = sorted((tmp_path / "data" / "printer").glob("ticket-*.bin"))
    lines = parse_escpos(job.read_bytes()).lines
    assert any("Chengguan County Government Service Centre" in line for line in lines)
    assert any(line.startswith("Counters: Counter 1, 2, 8") for line in lines)


def test_test_print_on_a_printer_without_paper_says_so_and_exits_1(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("test-print", "--config", str(config), "--printer", "simprinter://?paper=out")
    assert result.returncode == 1
    assert "not printed on simprinter://?paper=out: paper_out" in result.stderr
    assert "Traceback" not in result.stderr


def test_test_print_on_a_bad_url_explains_the_forms(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("test-print", "--config", str(config), "--printer", "serial:///dev/does-not-exist")
    assert result.returncode == 1
    assert "/dev/does-not-exist" in result.stderr and "Traceback" not in result.stderr


def test_no_chinese_font_stops_the_kiosk_with_the_fix(tmp_path):
    config = write_kiosk_config(tmp_path)
    result = run_main("--config", str(config), env={"HALL_KIOSK_FONT": str(tmp_path / "none.ttf")})
    assert result.returncode == 2
    assert "cannot start the kiosk" in result.stderr
    assert "apt-get install fonts-wqy-microhei" in result.stderr


def test_a_capabilities_cache_left_empty_or_cut_short_never_stops_the_printer(tmp_path):
    """A full disk or a power cut while python-escpos writes its cache leaves a file that
    it trusts at every later start: the cache is built again and the ticket prints."""
    import platform

    config = write_kiosk_config(tmp_path)
    cache = tmp_path / "data" / "cache" / f"{platform.python_version()}.capabilities.pickle"
    cache.parent.mkdir(parents=True)
    for left in (b"", b"\x80\x02}q\x00(X\x08\x00\x00\x00profiles"):
        cache.write_bytes(left)
        result = run_main("test-print", "--config", str(config),
                          env={"ESCPOS_CAPABILITIES_PICKLE_DIR": str(cache.parent)})
        assert result.returncode == 0, result.stderr
        assert "printed a sample ticket" in result.stdout
        assert "capabilities cache" in result.stderr and "built again" in result.stderr
        assert cache.stat().st_size > 10_000
