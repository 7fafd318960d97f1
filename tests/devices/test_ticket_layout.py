"""The ticket's bytes, checked exactly and by decoding them back as a printer would."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import escpos_commands as cmd
from devices.escpos_parse import parse_escpos
from devices.printer_profiles import PROFILES, PrinterProfile
from devices.ticket_layout import MAX_TICKET_BYTES, render_ticket, text_columns, wrap_columns
from tests.devices.sample_tickets import TYPICAL_URL, typical_printout

HALL = "城关县政务服务中心".encode("gb18030")


def test_header_bytes_80mm(printout):
    data = render_ticket(printout, PROFILES["80mm"])
    assert data.startswith(
        b"\x1b@"  # ESC @ initialise
        b"\x1c&"  # FS & Chinese mode
        b"\x1ba\x01"  # ESC a 1 centre
        b"\x1bE\x01" + HALL + b"\n\x1bE\x00"  # hall name in bold
        b"\x1d!\x55A001\n\x1d!\x00"  # the number at 6x6, then back to normal size
        b"\x1d!\x11" + "社会保障".encode("gb18030") + b"\n\x1d!\x00"  # service at 2x2
    )


def test_qr_and_cut_bytes(printout):
    data = render_ticket(printout, PROFILES["80mm"])
    payload = TYPICAL_URL.encode()
    qr = (
        b"\x1d(k\x04\x00\x31\x41\x32\x00"  # fn 65: model 2
        b"\x1d(k\x03\x00\x31\x43\x06"  # fn 67: 6-dot modules
        b"\x1d(k\x03\x00\x31\x45\x31"  # fn 69: error correction M
        + b"\x1d(k" + bytes((len(payload) + 3, 0)) + b"\x31\x50\x30" + payload  # fn 80: store
        + b"\x1d(k\x03\x00\x31\x51\x30"  # fn 81: print
    )
    assert b"\x1ba\x01\n" + qr + "扫码查看排队进度".encode("gb18030") + b"\n" in data
    assert data.endswith(b"\x1bd\x04\x1dV\x01")  # feed 4 lines, partial cut


def test_qr_bytes_match_python_escpos_native_qr(printout):
    from escpos.constants import QR_ECLEVEL_M
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.qr(TYPICAL_URL, ec=QR_ECLEVEL_M, size=6, native=True)
    assert dummy.output in render_ticket(printout, PROFILES["80mm"])


def test_constants_agree_with_python_escpos():
    from escpos import constants as ec

    assert cmd.INIT == ec.HW_INIT
    assert cmd.CUT_PARTIAL == ec.PAPER_PART_CUT and cmd.CUT_FULL == ec.PAPER_FULL_CUT
    assert cmd.CHAR_SIZE == ec.TXT_SIZE
    assert cmd.BOLD_ON == ec.TXT_STYLE["bold"][True] and cmd.BOLD_OFF == ec.TXT_STYLE["bold"][False]
    assert cmd.ALIGN_CENTER == ec.TXT_STYLE["align"]["center"] and cmd.ALIGN_LEFT == ec.TXT_STYLE["align"]["left"]
    assert cmd.INVERT_ON == ec.TXT_STYLE["invert"][True]
    assert cmd.STATUS_PRINTER == ec.RT_STATUS_ONLINE and cmd.STATUS_PAPER == ec.RT_STATUS_PAPER
    assert cmd.STATUS_OFFLINE_BIT == ec.RT_MASK_ONLINE


def test_decoded_ticket_reads_back(printout, profile):
    parsed = parse_escpos(render_ticket(printout, profile))
    assert parsed.chinese_mode_entered and not parsed.warnings
    assert "城关县政务服务中心" in parsed.lines
    assert parsed.line_containing("城关县").bold
    assert parsed.largest_text() == "A001"
    assert parsed.line_containing("社会保障").width == 2
    for row in ("办理窗口：1、2号窗口", "前面等候：3 人", "预计等候：约 15 分钟", "取号时间：2026-11-27 09:12"):
        assert row in parsed.lines
    assert parsed.qr_payloads == [TYPICAL_URL] and parsed.qr_printed == 1
    assert "扫码查看排队进度" in parsed.lines
    assert "请留意叫号，过号请到服务台" in parsed.lines
    assert parsed.cuts == 1


@pytest.mark.parametrize("name, size", [("80mm", 6), ("58mm", 5)])
def test_number_size_per_profile(printout, name, size):
    line = parse_escpos(render_ticket(printout, PROFILES[name])).line_containing("A001")
    assert (line.width, line.height) == (size, size)


@pytest.mark.parametrize("number", ["A001", "A1000", "VIP1001", "ABCDEFGHIJ"])
def test_long_numbers_shrink_to_fit_the_line(profile, number):
    parsed = parse_escpos(render_ticket(typical_printout(number=number), profile))
    line = parsed.line_containing(number)
    assert len(number) * line.width <= profile.columns
    assert parsed.largest_text() == number


def test_tag_printed_inverse_beside_the_number(profile):
    parsed = parse_escpos(render_ticket(typical_printout(tag="绿色通道"), profile))
    line = parsed.line_containing("A001")
    assert "绿色通道" in line.text
    tag = next(s for s in line.spans if "绿色通道" in s.text)
    assert tag.inverted and tag.bold and (tag.width, tag.height) == (1, 1)
    assert parsed.largest_text() == "A001"


def test_tag_goes_below_a_number_that_fills_the_line():
    profile = PROFILES["58mm"]
    parsed = parse_escpos(render_ticket(typical_printout(number="ABCDEFG", tag="绿色通道"), profile))
    assert "绿色通道" not in parsed.line_containing("ABCDEFG").text
    assert parsed.line_containing("绿色通道").spans[0].inverted


def test_full_width_punctuation_and_yuan_sign(profile):
    ticket = typical_printout(details=(("费用", "¥20，含材料费：否"),), qr_payload="窗口 A001：社保，医保")
    data = render_ticket(ticket, profile)
    assert "¥".encode("gb18030") in data and "：".encode("gb18030") in data
    parsed = parse_escpos(data)
    assert "费用：¥20，含材料费：否" in parsed.lines
    assert parsed.qr_payloads == ["窗口 A001：社保，医保"]


def test_python_escpos_text_path_would_garble_punctuation():
    """Why the layout sends GB18030 itself: MagicEncode does not for "：" and "¥" alone."""
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.text("：¥")
    assert "：¥".encode("gb18030") not in dummy.output
    assert cmd.CHINESE_MODE_ON not in dummy.output


def test_chinese_mode_comes_before_the_first_multibyte_byte(printout, profile):
    data = render_ticket(printout, profile)
    first_high = next(i for i, b in enumerate(data) if b >= 0x80)
    assert data.index(cmd.CHINESE_MODE_ON) < first_high


def test_control_characters_in_text_cannot_inject_commands(profile):
    ticket = typical_printout(hall_name="城关\x1b@县\n中心", service="社保\x1dV\x00")
    data = render_ticket(ticket, profile)
    assert data.count(cmd.INIT) == 1 and data.count(cmd.CUT) == 1
    parsed = parse_escpos(data)
    assert "城关 @县 中心" in parsed.lines and parsed.cuts == 1


def test_profile_without_chinese_mode_sends_its_own_encoding():
    western = PrinterProfile(name="80mm-cp437", columns=48, dots_per_line=576, encoding="cp437", chinese_mode=False)
    ticket = typical_printout(hall_name="City Service Hall", service="Social security",
                              details=(("Counter", "1, 2"), ("Fee", "£2")), qr_caption="Scan me", footer=())
    data = render_ticket(ticket, western)
    assert cmd.CHINESE_MODE_ON not in data and "£".encode("cp437") in data
    parsed = parse_escpos(data)
    assert "Counter: 1, 2" in parsed.lines and "Fee: £2" in parsed.lines


@pytest.mark.parametrize("name", ["80mm", "58mm"])
def test_typical_ticket_is_under_600_bytes(name):
    assert len(render_ticket(typical_printout(tag="绿色通道"), PROFILES[name])) < 600


def test_long_rows_wrap_with_hanging_indent(profile):
    note = "这是一段很长的说明文字，用来检查自动换行是否正确，以及标点符号是否会出现在行首。收费¥20。"
    parsed = parse_escpos(render_ticket(typical_printout(details=(("备注", note),)), profile))
    start = parsed.lines.index(next(ln for ln in parsed.lines if ln.startswith("备注：")))
    rows = [parsed.lines[start]]
    for line in parsed.lines[start + 1 :]:
        if not line.startswith("      "):
            break
        rows.append(line)
    assert len(rows) > 1
    assert all(text_columns(r) <= profile.columns for r in rows)
    assert not any(r.strip()[0] in "，。" for r in rows)
    assert "".join(r.strip() for r in rows) == "备注：" + note


@pytest.mark.parametrize(
    "text, width, indent, lines",
    [
        ("这是一段很长的说明文字", 10, 0, ["这是一段很", "长的说明文", "字"]),
        ("Counter 1 and counter 2 serve you", 12, 0, ["Counter 1", "and counter", "2 serve you"]),
        ("一二三四，五", 8, 0, ["一二三", "四，五"]),  # no comma at a line start
        ("备注：一二三四五六七八", 12, 6, ["备注：一二三", "      四五六", "      七八"]),
        ("x" * 30, 12, 0, ["x" * 12, "x" * 12, "x" * 6]),
        ("¥20：两元", 6, 0, ["¥20：", "两元"]),  # ¥ and ： are two cells each in GB18030
        ("", 10, 0, [""]),
    ],
)
def test_wrap_columns(text, width, indent, lines):
    assert wrap_columns(text, width, indent=indent) == lines


# What str.isprintable() accepts: no controls, format or unassigned characters, no separators but " ".
# A row of two such texts, each at most two columns a character, fits in two lines of the
# 58 mm paper's 32 columns: under the clipping of a detail at four lines, which
# test_a_ticket_has_a_bounded_size_whatever_its_texts covers.
printable_text = st.text(
    st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"), include_characters=" "),
    max_size=14,
)


def _squeeze(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(printable_text, printable_text), min_size=1, max_size=4),
       name=st.sampled_from(sorted(PROFILES)))
def test_any_printable_detail_text_round_trips(rows, name):
    profile = PROFILES[name]
    ticket = typical_printout(details=tuple(rows), footer=())
    parsed = parse_escpos(render_ticket(ticket, profile))
    expected = []
    for label, value in rows:
        label, value = label.strip(), value.strip()
        sep = "：" if label and len(label[-1].encode("gb18030")) > 1 else ":"
        expected.append((label + sep if label else "") + value)
    fixed = ["城关县政务服务中心", "A001", "社会保障", "扫码查看排队进度"]
    assert _squeeze("".join(parsed.lines)) == _squeeze("".join(fixed[:3] + expected + fixed[3:]))
    assert all(text_columns(line) <= profile.columns for line in parsed.lines[3:])
    assert parsed.qr_payloads == [TYPICAL_URL]


@pytest.mark.parametrize("name", ["80mm", "58mm"])
def test_a_ticket_has_a_bounded_size_whatever_its_texts(name):
    """Names and translations have no maximum; the ticket does, so that its transfer time
    and write timeout are bounded too."""
    huge = "社会保障服务" * 2000
    ticket = typical_printout(hall_name=huge, service=huge, number="A" * 500, tag=huge, qr_caption=huge,
                              details=tuple((huge, huge) for _ in range(50)), footer=(huge,) * 50)
    data = render_ticket(ticket, PROFILES[name])
    assert len(data) <= MAX_TICKET_BYTES
    parsed = parse_escpos(data)
    assert all(text_columns(line) <= PROFILES[name].columns for line in parsed.lines)
    assert sum("…" in line for line in parsed.lines) >= 5  # each clipped text says it was clipped
