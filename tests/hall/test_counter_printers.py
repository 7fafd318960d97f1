"""A counter's printer in hall.toml: read as the driver reads it, so that a URL it could not
open, or an unknown paper, stops the server at start naming the file, the line and the key;
kept out of the definition a hall sends to its parent; a simulated one spooling its jobs."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devices.receipt_layout import render_receipt
from hall.configfile import ConfigError
from hall.counter_printers import CounterPrinters, CounterPrintFailed, PrinterProblem
from hall.spec import load_hall
from tests.conftest import ROOT, SAMPLE_HALL
from tests.devices.test_receipt_layout import receipt

COUNTER_3 = '[[counters]]\nid = "3"\nservices = ["household"]\n'


def hall_file(tmp_path, lines: str):
    """The sample hall with `lines` added to counter 3, and the line they start on."""
    text = SAMPLE_HALL.read_text(encoding="utf-8")
    assert COUNTER_3 in text
    line = text[:text.index(COUNTER_3) + len(COUNTER_3)].count("\n") + 1
    path = tmp_path / "hall.toml"
    path.write_text(text.replace(COUNTER_3, COUNTER_3 + lines), encoding="utf-8")
    return path, line


@pytest.mark.parametrize("lines,words", [
    ('printer = "lpt1://LPT1"\n', ["counters[2].printer", "'lpt1://LPT1'", "unknown printer URL scheme 'lpt1'",
                                  "tcp://HOST[:9100]"]),
    ('printer = "paper.bin"\n', ["counters[2].printer", "'paper.bin' names no printer URL scheme",
                                 "file:///dev/usb/lp0"]),
    ('printer = "tcp://:9100"\n', ["counters[2].printer", "expected tcp://HOST[:9100]"]),
    ('printer = "tcp://10.0.0.5:9100?baudrate=9600"\n', ["counters[2].printer", "baudrate"]),
    ('printer = "simprinter://?paper=wet"\n', ["counters[2].printer", "paper must be one of ok|near_end|out"]),
    ('printer = "usb://04b8"\n', ["counters[2].printer", "VID and PID as 4 hex digits"]),
    ('printer = "tcp://10.0.0.5:9100"\nprinter_profile = "76mm"\n', ["counters[2].printer_profile", "'76mm'",
                                                                     "'58mm'", "'80mm'"]),
])
def test_a_printer_the_driver_could_not_open_is_refused_with_file_and_line(tmp_path, lines, words):
    path, line = hall_file(tmp_path, lines)
    with pytest.raises(ConfigError) as refused:
        load_hall(path)
    message = str(refused.value)
    assert str(path) in message
    where = line + lines.count("\n") - 1   # the last line added is the one at fault
    assert f"line {where}, {words[0]}" in message, message
    for word in words[1:]:
        assert word in message, message


def test_the_server_does_not_start_on_such_a_printer(tmp_path):
    path, line = hall_file(tmp_path, 'printer = "ftp://10.0.0.5"\n')
    result = subprocess.run([sys.executable, "-m", "hall", "serve", "--port", "0", "--hall", str(path),
                             "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in result.stderr and f"line {line}, counters[2].printer" in result.stderr
    assert "unknown printer URL scheme 'ftp'" in result.stderr


def test_every_form_a_kiosk_takes_names_a_counters_printer_and_none_goes_up(tmp_path):
    forms = ["tcp://10.0.0.5", "tcp://printer-3.hall.lan:9100", "serial:///dev/ttyUSB0?baudrate=115200",
             "file:///dev/usb/lp0", "usb://04b8:0202", "simprinter://?paper=near_end", "loop://"]
    for form in forms:
        path, _ = hall_file(tmp_path, f'printer = "{form}"\nprinter_profile = "58mm"\n')
        spec = load_hall(path)
        counter = next(c for c in spec.counters if c.id == "3")
        assert (counter.printer, counter.printer_profile) == (form, "58mm")
        # The definition the uplink sends its parent (spec.model_dump) names no printer.
        assert "printer" not in str(spec.model_dump(mode="json")), form
    assert next(c for c in load_hall(SAMPLE_HALL).counters if c.id == "3").printer is None


def test_a_counter_on_the_simulated_printer_gets_its_receipts_in_the_data_folder(tmp_path):
    """simprinter:// at a counter spools each job where the server keeps its data, as a
    kiosk's does, with a preview a person can read; a counter without a printer says so."""
    path, _ = hall_file(tmp_path, 'printer = "simprinter://"\nprinter_profile = "58mm"\n')
    printers = CounterPrinters(load_hall(path), spool_dir=tmp_path / "printer")
    job = render_receipt(receipt(), printers.profile("3"))
    printed = printers.print_job("3", job, "receipt")
    assert (printed.bytes_written, printed.paper_low) == (len(job), False)
    assert (tmp_path / "printer" / "ticket-0001.bin").read_bytes() == job
    preview = (tmp_path / "printer" / "ticket-0001.txt").read_text(encoding="utf-8")
    assert "受理回执" in preview and "1. 居民户口簿" in preview
    with pytest.raises(CounterPrintFailed) as refused:
        printers.print_job("1", job, "receipt")
    assert refused.value.problem is PrinterProblem.NO_PRINTER
