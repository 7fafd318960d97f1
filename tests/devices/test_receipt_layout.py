"""The receipt's bytes, decoded back as a printer would read them: its lines in order, the
title and number large, the QR payload, and a size bounded whatever its texts."""
from __future__ import annotations

import pytest

from devices import escpos_commands as cmd
from devices.escpos_parse import parse_escpos
from devices.printer_profiles import PROFILES
from devices.receipt_layout import MAX_ITEMS, MAX_RECEIPT_BYTES, ReceiptPrintout, render_receipt
from devices.ticket_layout import text_columns

LINK = "https://hall.example.gov.cn/m/MTIz.c2lnbmF0dXJlLW9mLXRoZS1oYWxs"


def receipt(**changes) -> ReceiptPrintout:
    fields = dict(hall_name="城关县政务服务中心", title="受理回执", number="20261125-0001",
                  facts=(("事项", "户口迁入"), ("受理日期", "2026-11-25"), ("受理人", "0301"),
                         ("承诺办结日期", "2026-12-02")),
                  lists=(("已收材料", ("居民户口簿", "准予迁入证明")), ("尚需补交的材料", ("房屋产权证明或租赁合同",))),
                  qr_payload=LINK, qr_caption="扫码查询办理进度", footer=("监督投诉电话 0350-1234567",))
    return ReceiptPrintout(**{**fields, **changes})


def test_a_receipt_reads_back_line_by_line(profile):
    data = render_receipt(receipt(), profile)
    assert data.startswith(cmd.INIT + cmd.CHINESE_MODE_ON + cmd.ALIGN_CENTER)
    parsed = parse_escpos(data)
    assert parsed.chinese_mode_entered and not parsed.warnings
    printed = [line.strip() for line in parsed.lines]
    while not printed[-1]:   # the feed before the cut
        printed.pop()
    assert printed == [
        "城关县政务服务中心", "受理回执", "20261125-0001", "", "事项：户口迁入", "受理日期：2026-11-25", "受理人：0301",
        "承诺办结日期：2026-12-02", "已收材料", "1. 居民户口簿", "2. 准予迁入证明", "尚需补交的材料",
        "1. 房屋产权证明或租赁合同", "", "扫码查询办理进度", "", "监督投诉电话 0350-1234567"]
    assert parsed.line_containing("受理回执").width == 2 and parsed.line_containing("20261125-0001").width == 2
    assert parsed.line_containing("城关县政务服务中心").bold and parsed.line_containing("已收材料").bold
    assert parsed.qr_payloads == [LINK] and parsed.qr_printed == 1 and parsed.cuts == 1


def test_an_empty_list_prints_no_heading():
    parsed = parse_escpos(render_receipt(receipt(lists=(("已收材料", ("居民户口簿",)), ("尚需补交的材料", ()))),
                                         PROFILES["80mm"]))
    assert "尚需补交的材料" not in "".join(parsed.lines)


def test_a_long_document_wraps_under_its_text_not_its_number():
    long = "申请人所在单位出具的劳动合同或者工作证明原件及复印件一份" * 2
    parsed = parse_escpos(render_receipt(receipt(lists=(("已收材料", (long,)),)), PROFILES["58mm"]))
    first = next(i for i, line in enumerate(parsed.lines) if line.startswith("1. "))
    assert parsed.lines[first + 1].startswith("   ") and parsed.lines[first + 1].endswith("…")


@pytest.mark.parametrize("name", ["80mm", "58mm"])
def test_a_receipt_has_a_bounded_size_whatever_its_texts(name):
    """Every text at its longest, in characters of four GB18030 bytes: the write's timeout
    holds for the largest receipt there can be."""
    huge = "𠀀" * 5000
    data = render_receipt(receipt(hall_name=huge, title=huge, number=huge, facts=((huge, huge),) * 50,
                                  lists=((huge, (huge,) * 50),) * 5, qr_caption=huge, footer=(huge,) * 50),
                          PROFILES[name])
    assert len(data) <= MAX_RECEIPT_BYTES
    parsed = parse_escpos(data)
    assert sum(line.lstrip().startswith(tuple(f"{n}. " for n in range(1, 31))) for line in parsed.lines) == MAX_ITEMS
    assert all(text_columns(line) <= PROFILES[name].columns for line in parsed.lines)
