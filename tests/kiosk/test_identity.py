"""Personal data: check characters, masking, the salted hash, ages, and what leaves the reading step."""
from __future__ import annotations

import dataclasses
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.idcard_record import decode_text_block, layout_text_block
from hall.matters.applicants import lookup_hash
from hall.person_keys import PersonKeys
from kiosk.i18n import Translator
from kiosk.identity import (
    CardExpired,
    CardNotYetValid,
    Identification,
    IdentityRefused,
    InvalidIdNumber,
    age_on,
    check_character,
    identify,
    mask_address,
    mask_id_number,
    mask_name,
    number_hash,
    technician_view,
    validate_id_number,
)
from tests.devices.idcards import card_fields, with_check_character

SALT = b"hall-chengguan-salt-0001"
TODAY = date(2026, 11, 25)
# The standard's worked example, and numbers made with the independent check in tests.devices.idcards
# (region codes of Beijing Chaoyang, Shanghai Huangpu, Guangzhou Tianhe, Urumqi Tianshan).
VALID = ["11010519491231002X", with_check_character("31010119800229123"),
         with_check_character("44010620011017456"), with_check_character("65010219550101001")]


def test_the_check_character_of_real_format_numbers():
    assert check_character("11010519491231002") == "X"
    for number in VALID:
        validate_id_number(number)
    assert any(n.endswith("X") for n in VALID)


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_check_character_agrees_with_the_iso_7064_formula(first17):
    assert first17 + check_character(first17) == with_check_character(first17)


@pytest.mark.parametrize("number, words", [
    ("11010519491231002x", "not 17 digits and a check character"),
    ("1101051949123100", "not 17 digits"),
    ("11010519491231002X0", "not 17 digits"),
    ("１１010519491231002X", "not 17 digits"),  # full-width digits
    (with_check_character("11010519490229002"), "digits 7-14 are not a birth date"),
    ("110105194912310021", "wrong check character"),
    ("110105194912310020", "wrong check character"),
])
def test_invalid_numbers_are_refused_showing_only_the_masked_number(number, words):
    with pytest.raises(InvalidIdNumber, match=words) as caught:
        validate_id_number(number)
    assert number not in str(caught.value)
    assert caught.value.key == "identity.invalid_number"


def test_masking():
    assert mask_id_number("110105194912311234") == "1101**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_id_number("12345678") == "********" and mask_id_number("") == ""
    assert [mask_name(n) for n in ("王秀英", "欧阳娜娜", "欧阳", "𠮷祥", "买买提·艾力", "")] == [
        "王*", "欧阳*", "欧*", "𠮷*", "买*", "*"]
    assert mask_address("北京市朝阳区建国路88号") == "北京市朝阳区***"
    assert mask_address("某村") == "某村"


def test_the_hash_is_stable_per_salt_and_differs_across_salts_and_numbers():
    number = VALID[0]
    first = number_hash(number, SALT)
    assert first == number_hash(number, SALT) == number_hash(number.lower(), SALT)
    assert len(first) == 64 and number not in first
    assert first != number_hash(number, b"hall-other-salt-0002")
    assert first != number_hash(VALID[1], SALT)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        number_hash(number, b"short")


@pytest.mark.parametrize("birth, day, age", [
    (date(1949, 12, 31), date(2026, 11, 25), 76),
    (date(1956, 11, 25), date(2026, 11, 25), 70),  # the birthday itself
    (date(1956, 11, 26), date(2026, 11, 25), 69),
    (date(1956, 2, 29), date(2026, 2, 28), 69),  # born on 29 February: a year older on 1 March
    (date(1956, 2, 29), date(2026, 3, 1), 70),
])
def test_age_on_a_day(birth, day, age):
    assert age_on(birth, day) == age


def record(**changes: str):
    return decode_text_block(layout_text_block(card_fields(**changes)))


def test_only_the_masked_number_the_hashes_and_the_birth_date_leave_the_reading_step():
    identification = identify(record(), today=TODAY, salt=SALT)
    assert [f.name for f in dataclasses.fields(Identification)] == ["masked_number", "number_hash", "birth_date",
                                                                   "case_hash"]
    assert identification == Identification("1101**********002X", number_hash(VALID[0], SALT), date(1949, 12, 31))
    assert identification.age_on(TODAY) == 76 and identification.case_hash is None
    text = repr(identification)
    assert "王" not in text and "北京" not in text and VALID[0] not in text


def test_the_hash_for_cases_is_the_one_the_hall_keeps_with_a_case():
    """A counter keeps a case's applicant as hall.matters.applicants.lookup_hash: the kiosk's
    hash of the same card under the same key must be that one, or the card finds nothing."""
    keys = PersonKeys(bytes(range(32)), hall_id="chengguan", zone=ZoneInfo("Asia/Shanghai"))
    identification = identify(record(), today=TODAY, salt=SALT, case_salt=keys.for_matters())
    assert identification.case_hash == lookup_hash(keys, VALID[0])
    assert identification.case_hash != identification.number_hash


@pytest.mark.parametrize("changes, error, fields", [
    ({"valid_until": "20261124"}, CardExpired, {"until": "2026-11-24"}),
    ({"valid_from": "20261126", "valid_until": "20461126"}, CardNotYetValid, {"since": "2026-11-26"}),
    ({"id_number": "110105194912310021"}, InvalidIdNumber, {}),
    ({"id_number": with_check_character("11010519500101002")}, InvalidIdNumber, {}),  # not the card's birth date
])
def test_refused_cards_carry_their_message_for_the_citizen(changes, error, fields):
    with pytest.raises(error) as caught:
        identify(record(**changes), today=TODAY, salt=SALT)
    assert caught.value.fields == fields
    for language in ("zh_CN", "zh_TW", "en"):
        assert Translator(language).t(caught.value.key, **caught.value.fields)


def test_a_card_valid_through_today_is_accepted():
    assert identify(record(valid_until="20261125"), today=TODAY, salt=SALT).masked_number.startswith("1101")


def test_expired_message_in_chinese():
    with pytest.raises(IdentityRefused) as caught:
        identify(record(valid_until="20200101"), today=TODAY, salt=SALT)
    assert Translator("zh_CN").t(caught.value.key, **caught.value.fields) == "您的身份证已于 2020-01-01 过期，请到服务台咨询。"


def test_the_technician_view_shows_every_field_with_personal_ones_masked():
    """The birth date shows its year only: its day and month are digits 11-14 of the number,
    which the masked number hides, and beside the region's first four digits and the last
    four they would leave two digits to guess."""
    view = technician_view(record(name="欧阳娜娜"), TODAY)
    assert view == {
        "name": "欧阳*", "sex": "female", "nation": {"code": "01", "name": "汉"}, "birth_date": "1949-**-**",
        "age": 76, "address": "北京市朝阳区***", "id_number": "1101**********002X",
        "authority": "北京市公安局朝阳分局", "valid_from": "2016-01-01", "valid_until": "长期",
        "accepted": True, "refused": None,
    }
    expired = technician_view(record(valid_until="20250101"), TODAY)
    assert expired["accepted"] is False and expired["refused"] == "ID card 1101**********002X: expired on 2025-01-01"
