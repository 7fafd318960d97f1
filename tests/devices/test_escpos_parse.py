"""The decoder on good, foreign and broken byte streams."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.escpos_parse import CommandSplitter, EscposParseError, parse_escpos, split_commands
from devices.printer_profiles import PROFILES
from devices.ticket_layout import render_ticket
from tests.devices.sample_tickets import TYPICAL_URL, typical_printout


@pytest.mark.parametrize(
    "data, offset, words",
    [
        (b"\x1d(k\x10\x001P0abc", 0, "truncated"),  # GS ( k store announcing 16 bytes, 6 sent
        (b"\x1b@\x1d(k\x05", 2, "truncated"),  # length field itself cut short
        (b"\x1b@\x1bZ\x00", 2, "unknown command ESC 0x5a"),
        (b"\x1d(Z\x01\x00\x00", 0, "GS ( 0x5a"),
        (b"\x1dV\x07", 0, "cut mode 7"),
        (b"A001\x07", 4, "control byte 0x07"),
        (b"\x1b", 0, "truncated"),
        (b"\x1c&\xb3\xc7\x81\x20", 4, "GB18030"),  # a lead byte followed by a space
        (b"\x1d!\x88A", 0, "beyond 8x8"),
        (b"\x1d(k\x03\x001\x60\x30", 0, "QR function 96"),
        (b"\x1d(k\x03\x001P\x31", 0, "m = 48"),
        (b"\x1ba\x07", 0, "justification 7"),
        (b"\x1dv0\x00\x02\x00\x10\x00" + b"\xff" * 10, 0, "truncated"),  # raster image short of 32 bytes
    ],
)
def test_malformed_input_names_the_offset(data, offset, words):
    with pytest.raises(EscposParseError) as caught:
        parse_escpos(data)
    assert caught.value.offset == offset
    assert words in str(caught.value) and f"offset {offset}" in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_arbitrary_bytes_decode_or_raise_escpos_parse_error_only(data):
    try:
        parse_escpos(data)
    except EscposParseError:
        pass


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_truncating_a_ticket_anywhere_inside_a_command_is_reported(data):
    ticket = render_ticket(typical_printout(), PROFILES["58mm"])
    cut = data.draw(st.integers(1, len(ticket) - 1))
    try:
        parse_escpos(ticket[:cut])
    except EscposParseError as e:
        assert 0 <= e.offset < cut


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_splitter_gives_the_same_commands_for_any_chunking(chunk):
    ticket = render_ticket(typical_printout(tag="预约"), PROFILES["80mm"])
    whole = split_commands(ticket)
    splitter = CommandSplitter()
    pieces = []
    for start in range(0, len(ticket), chunk):
        pieces += splitter.feed(ticket[start : start + chunk])
    assert splitter.pending == b""
    assert b"".join(c.data for c in pieces) == ticket
    assert [c.name for c in pieces if c.name != "TEXT"] == [c.name for c in whole if c.name != "TEXT"]
    assert [c.offset for c in pieces if c.name != "TEXT"] == [c.offset for c in whole if c.name != "TEXT"]


def test_splitter_returns_good_commands_before_raising_for_bad_bytes():
    splitter = CommandSplitter()
    good = splitter.feed(b"\x1b@AB\n\x1bZ\x00")
    assert [c.name for c in good] == ["ESC @", "TEXT", "LF"]
    with pytest.raises(EscposParseError) as caught:
        splitter.feed(b"")
    assert caught.value.offset == 5
    splitter.skip(1)  # a printer would print the stray ESC as garbage and go on
    assert [(c.name, c.data) for c in splitter.feed(b"")] == [("TEXT", b"Z")]
    with pytest.raises(EscposParseError, match="offset 7: unexpected control byte 0x00"):
        splitter.feed(b"")


@pytest.mark.parametrize("impl", ["bitImageRaster", "bitImageColumn", "graphics"])
def test_python_escpos_image_qr_is_recognised_and_skipped(impl):
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.qr(TYPICAL_URL, image_arguments={"impl": impl})
    dummy.cut()
    parsed = parse_escpos(dummy.output)
    # ESC * (column format) sends one command per band of 24 dots, each counted.
    assert parsed.images >= 1 and parsed.qr_payloads == [] and parsed.cuts == 1
    assert parsed.images == 1 or impl == "bitImageColumn"


def test_chinese_text_without_chinese_mode_is_flagged():
    """python-escpos' text() sends GB18030 without FS &: the decoder says so."""
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.textln("城关县")
    parsed = parse_escpos(dummy.output)
    assert parsed.warnings and not parsed.chinese_mode_entered
    assert parsed.lines[0] != "城关县"
    assert parse_escpos(dummy.output, chinese_at_power_on=True).lines == ["城关县"]


def test_preview_is_readable(printout):
    preview = parse_escpos(render_ticket(printout, PROFILES["58mm"])).preview(32)
    assert "城关县政务服务中心" in preview
    assert "[5x5: A001]" in preview
    assert f"[QR code: {TYPICAL_URL}]" in preview
    assert "partial cut" in preview
