"""The simulated SAM as pyserial sees it: the real bytes, its card states, faults and URL options."""
from __future__ import annotations

import time

import pytest
import serial

import devices.idcard  # noqa: F401  (registers devices.urlhandler with pyserial)
from devices import idcard_protocol as sam
from devices.errors import BadDeviceUrl
from devices.idcard_record import layout_text_block
from tests.devices.idcards import card_fields, card_toml

FIND = bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")
SELECT = bytes.fromhex("AA AA AA 96 69 00 03 20 02 21")
READ = bytes.fromhex("AA AA AA 96 69 00 03 30 01 32")


def reply(status: int) -> bytes:
    return bytes.fromhex("AA AA AA 96 69 00 04 00 00") + bytes((status, 4 ^ status))


def exchange(port, request: bytes, size: int = 11) -> bytes:
    port.write(request)
    return port.read(size)


def test_find_select_read_in_the_real_bytes():
    port = serial.serial_for_url("simidcard://", timeout=0.5)
    assert exchange(port, FIND) == reply(0x9F) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 9F 9B")
    assert exchange(port, SELECT) == reply(0x90)
    data = exchange(port, READ, 1295)
    assert data[:14] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert data[14:270] == layout_text_block(card_fields())
    assert data[-1] == sam.checksum(data[5:-1])


def test_out_of_order_commands_fail_as_a_sam_does():
    port = serial.serial_for_url("simidcard://", timeout=0.5)
    assert exchange(port, SELECT) == reply(0x81)
    assert exchange(port, READ) == reply(0x41)


def test_a_read_card_is_halted_but_can_be_read_again_while_selected():
    port = serial.serial_for_url("simidcard://", timeout=0.5)
    for request in (FIND, SELECT):
        exchange(port, request)
    first = exchange(port, READ, 1295)
    assert exchange(port, FIND) == reply(0x80)
    assert exchange(port, READ, 1295) == first
    port.reader.lift()
    assert exchange(port, READ) == reply(0x41)
    port.reader.place(port.reader.lifted)
    assert exchange(port, FIND) == reply(0x9F)


def test_bad_requests_get_the_sam_status_for_them():
    port = serial.serial_for_url("simidcard://", timeout=0.5)
    assert exchange(port, FIND[:-1] + b"\x00") == reply(0x10)  # checksum error
    assert exchange(port, sam.PREAMBLE + bytes.fromhex("00 02 20 22")) == reply(0x11)  # LEN 2: no room for a command
    assert exchange(port, sam.encode_request(b"\x12\xff")) == reply(0x21)  # read SAM id: not simulated
    assert port.reader.commands == [b"\x12\xff"]


def test_a_request_split_across_writes():
    port = serial.serial_for_url("simidcard://", timeout=0.5)
    port.write(FIND[:4])
    assert port.in_waiting == 0
    port.write(FIND[4:])
    assert port.read(11) == reply(0x9F)


@pytest.mark.parametrize("query, request_, expected", [
    ("fault=bad_checksum&fault_on=find", FIND, reply(0x9F)[:-1] + bytes((0x9B ^ 0xFF,))),
    ("fault=truncated&fault_on=find", FIND, reply(0x9F)[:8]),
    ("fault=silent&fault_on=find", FIND, b""),
    ("fault=sam_error&fault_on=find&sw=31", FIND, reply(0x31)),
    ("fault=lifted&fault_on=find", FIND, reply(0x80)),
])
def test_each_fault_on_the_wire(query, request_, expected):
    port = serial.serial_for_url(f"simidcard://?{query}", timeout=0.1)
    assert exchange(port, request_) == expected


def test_a_fault_strikes_only_as_often_as_asked():
    port = serial.serial_for_url("simidcard://?fault=sam_error&fault_on=find&fault_times=2", timeout=0.1)
    assert [exchange(port, FIND) for _ in range(3)] == [reply(0x60), reply(0x60), reply(0x9F)]


def test_replies_paced_at_the_wire_speed():
    port = serial.serial_for_url("simidcard://?baudrate=9600", timeout=2)
    for request in (FIND, SELECT):
        exchange(port, request)
    port.write(READ)
    assert port.in_waiting < 100  # 1295 bytes take 1.35 s at 9600 baud
    started = time.monotonic()
    assert len(port.read(1295)) == 1295
    assert time.monotonic() - started > 1.2


def test_an_unplugged_reader_fails_reads_and_writes():
    port = serial.serial_for_url("simidcard://", timeout=0.1)
    port.unplug()
    with pytest.raises(serial.SerialException, match="unplugged"):
        port.write(FIND)
    with pytest.raises(serial.SerialException, match="unplugged"):
        port.read(1)


@pytest.mark.parametrize("query, words", [
    ("wat=1", "unknown option: 'wat'"),
    ("present=maybe", "present must be 1 or 0"),
    ("fault=fire", "fault must be one of bad_checksum|truncated|silent|sam_error|lifted"),
    ("fault=silent&fault_on=eject", "fault_on must be one of status|find|select|read"),
    ("fault_times=-1", "fault_times must be 0 or more"),
    ("sw=zz", "invalid literal"),
    ("sw=100", "sw must be one byte"),
    ("baudrate=0", "baudrate must be above 0"),
    ("loop=1&loop=0", "given 2 times"),
])
def test_bad_options_show_the_expected_form(query, words):
    with pytest.raises(BadDeviceUrl, match="simidcard://") as caught:
        serial.serial_for_url(f"simidcard://?{query}")
    assert words in str(caught.value)


@pytest.mark.parametrize("content, words", [
    (None, "No such file"),
    ("[[card]\n", "Expected ']]'"),
    ("title = 'no cards'\n", "it holds no [[card]] table"),
    ("[[card]]\nnation = 1\n", 'card 1: write every field as a string, such as nation = "01"'),
    (card_toml(card_fields(), card_fields(name="王" * 20)), "card 2: field name takes at most 15"),
    ("[[card]]\nphoto = 'x'\n", "card 1: unknown text block fields: photo"),
])
def test_card_file_mistakes_are_named(tmp_path, content, words):
    path = tmp_path / "cards.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BadDeviceUrl, match="simidcard card file") as caught:
        serial.serial_for_url(f"simidcard://?card={path}")
    assert words in str(caught.value)
