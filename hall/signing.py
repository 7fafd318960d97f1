"""Signing short messages with the hall's secret key (HMAC-SHA256), so that what the hall
hands out on paper (a ticket's link, a booking code) can be checked when it comes back and
cannot be guessed or made up.

Every signature is made for a purpose ("ticket", "booking", ...) with a key of that purpose
alone, derived from the hall's secret: a ticket's signature never passes as a booking's, and
a partner (the booking service) can be given its purpose's key without the others. A
signature is the first 16 bytes (128 bits) of HMAC-SHA256(purpose key, message), the form
docs/booking-qr.md gives booking codes. The secret is made at first use and kept in the
hall's database (table hall_secrets), never in the repository or a file of ours. The key
behind person hashes is not derived from it: it stays out of the database (hall.person_keys).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall.errors import HallError
from hall.models import HallSecret

KEY_NAME = "signing"
TICKET_PURPOSE = "ticket"   # a ticket's link, /t/{id}.{signature}
MAC_BYTES = 16       # 128 bits: out of reach of guessing, and short enough for a small QR code
PURPOSE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class BadSignature(HallError):
    """A token that this hall did not sign for this purpose, or that was altered."""


class Signer:
    def __init__(self, secret: bytes):
        if len(secret) < 32:
            raise ValueError("a signing secret needs at least 32 bytes")
        self._secret = secret

    def key_for(self, purpose: str) -> bytes:
        """The key of one purpose, for a partner who signs for it (a booking service)."""
        if not PURPOSE.match(purpose):
            raise ValueError(f"purpose {purpose!r}: use a short lower-case word")
        return hmac.new(self._secret, f"hall-kiosk purpose {purpose}".encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, message: str) -> bytes:
        return hmac.new(self.key_for(purpose), message.encode(), hashlib.sha256).digest()[:MAC_BYTES]

    def check(self, purpose: str, message: str, mac: bytes) -> bool:
        """Whether `mac` is this hall's signature of `message` for `purpose` (in constant time)."""
        return hmac.compare_digest(self.mac(purpose, message), mac)

    def sign(self, purpose: str, message: str) -> str:
        """`message` and its signature as one URL-safe token: MESSAGE.SIGNATURE (base64url)."""
        if "." in message:
            raise ValueError(f"the message {message!r} may not hold a dot")
        return f"{message}.{base64.urlsafe_b64encode(self.mac(purpose, message)).rstrip(b'=').decode()}"

    def verify(self, purpose: str, token: str) -> str:
        """The message of a token signed for `purpose`; raises BadSignature otherwise."""
        message, dot, encoded = token.rpartition(".")
        try:
            mac = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            mac = b""
        # Only the canonical spelling: base64's last character can carry unused bits.
        canonical = base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == encoded
        if not dot or not message or not canonical or not self.check(purpose, message, mac):
            raise BadSignature(f"not a valid {purpose} token")
        return message


def hall_signer(session: Session, *, hall_id: str) -> Signer:
    """The hall's signer, making and storing its key on first use. Two servers starting at
    once both try; the primary key keeps the first, and the second reads it."""
    key = _stored_key(session, hall_id=hall_id)
    if key is None:
        try:
            with session.begin_nested():
                session.add(HallSecret(hall_id=hall_id, name=KEY_NAME, value=secrets.token_hex(32)))
        except IntegrityError:
            pass
        key = _stored_key(session, hall_id=hall_id)
    return Signer(bytes.fromhex(key))


def _stored_key(session: Session, *, hall_id: str) -> str | None:
    return session.scalar(select(HallSecret.value).where(HallSecret.hall_id == hall_id,
                                                         HallSecret.name == KEY_NAME))
