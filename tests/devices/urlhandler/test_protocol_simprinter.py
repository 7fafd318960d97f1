"""The simulated printer as pyserial sees it: URL options, status bytes, spooling, faults."""
from __future__ import annotations

import time

import pytest
import serial

import devices.printer  # noqa: F401  (registers devices.urlhandler with pyserial)
from devices import escpos_commands as cmd
from devices.errors import BadDeviceUrl
from devices.printer_profiles import PROFILES
from devices.ticket_layout import render_ticket
from devices.urlhandler.protocol_simprinter import SimulatedPrinter
from tests.devices.sample_tickets import typical_printout

TICKET = render_ticket(typical_printout(), PROFILES["58mm"])


@pytest.mark.parametrize(
    "paper, replies",
    [  # replies to DLE EOT 1, 2, 3, 4
        ("ok", [0x12, 0x12, 0x12, 0x12]),
        ("near_end", [0x12, 0x12, 0x12, 0x1E]),
        ("out", [0x1A, 0x32, 0x12, 0x7E]),
    ],
)
def test_status_bytes(paper, replies):
    port = serial.serial_for_url(f"simprinter://?paper={paper}", timeout=0.5)
    for n, reply in enumerate(replies, start=1):
        port.write(cmd.REAL_TIME_STATUS + bytes((n,)))
        assert port.read(1) == bytes((reply,))
    port.close()


def test_status_request_split_across_writes():
    port = serial.serial_for_url("simprinter://", timeout=0.5)
    port.write(b"\x1b@\x10")
    assert port.in_waiting == 0
    port.write(b"\x04\x04")
    assert port.read(1) == b"\x12"


def test_switched_off_printer_stays_silent_for_the_timeout():
    port = serial.serial_for_url("simprinter://?online=0", timeout=0.2)
    started = time.monotonic()
    port.write(cmd.STATUS_PRINTER)
    assert port.read(1) == b""
    assert time.monotonic() - started >= 0.19
    assert port.printer.discarded == 3


def test_each_cut_spools_a_job(tmp_path):
    port = serial.serial_for_url(f"simprinter://?spool={tmp_path}&columns=32")
    for start in range(0, len(TICKET), 50):  # a ticket arrives in pieces, as from a real port
        port.write(TICKET[start : start + 50])
    port.write(TICKET)
    assert port.jobs == [TICKET, TICKET]
    assert (tmp_path / "ticket-0002.bin").read_bytes() == TICKET
    assert "请留意叫号，过号请到服务台" in (tmp_path / "ticket-0002.txt").read_text(encoding="utf-8")


def test_garbage_is_noted_and_printing_goes_on(tmp_path):
    printer = SimulatedPrinter(spool=tmp_path)
    printer.receive(b"\x1b@\x1bZ" + TICKET)
    assert printer.decode_errors == ["at offset 2: unknown command ESC 0x5a"]
    assert len(printer.jobs) == 1 and printer.jobs[0].endswith(TICKET)
    assert "could not decode" in (tmp_path / "ticket-0001.txt").read_text(encoding="utf-8")


def test_write_fails_after_the_scripted_byte_count():
    port = serial.serial_for_url("simprinter://?fail_after=10")
    with pytest.raises(serial.SerialException, match="Input/output error") as caught:
        port.write(TICKET)
    assert isinstance(caught.value, OSError)
    assert port.bytes_written == 10


@pytest.mark.parametrize(
    "url, words",
    [
        ("simprinter://?spool=/x&wat=1", "unknown option: 'wat'"),
        ("simprinter://?online=maybe", "online must be 1 or 0"),
        ("simprinter://?fail_after=-1", "fail_after must be 0 or more"),
        ("simprinter://?fail_after=ten", "invalid literal"),
        ("simprinter://?paper=ok&paper=out", "given 2 times"),
        ("simprinter://host", "expected a URL of the form"),
    ],
)
def test_bad_options_show_the_expected_form(url, words):
    with pytest.raises(BadDeviceUrl, match="simprinter://") as caught:
        serial.serial_for_url(url)
    assert words in str(caught.value)
