"""Scanned codes: booking codes and ticket links parsed, everything else refused with a documented error."""
from __future__ import annotations

import base64
from datetime import date, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.i18n import Translator
from kiosk.qr_payloads import (
    BadBookingScan,
    BadTicketLink,
    BookingCode,
    PayloadError,
    TicketCode,
    TicketLink,
    UnknownCode,
    booking_signed_part,
    format_booking_code,
    parse_scanned,
    parse_ticket_link,
)

SIGNATURE = bytes(range(16))
SIGNED = "HKB1.CHENGGUAN.Q7K2M9.SOCIAL_SECURITY.20261125.0900-0930"
CODE = SIGNED + ".AAAQEAYEAUDAOCAJBIFQYDIOB4"  # docs/booking-qr.md's example
LINK = "https://zwfw.cgx.gov.cn/hall/t/eyJoIjoiY2dxIiwibiI6IkEwMDEifQ.c2lnbmF0dXJlLWJ5dGVz"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_documented_example_parses_with_its_signed_part_apart():
    booking = parse_scanned(CODE)
    assert booking == BookingCode(hall_id="chengguan", booking_id="Q7K2M9", service="social_security",
                                  day=date(2026, 11, 25), window_start=time(9, 0), window_end=time(9, 30),
                                  signed_part=SIGNED, signature=SIGNATURE)
    assert len(CODE) == 83  # fits a version 5 QR code at error correction M


def test_making_a_code_gives_the_documented_example():
    signed = booking_signed_part(hall_id="chengguan", booking_id="q7k2m9", service="social_security",
                                 day=date(2026, 11, 25), window_start=time(9), window_end=time(9, 30))
    assert format_booking_code(signed, SIGNATURE) == CODE
    with pytest.raises(ValueError, match="16 bytes"):
        format_booking_code(signed, b"short")


def test_case_and_scanner_whitespace_do_not_matter():
    assert parse_scanned("  " + CODE.lower() + "\r\n").signed_part == SIGNED
    assert parse_scanned(CODE.swapcase()) == parse_scanned(CODE)


def test_a_ticket_link():
    assert parse_ticket_link(LINK) == TicketLink(url=LINK, origin="https://zwfw.cgx.gov.cn",
                                                 token="eyJoIjoiY2dxIiwibiI6IkEwMDEifQ.c2lnbmF0dXJlLWJ5dGVz")
    assert parse_scanned("HTTP://[::1]:8080/t/abcdefghijklmnop").origin == "http://[::1]:8080"
    assert parse_scanned("http://10.0.0.5:8000/t/abcdefghijklmnop").origin == "http://10.0.0.5:8000"


def test_a_ticket_code_of_a_hall_without_a_server_bare_or_after_its_progress_page():
    expected = TicketCode(hall_id="chengguan", day=date(2026, 11, 25), number="A001")
    assert parse_scanned("chengguan/20261125/A001\r") == expected
    assert parse_scanned("https://hall.example.gov.cn/q/chengguan/20261125/A001") == expected
    with pytest.raises(UnknownCode):
        parse_scanned("chengguan/20261131/A001")  # no such day
    with pytest.raises(BadTicketLink):
        parse_scanned("https://hall.example.gov.cn/q/chengguan/20261125/A001x")


