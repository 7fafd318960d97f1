"""The 256-byte text block: laid out at the reference's offsets, decoded to a typed record."""
from __future__ import annotations

import re
from datetime import date

import pytest

from devices.errors import CardDataInvalid
from devices.idcard_record import NATIONS, IdCardRecord, Nation, Sex, decode_text_block, layout_text_block
from tests.devices.idcards import card_fields


def test_fields_sit_at_the_reference_offsets_in_utf16le_padded_with_spaces():
    block = layout_text_block(card_fields())
    assert len(block) == 256
    assert block[0:6] == "王秀英".encode("utf-16-le") and block[6:30] == b" \x00" * 12
    assert block[30:32] == b"2\x00" and block[32:36] == b"0\x001\x00"
    assert block[36:52] == "19491231".encode("utf-16-le")
    assert block[122:158] == "11010519491231002X".encode("utf-16-le")
    assert block[188:204] == "20160101".encode("utf-16-le")
    assert block[204:208] == "长期".encode("utf-16-le") and block[208:220] == b" \x00" * 6
    assert block[220:256] == b" \x00" * 18


def test_the_sample_card_decodes_to_its_record():
    record = decode_text_block(layout_text_block(card_fields()))
    assert record == IdCardRecord(name="王秀英", sex=Sex.FEMALE, nation=Nation("01", "汉"),
                                  birth_date=date(1949, 12, 31), address="北京市朝阳区建国路88号",
                                  id_number="11010519491231002X", authority="北京市公安局朝阳分局",
                                  valid_from=date(2016, 1, 1), valid_until=None)


@pytest.mark.parametrize("name, stored", [
    ("𠮷祥", bytes.fromhex("42d8b7df 6579")),  # U+20BB7 outside the BMP: a surrogate pair
    ("刘䶮", bytes.fromhex("1852 ae4d")),  # U+4DAE, CJK extension A
    ("买买提·艾力", "买买提·艾力".encode("utf-16-le")),
])
def test_rare_characters_in_names_come_back_whole(name, stored):
    block = layout_text_block(card_fields(name=name))
    assert block.startswith(stored)
    assert decode_text_block(block).name == name


def test_a_dated_validity_and_the_shipped_nations_table():
    record = decode_text_block(layout_text_block(card_fields(valid_from="20200301", valid_until="20300301")))
    assert (record.valid_from, record.valid_until) == (date(2020, 3, 1), date(2030, 3, 1))
    # GB/T 3304: 56 nations numbered 01-56, then 97 other and 98 foreign-born citizens.
    assert sorted(NATIONS) == [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]
    assert [NATIONS[c].name for c in ("01", "05", "10", "29", "43", "56", "98")] == [
        "汉", "维吾尔", "朝鲜", "柯尔克孜", "乌孜别克", "基诺", "外国血统中国籍人士"]


@pytest.mark.parametrize("code", sorted(NATIONS))
def test_every_nation_code_decodes(code):
    assert decode_text_block(layout_text_block(card_fields(nation=code))).nation == NATIONS[code]


def test_personal_fields_stay_out_of_repr():
    text = repr(decode_text_block(layout_text_block(card_fields())))
    for secret in ("王", "北京", "11010519491231002X", "1949", "汉"):
        assert secret not in text
    assert "valid_from=datetime.date(2016, 1, 1)" in text


@pytest.mark.parametrize("changes, words", [
    ({"name": ""}, "the name field is empty"),
    ({"sex": "0"}, "the sex field is not 1 (male) or 2 (female)"),
    ({"nation": "77"}, "the nation field is not a GB/T 3304 code"),
    ({"nation": ""}, "the nation field"),
    ({"birth_date": "19491331", "id_number": "11010519491231002X"}, "the birth_date field is not a date"),
    ({"valid_from": "2016011"}, "the valid_from field is not a date"),
    ({"valid_until": "永久"}, "the valid_until field is not a date"),
    ({"id_number": "11010519491231002x"}, "the id_number field is not 17 digits"),
    ({"id_number": "110105194912310"}, "the id_number field is not 17 digits"),
])
def test_fields_out_of_form_are_named_without_their_values(changes, words):
    with pytest.raises(CardDataInvalid, match=re.escape(words)) as caught:
        decode_text_block(layout_text_block(card_fields(**changes)))
    for value in changes.values():
        if len(value) > 2:
            assert value not in str(caught.value)


def test_bytes_that_are_not_utf16_text():
    block = bytearray(layout_text_block(card_fields()))
    block[0:2] = b"\x00\xd8"  # a lone high surrogate
    with pytest.raises(CardDataInvalid, match="the name field is not UTF-16LE text"):
        decode_text_block(bytes(block))
    with pytest.raises(CardDataInvalid, match="255 bytes, not 256"):
        decode_text_block(bytes(block[:255]))


def test_layout_refuses_what_a_card_cannot_hold():
    with pytest.raises(ValueError, match="field name takes at most 15 UTF-16 units, got 16"):
        layout_text_block(card_fields(name="王" * 16))
    with pytest.raises(ValueError, match="unknown text block fields: photo"):
        layout_text_block({"photo": "x"})
