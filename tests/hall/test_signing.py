"""Signatures by the hall's key: one purpose's never passes for another's, nothing altered
passes, and booking codes in the form of docs/booking-qr.md verify."""
from __future__ import annotations

from datetime import date, time

import pytest

from hall.signing import BadSignature, Signer
from hall.booking_codes import booking_signed_part, format_booking_code, parse_booking_code
from kiosk.qr_payloads import parse_ticket_link

SIGNER = Signer(bytes(range(32)))


def test_a_token_verifies_for_its_purpose_only():
    token = SIGNER.sign("ticket", "17")
    assert SIGNER.verify("ticket", token) == "17"
    for purpose in ("booking", "tickets", "csrf"):
        with pytest.raises(BadSignature):
            SIGNER.verify(purpose, token)
    assert SIGNER.key_for("ticket") != SIGNER.key_for("booking")


@pytest.mark.parametrize("forge", [
    lambda t: "18" + t[2:],                       # another ticket's number
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t.split(".")[0],                    # no signature
    lambda t: t + "=",                            # another spelling
    lambda t: "." + t.split(".")[1],              # no message
    lambda t: Signer(bytes(32)).sign("ticket", "17"),  # another hall
    lambda t: "17.!!!!",
])
def test_nothing_altered_or_made_elsewhere_passes(forge):
    with pytest.raises(BadSignature):
        SIGNER.verify("ticket", forge(SIGNER.sign("ticket", "17")))


def test_a_short_secret_or_a_bad_purpose_is_refused():
    with pytest.raises(ValueError):
        Signer(b"short")
    with pytest.raises(ValueError):
        SIGNER.sign("Ticket Link", "1")


def test_a_booking_code_signed_with_the_booking_key_verifies():
    signed = booking_signed_part(hall_id="chengguan", booking_id="Q7K2M9", service="social_security",
                                 day=date(2026, 11, 25), window_start=time(9), window_end=time(9, 30))
    code = parse_booking_code(format_booking_code(signed, SIGNER.mac("booking", signed)).lower())
    assert SIGNER.check("booking", code.signed_part, code.signature)
    assert not SIGNER.check("ticket", code.signed_part, code.signature)


def test_a_ticket_link_is_in_the_form_kiosks_read():
    link = parse_ticket_link(f"https://hall.example.gov.cn/t/{SIGNER.sign('ticket', '1')}")
    assert SIGNER.verify("ticket", link.token) == "1"