@pytest.mark.parametrize("text, error, words", [
    ("", UnknownCode, "the code is empty"),
    ("   \r\n", UnknownCode, "the code is empty"),
    ("取号成功", UnknownCode, "neither a booking code nor a ticket link"),
    ("A" * 600, UnknownCode, "600 characters"),
    ("HKB1.\x00", UnknownCode, "control characters"),
    ("WIFI:S:hall;T:WPA;P:secret;;", UnknownCode, "neither"),
    ("HKB1.CHENGGUAN.Q7K2M9", BadBookingScan, "7 parts separated by '.', this one 3"),
    (CODE.replace("CHENGGUAN", "CHENG GUAN"), BadBookingScan, "the hall part"),
    (CODE.replace("Q7K2M9", "Q7K2M9Q7K2M9Q7K2M9Q7K2M9"), BadBookingScan, "the booking part"),
    (CODE.replace("SOCIAL_SECURITY", "9SOCIAL"), BadBookingScan, "the service part"),
    (CODE.replace("20261125", "20261131"), BadBookingScan, "not a date YYYYMMDD"),
    (CODE.replace("0900-0930", "0900-0960"), BadBookingScan, "not HHMM-HHMM"),
    (CODE.replace("0900-0930", "0930-0900"), BadBookingScan, "ends before it starts"),
    (CODE[:-1], BadBookingScan, "not 26 base32 characters"),
    (CODE[:-1] + "1", BadBookingScan, "not 26 base32 characters"),
    (CODE.replace("CHENGGUAN", "CHENGGUÄN"), BadBookingScan, "plain ASCII"),
    ("https://zwfw.cgx.gov.cn/hall/q/abcdefghijklmnop", BadTicketLink, "not a hall's ticket page"),
    ("https://zwfw.cgx.gov.cn/t/short", BadTicketLink, "token is not in its form"),
    ("https://zwfw.cgx.gov.cn/t/abcdefghijklmnop?x=1", BadTicketLink, "nothing after its token"),
    ("https://user:pw@zwfw.cgx.gov.cn/t/abcdefghijklmnop", BadTicketLink, "names a hall server"),
    ("https:///t/abcdefghijklmnop", BadTicketLink, "names a hall server"),
    ("http://[::1/t/abcdefghijklmnop", BadTicketLink, "not a web address"),
    ("http://host:99999/t/abcdefghijklmnop", BadTicketLink, "not a web address"),
])
def test_garbage_gets_a_clear_documented_error(text, error, words):
    with pytest.raises(error, match=words):
        parse_scanned(text)


def test_each_error_has_a_message_for_the_citizen_in_every_language():
    for error in (PayloadError, UnknownCode, BadBookingScan, BadTicketLink):
        for language in ("zh_CN", "zh_TW", "en"):
            assert Translator(language).t(error.key)


def test_the_link_parser_called_on_a_booking_code():
    with pytest.raises(UnknownCode):
        parse_ticket_link(CODE)


bookings = st.builds(
    dict,
    hall_id=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,63}", fullmatch=True),
    booking_id=st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True),
    service=st.from_regex(r"[a-z][a-z0-9_]{1,31}", fullmatch=True),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    window_start=st.times(max_value=time(22, 0)).map(lambda t: t.replace(second=0, microsecond=0)),
)


@PROPERTY
@given(bookings, st.binary(min_size=16, max_size=16))
def test_any_booking_made_parses_back_to_itself(fields, signature):
    end = time(fields["window_start"].hour + 1, fields["window_start"].minute)
    signed = booking_signed_part(**fields, window_end=end)
    parsed = parse_scanned(format_booking_code(signed, signature))
    assert (parsed.hall_id, parsed.booking_id, parsed.service, parsed.day) == (
        fields["hall_id"], fields["booking_id"], fields["service"], fields["day"])
    assert (parsed.window_end, parsed.signed_part, parsed.signature) == (end, signed, signature)


@PROPERTY
@given(st.text(max_size=300))
def test_random_text_raises_only_payload_errors(text):
    try:
        parse_scanned(text)
    except PayloadError:
        pass


@PROPERTY
@given(st.sampled_from([CODE, LINK]), st.data())
def test_mutated_codes_raise_only_payload_errors_or_parse_consistently(valid, data):
    chars = list(valid)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=max(len(chars) - 1, 0)))
        action = data.draw(st.sampled_from(["replace", "drop", "insert"]))
        char = data.draw(st.characters())
        if action == "replace" and chars:
            chars[at] = char
        elif action == "drop" and chars:
            del chars[at]
        else:
            chars.insert(at, char)
    text = "".join(chars)
    try:
        parsed = parse_scanned(text)
    except PayloadError:
        return
    if isinstance(parsed, TicketCode):
        assert text.strip().endswith(f"/{parsed.day:%Y%m%d}/{parsed.number}")
    elif isinstance(parsed, BookingCode):  # still well-formed: the signed part is what was scanned
        assert parsed.signed_part == text.strip().upper().rpartition(".")[0]
        assert base64.b32encode(parsed.signature).decode()[:25] == text.strip().upper()[-26:-1]
    else:
        assert parsed.token == text.strip().rsplit("/", 1)[1]
